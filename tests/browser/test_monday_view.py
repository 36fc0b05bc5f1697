"""The Monday view in a browser (#24 acceptance): after a second import in which one rep's deals
slip and another's activity drops, their manager opens the view from the team page and it
lists those changes, and nothing the difference between the two data versions does not
explain: no other deal, no other rep's activity.

The two-version store is tests.support.monday's (the changes made by hand there); the app runs
over it in its own uvicorn server for this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_support import SCREENSHOTS, capture, ids_with_prefix, served, sign_in
from playwright.sync_api import Browser, Page, expect

from attain.config import load_settings
from attain.web.app import create_app
from tests.support.monday import TwoVersions, two_versions
from tests.support.web import Demo, add_role_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> TwoVersions:
    return two_versions(tmp_path_factory.mktemp("monday-browser"))


@pytest.fixture(scope="module")
def monday_url(store: TwoVersions, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the two-version store, the manager managing the changed reps' team."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTAIN_CONFIG", str(store.folder / "attain.toml"))
        settings = load_settings()
    url = f"sqlite:///{tmp_path_factory.mktemp('monday-browser-appdb') / 'app.db'}"
    demo = Demo(store.folder, store.store, settings, store.team, store.slipper, "", (store.team,))
    add_role_users(url, demo)
    with served(create_app(settings, store=str(store.store), app_db=url)) as base:
        yield base


@pytest.fixture
def tab(browser: Browser, monday_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=monday_url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(180_000)  # the first request compares the two versions
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def test_the_manager_finds_the_slipped_deals_and_the_idle_rep_and_nothing_else(
    tab: Page, store: TwoVersions
) -> None:
    sign_in(tab, "manager", "/team")
    tab.get_by_test_id("monday-link").click()
    expect(tab).to_have_url(re.compile(r"/monday"))
    expect(tab.get_by_test_id("monday-versions")).to_contain_text("to version 2")

    slipped = tab.get_by_test_id("monday-deals-pushed_out")
    expect(slipped).to_be_visible()
    assert ids_with_prefix(tab, "monday-deal-") == {f"pushed_out-{d}" for d in store.slipped}
    for deal, (before, after) in store.slipped.items():
        row = tab.get_by_test_id(f"monday-deal-pushed_out-{deal}")
        expect(row).to_be_visible()
        expect(row).to_contain_text(before)
        expect(row).to_contain_text(after)

    assert ids_with_prefix(tab, "monday-activity-") == {store.idler}
    idle = tab.get_by_test_id(f"monday-activity-{store.idler}")
    expect(idle.locator("td").nth(1)).to_have_text("0")
    expect(tab.get_by_test_id("monday-summary")).to_contain_text(
        f"{len(store.slipped)} deal changes"
    )
    # People by name: neither rep's id is shown where their name is.
    expect(tab.locator("main")).not_to_contain_text(re.compile(rf"\b{store.idler}\b"))
    expect(tab.locator("main")).not_to_contain_text(re.compile(rf"\b{store.slipper}\b"))
    capture(tab, SCREENSHOTS / "manager-monday-two-versions.png")
