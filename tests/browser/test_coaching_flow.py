"""Issue 9 in the browser: a manager logs a 1:1 with an agreed action on a rep's page, sees the
agenda, completes the action; the rep then sees both and still cannot open another rep's page."""

from __future__ import annotations

import pytest
from browser_support import AS_OF, screenshot, sign_in
from playwright.sync_api import Page, expect

from tests.support.web import Demo

pytestmark = pytest.mark.browser

TOPIC = "dark deals follow-up"
ACTION = "Call back the three deals gone dark"


def test_manager_logs_a_session_completes_its_action_and_the_rep_sees_it(
    page: Page, demo: Demo
) -> None:
    rep_page = f"/reps/{demo.own_rep}?as_of={AS_OF}"
    sign_in(page, "manager", rep_page)
    panel = page.get_by_test_id("coaching-panel")
    expect(panel.get_by_test_id("agenda").locator("li")).not_to_have_count(0)

    form = page.get_by_test_id("log-session")
    form.get_by_label("Minutes").fill("45")
    form.get_by_label("Topics").fill(TOPIC)
    form.get_by_label("Action 1").fill(ACTION)
    form.get_by_label("Owner 1").fill("Rae Rep")
    form.get_by_label("Due 1").fill("2026-11-20")
    form.get_by_test_id("log-session-submit").click()

    sessions = page.get_by_test_id("coaching-sessions")
    expect(sessions.locator('tr[data-origin="app"]')).to_contain_text(TOPIC)
    action = page.get_by_test_id("action-items").locator("tr", has_text=ACTION)
    expect(action).to_have_attribute("data-status", "open")
    expect(page.get_by_test_id("agenda").locator("li")).not_to_have_count(0)
    screenshot(page, "manager", "coaching-logged")

    action.get_by_role("button", name="Done").click()
    done = page.get_by_test_id("action-items").locator("tr", has_text=ACTION)
    expect(done).to_have_attribute("data-status", "done")
    screenshot(page, "manager", "coaching-done")

    page.get_by_test_id("logout").click()
    sign_in(page, "rep", rep_page)
    expect(
        page.get_by_test_id("coaching-sessions").locator('tr[data-origin="app"]')
    ).to_contain_text(TOPIC)
    rows = page.get_by_test_id("action-items").locator("tr", has_text=ACTION)
    expect(rows).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("log-session")).to_have_count(0)  # reps do not log sessions
    screenshot(page, "rep", "coaching-seen")

    response = page.goto(f"/reps/{demo.other_rep}?as_of={AS_OF}")
    assert response is not None and response.status == 404
