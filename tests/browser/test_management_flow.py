"""Issue 9's management pages in the browser: a manager edits a product's tier and
differentiators, the change shows in the latest changes, marketing then reads the new tier; the
ramp chart draws; a rep sees only their own payout."""

from __future__ import annotations

import pytest
from browser_support import AS_OF, ids_with_prefix, screenshot, sign_in
from playwright.sync_api import Page, expect

from tests.support.web import Demo

pytestmark = pytest.mark.browser

PITCH = "Live in a week, no consultants"


def test_manager_edits_a_product_tier_and_marketing_reads_it(page: Page) -> None:
    sign_in(page, "manager", "/products")
    row = page.get_by_test_id("product-P05")
    row.get_by_test_id("tier-P05").select_option("priority")
    row.get_by_test_id("differentiators-P05").fill(PITCH)
    row.get_by_test_id("save-P05").click()
    expect(page.get_by_test_id("tier-P05")).to_have_value("priority")
    expect(page.get_by_test_id("differentiators-P05")).to_have_value(PITCH)
    latest = page.get_by_test_id("priority-changes").locator("tbody tr").first
    expect(latest).to_contain_text("manager@example.com")
    expect(latest).to_contain_text("P05")
    screenshot(page, "manager", "products-edited")

    page.get_by_test_id("logout").click()
    sign_in(page, "marketing", "/products")
    expect(page.get_by_test_id("tier-P05")).to_have_attribute("data-value", "priority")
    expect(page.get_by_test_id("product-P05")).to_contain_text(PITCH)
    expect(page.get_by_test_id("save-P05")).to_have_count(0)  # marketing only reads
    screenshot(page, "marketing", "products")


def test_the_ramp_chart_draws_and_a_rep_sees_only_their_own_payout(page: Page, demo: Demo) -> None:
    sign_in(page, "admin", f"/ramp?as_of={AS_OF}")
    expect(page.locator("#ramp-chart canvas")).to_be_visible()
    screenshot(page, "admin", "ramp")
    page.goto(f"/compensation?as_of={AS_OF}")
    expect(page.get_by_test_id("tier-rates")).to_be_visible()
    screenshot(page, "admin", "compensation")

    page.get_by_test_id("logout").click()
    sign_in(page, "rep", f"/compensation?as_of={AS_OF}")
    assert ids_with_prefix(page, "payout-total-") == {demo.own_rep}
    expect(page.get_by_test_id("payout-deals")).to_be_visible()
    screenshot(page, "rep", "compensation")
