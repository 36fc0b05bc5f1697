"""What the browser tests share: the as-of day, signing in through the form, reading the
numbers that pages mark with `data-testid`/`data-value`, and screenshots."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.web import PASSWORD

AS_OF = "2026-11-13"
"""The day every page is opened as of (within the demo's last quarter)."""

CAPTURE_MS = 60_000
"""How long one full-page capture may take before it is tried again (normally 1-3 s)."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
"""One PNG per role × page, overwritten by each run (the folder is git-ignored)."""


START_TIMEOUT_S = 30


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port, while the block runs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start the app", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def sign_in(page: Page, role: str, path: str) -> None:
    """Open `path` signed out, get sent to the sign-in form, sign in as `role`'s user and
    arrive back at `path`."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(f"{role}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))


def value(page: Page, test_id: str) -> float:
    """The raw number behind a key figure (its `data-value`)."""
    raw = page.get_by_test_id(test_id).get_attribute("data-value")
    assert raw is not None, f"{test_id} has no data-value"
    return float(raw)


def ids_with_prefix(page: Page, prefix: str) -> set[str]:
    """The ids after `prefix` of every element whose data-testid starts with it."""
    found = page.locator(f'[data-testid^="{prefix}"]').evaluate_all(
        "nodes => nodes.map(node => node.dataset.testid)"
    )
    return {name.removeprefix(prefix) for name in found}


def screenshot(page: Page, role: str, name: str) -> Path:
    """A full-page PNG of what `role` sees, as test-artifacts/browser/<role>-<name>.png."""
    return capture(page, SCREENSHOTS / f"{role}-{name}.png")


def capture(page: Page, path: Path) -> Path:
    """A full-page PNG at `path`, a record for people rather than something a test asserts.

    Chromium's capture once stalled past a 180 s timeout in a loaded 2-core CI run, after the
    page's fonts had loaded (the same test passed alone in 14 s). A capture that stalls for
    CAPTURE_MS is taken once more instead of failing the test; a second stall still fails it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=path, full_page=True, timeout=CAPTURE_MS)
    except PlaywrightTimeoutError:
        page.screenshot(path=path, full_page=True, timeout=CAPTURE_MS)
    return path
