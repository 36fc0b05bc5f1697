"""What the browser tests share: the as-of day, signing in through the form, reading the
numbers that pages mark with `data-testid`/`data-value`, and screenshots."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.web import PASSWORD

AS_OF = "2026-11-13"
"""The day every page is opened as of (within the demo's last quarter)."""

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
"""One PNG per role × page, overwritten by each run (the folder is git-ignored)."""


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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{role}-{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
