"""The README's and docs/web.md's screenshots (docs/img/headend.png, docs/img/meter.png),
taken the way tests/web/test_browser.py sees the pages: Debian's chromium through
Playwright (tests/browser.py) against ``openamr demo``, here with the 100 meters of
``make run`` and its faults, two covers opened on the fleet's page (the two alarms),
1280 x 800, the visible part of the page. Not a test: run it when the pages change::

    .venv/bin/python -m tests.web.screenshots [DIR]    # default: docs/img
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.browser import another_page, open_page
from tests.web.demo import DemoProcess

METERS, METER, COVERS = 100, "10000042", ("10000042", "10000007")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, open_page(1280, 800) as page:
        demo = DemoProcess(home, METERS, "--spread", "10")
        try:
            urls = demo.urls(120)
            page.goto(urls["headend"])
            page.wait_for_selector("body[data-loaded=fleet]")
            page.wait_for_selector("#live-dot.on")
            fleet = another_page(page)
            fleet.goto(urls["fleet"])
            fleet.wait_for_selector("body[data-loaded]")
            for serial in COVERS:
                fleet.fill("#goto", serial)
                fleet.dispatch_event("#goto", "change")
                fleet.locator(f"article[data-serial='{serial}']").get_by_text("Open cover").click()
                page.locator("#alarm-list li", has_text=serial).wait_for(timeout=30_000)
            counts = page.locator('[data-count="collected today"] b, [data-count="failed today"] b')
            for _ in range(240):  # the first collection, spread over 10 s, retries included
                if sum(int(c.inner_text() or 0) for c in counts.all()) >= METERS:
                    break
                page.wait_for_timeout(500)
                page.dispatch_event("#filters", "input")  # the page reloads its counts
            page.screenshot(path=str(out / "headend.png"))
            page.goto(urls["headend"] + f"ui/#/meter/{METER}")
            page.wait_for_selector(f"body[data-loaded='meter {METER}']")
            page.wait_for_selector("#m-legend li[data-series='import T1']")
            page.screenshot(path=str(out / "meter.png"))
        finally:
            demo.stop()
    print(f"{out / 'headend.png'}, {out / 'meter.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
