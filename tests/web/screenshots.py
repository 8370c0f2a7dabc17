"""The README's and docs/web.md's screenshots (docs/img/headend.png, docs/img/meter.png),
taken the way tests/web/test_browser.py sees the pages: Debian's chromium through
Playwright (tests/browser.py) against ``openamr demo``, here with the 100 meters of
``make run`` and its faults, two covers opened on the fleet's page (the two alarms),
1280 x 800, the visible part of the page. Not a test: run it when the pages change::

    .venv/bin/python -m tests.web.screenshots [DIR]    # default: docs/img
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tests.browser import another_page, open_page

CLI = [sys.executable, "-c", "from openamr.cli.main import main; main()"]
METERS, METER, COVERS = 100, "10000042", ("10000042", "10000007")


def start_demo(home: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``openamr demo`` on free ports; once ready, its pages' URLs."""
    first = f"127.{random.randrange(10, 250)}.{random.randrange(0, 250)}.1"  # a drawn range
    proc = subprocess.Popen(
        [*CLI, "demo", "--dir", home, "--meters", str(METERS), "--api-port", "0",
         "--fleet-port", "0", "--listen-port", "0", "--first-address", first,
         "--spread", "10", "--every", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    heard: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            heard.append(line)
            if "Ctrl-C stops everything" in line:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(120) or proc.poll() is not None:
        proc.kill()
        raise SystemExit("".join(heard))
    found = dict(re.findall(r"(head-end page|fleet page)\s+(http://127\.0\.0\.1:\d+/\S*)",
                            "".join(heard)))  # fmt: skip
    return proc, {"headend": found["head-end page"], "fleet": found["fleet page"]}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, open_page(1280, 800) as page:
        proc, urls = start_demo(home)
        try:
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
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
    print(f"{out / 'headend.png'}, {out / 'meter.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
