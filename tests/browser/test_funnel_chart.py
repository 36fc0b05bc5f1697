"""The rep page's funnel against top performers in a real browser: one row per stage, the chart
drawn, and the CSV link downloading the rows behind it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from browser_support import AS_OF, screenshot
from playwright.sync_api import Page, expect

from tests.support.web import Demo

pytestmark = pytest.mark.browser


def test_a_rep_sees_their_funnel_with_its_chart_and_csv(
    signed_in: Callable[[str, str], Page], demo: Demo
) -> None:
    page = signed_in("rep", f"/reps/{demo.own_rep}?as_of={AS_OF}")

    section = page.get_by_test_id("rep-funnel")
    expect(section.get_by_role("heading")).to_have_text("Funnel against top performers")
    stages = section.locator("tbody tr")
    expect(stages.first).to_be_visible()
    expect(page.locator("#rep-funnel-chart canvas")).to_be_visible()
    with page.expect_download() as download:
        section.get_by_test_id("funnel-csv").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0].startswith("stage,rep_n,rep_adv,rep_rate")
    assert len(lines) - 1 == stages.count()
    screenshot(page, "rep", "funnel")
