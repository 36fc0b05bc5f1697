"""The real app served by uvicorn on a loopback port, and Debian's Chromium driven by Playwright.

The demo store and the app database with one user per role are the web tests' own fixtures
(`tests.support.web`), so the two suites build the same organisation the same way. Chromium
comes from `scripts/browser.sh`, which installs Debian's package when it is missing; when it
cannot, every browser test fails with the script's message rather than being skipped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from browser_support import AS_OF, served, sign_in
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from attain.leads.channels import ChannelReport, channel_report
from attain.metrics.report import PerformanceReport, performance_report
from attain.store import connect
from attain.web.app import create_app
from tests.support import web as web_fixtures
from tests.support.web import Demo

# The fixtures shared with the other web suite, registered for this folder.
demo = web_fixtures.demo
app_db = web_fixtures.app_db

TESTS = Path(__file__).resolve().parents[1]
SCRIPT = TESTS.parent / "scripts" / "browser.sh"
INSTALL_TIMEOUT_S = 900
"""Long enough for the script to apt-get install Chromium on a fresh machine."""


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium, installed by scripts/browser.sh when missing."""
    try:
        done = subprocess.run(
            ["bash", str(SCRIPT)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{SCRIPT} took more than {INSTALL_TIMEOUT_S} s", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{SCRIPT} failed: {done.stderr.strip()}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def base_url(demo: Demo, app_db: str) -> Iterator[str]:
    """The app over the demo store, served by uvicorn in a thread on a free loopback port."""
    app = create_app(demo.settings, store=str(demo.store), app_db=app_db)
    with served(app) as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    """Headless Debian Chromium (never a browser Playwright downloads)."""
    launched = playwright.chromium.launch(executable_path=chromium)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test, failing on any script error."""
    fresh = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    fresh.set_default_timeout(60_000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A tab that records uncaught script errors; the test fails if there were any."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def signed_in(page: Page) -> Callable[[str, str], Page]:
    """Sign in as a role through the form, starting from a page; returns the tab."""

    def open_as(role: str, path: str) -> Page:
        sign_in(page, role, path)
        return page

    return open_as


@pytest.fixture(scope="session")
def report(demo: Demo) -> PerformanceReport:
    """The core's performance report as of AS_OF, computed straight from the store."""
    backend = connect(str(demo.store), read_only=True)
    try:
        return performance_report(
            backend, demo.settings.performance, as_of=date.fromisoformat(AS_OF)
        )
    finally:
        backend.disconnect()


@pytest.fixture(scope="session")
def channels(demo: Demo) -> ChannelReport:
    """The core's channel report as of AS_OF, computed straight from the store."""
    backend = connect(str(demo.store), read_only=True)
    try:
        return channel_report(backend, date.fromisoformat(AS_OF))
    finally:
        backend.disconnect()
