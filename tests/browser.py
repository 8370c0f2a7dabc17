"""A real browser for the web pages' tests: Debian's ``chromium`` driven by Playwright.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (``apt-get install
chromium``; ``make test`` installs it when it runs as root). Without it the browser tests
are skipped with the reason; in CI (``OPENAMR_REQUIRE_SERVICES=1``) they fail instead.
The flags keep Chromium off the network: nothing on our pages may need the internet,
and a page that tries is seen in :func:`open_page`'s request log.

Screenshots land in ``$OPENAMR_ARTIFACTS`` (default ``test-artifacts/``, git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("OPENAMR_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_chromium() -> None:
    """Skip (or, in CI, fail) the calling test when Chromium or Playwright is missing."""
    missing = None
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} not found (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing is None:
        return
    if os.environ.get("OPENAMR_REQUIRE_SERVICES"):
        pytest.fail(f"{missing}; CI requires the browser tests to run")
    pytest.skip(missing)


def artifacts_dir() -> Path:
    path = Path(os.environ.get("OPENAMR_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def open_page(width: int = 1280, height: int = 860) -> Iterator[Page]:
    """A fresh headless Chromium page; requests leaving 127.0.0.1 are aborted and
    recorded in ``page.outside_requests`` (a list the test can assert empty)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            outside: list[str] = []

            def guard(route, request):  # type: ignore[no-untyped-def]
                host = request.url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
                if request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                    route.continue_()
                else:
                    outside.append(request.url)
                    route.abort()

            page.route("**/*", guard)
            page.outside_requests = outside  # type: ignore[attr-defined]
            page.guard = guard  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()


def another_page(page: Page) -> Page:
    """A second page (a tab) of :func:`open_page`'s browser, guarded the same way: its
    outside requests go to the first page's ``outside_requests``."""
    other = page.context.new_page()
    other.route("**/*", page.guard)  # type: ignore[attr-defined]
    return other


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact; return its path."""
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
