"""Both pages in Debian's chromium against ``openamr demo`` in its own process (real
sockets: a fleet of 4 twins and the head-end collecting them): the meters appear
collected, a meter's load profile is drawn per rate (and as totals), "Read now" goes
through its confirmation to a finished job, a cover opened on the fleet's page
arrives as a live alarm on the head-end's page, a firmware campaign for the group
runs to its end, nothing is asked of the internet; screenshots are saved as
artifacts. ``make run`` is this demo with 100 meters.

Cheap on purpose: the browser starts while the demo does (the fixture hands over a
wait for its addresses), 4 meters are enough for every claim (one group, so the
campaign covers them all), and every wait is for a condition on the page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser import another_page, open_page, require_chromium, screenshot
from tests.web.demo import DemoProcess

METERS = 4


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], dict[str, str]]]:
    """A running demo; calling it waits until it is ready and gives the pages' URLs."""
    require_chromium()
    demo = DemoProcess(str(tmp_path_factory.mktemp("demo")), METERS, "--no-faults", "--spread", "1")
    try:
        yield demo.urls
    finally:
        out = demo.stop()
    assert "Traceback" not in out, out
    assert out.rstrip().endswith("stopped"), out


def test_the_pages_show_the_fleet_act_and_get_a_live_alarm(
    demo: Callable[[], dict[str, str]], tmp_path: Path
) -> None:
    with open_page() as page:  # chromium starts while the demo does
        urls = demo()
        started = time.monotonic()
        page.goto(urls["headend"])
        page.wait_for_selector("body[data-loaded=fleet]")
        loaded_s = time.monotonic() - started
        collected = page.locator('[data-count="collected today"] b')
        for _ in range(120):  # the demo's collection is spread over 1 s
            if collected.inner_text() == str(METERS):
                break
            page.wait_for_timeout(250)
            page.evaluate("document.querySelector('#filters').dispatchEvent(new Event('input'))")
        assert collected.inner_text() == str(METERS)
        assert page.locator("#meters tbody tr").count() == METERS
        assert page.locator("#heat td").count() >= 14
        page.wait_for_selector("#live-dot.on")
        screenshot(page, "headend-fleet")

        page.goto(urls["headend"] + "ui/#/meter/10000003")
        page.wait_for_selector("body[data-loaded='meter 10000003']")
        assert page.locator("#m-registers tbody tr").count() >= 10
        # the load profile per rate, by the calendar the head-end read from the meter
        page.wait_for_selector("#m-legend li[data-series='import T1']")
        shown = page.eval_on_selector_all("#m-legend li", "l => l.map(x => x.dataset.series)")
        assert {"import T1", "import T2", "export T1", "export T2"} <= set(shown), shown
        assert page.locator("#m-plot").get_attribute("data-series") == "|".join(shown)
        assert "calendar" in page.locator("#m-tariff").inner_text()
        page.click("#p-view button[data-view=totals]")
        page.wait_for_selector("#m-legend li[data-series=import]")
        assert page.eval_on_selector_all("#m-legend li", "l => l.map(x => x.dataset.series)") == [
            "import",
            "export",
        ]
        page.click("#p-view button[data-view=rates]")
        page.wait_for_selector("#m-legend li[data-series='import T1']")
        page.click("[data-action=collect]")
        assert page.locator("#confirm").is_visible()
        page.click("#confirm-ok")
        page.wait_for_selector("#m-progress li[data-state=done]", timeout=30_000)
        page.wait_for_selector("body[data-loaded='meter 10000003']")
        assert page.locator("#m-sessions tbody tr").count() >= 2
        screenshot(page, "headend-meter")

        page.goto(urls["headend"] + "ui/#/")
        page.wait_for_selector("body[data-loaded=fleet]")
        page.wait_for_selector("#live-dot.on")
        fleet = another_page(page)
        fleet.goto(urls["fleet"])
        fleet.wait_for_selector("body[data-loaded]")
        card = fleet.locator("article[data-serial='10000002']")
        assert card.locator(".digits .value").inner_text().strip()
        card.get_by_text("Open cover").click()
        fleet.wait_for_selector("article[data-serial='10000002'] .cover.on")
        screenshot(fleet, "fleet")
        alarm = page.locator("#alarm-list li", has_text="10000002")
        alarm.wait_for(timeout=20_000)
        assert "cover" in alarm.inner_text()
        screenshot(page, "headend-alarm")

        image = tmp_path / "MT372-1005.bin"
        image.write_bytes(bytes(range(256)) * 8)  # 2 KiB: a few blocks a meter
        page.select_option("#filters select[name=group]", "feeder-01")
        page.set_input_files("#campaign-form input[name=image]", str(image))
        page.fill("#campaign-form input[name=identifier]", "MT372-1005")
        page.click("#campaign-start")
        assert page.locator("#confirm").is_visible()
        page.click("#confirm-ok")
        page.wait_for_selector("#campaign-progress li[data-state=done]", timeout=120_000)
        progress = page.locator("#campaign-progress li").first.inner_text()
        activated = re.search(r"activated (\d+), failed 0", progress)
        assert activated is not None and int(activated[1]) == METERS, progress  # all of feeder-01
        screenshot(page, "headend-campaign")
        assert page.outside_requests == []  # type: ignore[attr-defined]
    print(f"head-end page loaded in {loaded_s:.2f} s")
