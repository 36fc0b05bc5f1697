"""Each role in a real browser: signs in through the form, opens every page it may see, reads
the same numbers as the core computes, cannot reach what its role hides, and signs out.

Every page a role opens is saved as test-artifacts/browser/<role>-<page>.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from browser_support import AS_OF, ids_with_prefix, screenshot, value
from playwright.sync_api import Page, expect

from attain.leads.channels import ChannelReport
from attain.metrics.report import PerformanceReport, performance_report
from attain.reports.performance import rep_lines, scope_lines
from attain.store import connect
from tests.support.web import PASSWORD, Demo

pytestmark = pytest.mark.browser

SignIn = Callable[[str, str], Page]

PAGES = {
    "admin": ("team", "rep", "forecast", "diagnosis", "leads"),
    "manager": ("team", "rep", "forecast", "diagnosis"),
    "rep": ("team", "rep", "forecast", "diagnosis"),
    "marketing": ("leads",),
}
"""The pages each role may open (docs/web.md's table); `rep` is the rep user's own page."""

EARLIER = "2026-10-30"
"""A second as-of day in the same quarter, for the as-of picker."""

CONE_TIMEOUT_MS = 60_000
"""The forecast cone (a forecast per week of the quarter) is computed on first request."""

NAV = ("team", "forecast", "diagnosis", "leads")


def url(name: str, demo: Demo) -> str:
    """The path of a page by name, as of AS_OF."""
    path = f"/reps/{demo.own_rep}" if name == "rep" else f"/{name}"
    return f"{path}?as_of={AS_OF}"


@pytest.mark.parametrize("role", list(PAGES))
def test_each_role_signs_in_and_opens_every_page_it_may_see(
    role: str, signed_in: SignIn, demo: Demo
) -> None:
    first, *others = PAGES[role]
    page = signed_in(role, url(first, demo))
    for name in (first, *others):
        if name != first:
            response = page.goto(url(name, demo))
            assert response is not None and response.status == 200, name
        expect(page.locator("h1")).not_to_contain_text(re.compile(r"^\d{3} "))
        for link in NAV:
            shown = expect(page.get_by_test_id(f"nav-{link}"))
            shown.to_have_count(1 if link in PAGES[role] else 0)
        if name == "team":
            # The cone arrives through HTMX once computed and is drawn by vega-embed.
            cone = page.locator("#forecast-cone canvas")
            expect(cone).to_be_visible(timeout=CONE_TIMEOUT_MS)
        screenshot(page, role, name)


def test_the_team_overview_shows_the_cores_numbers_to_an_admin(
    signed_in: SignIn, report: PerformanceReport
) -> None:
    page = signed_in("admin", f"/team?as_of={AS_OF}")
    (company,) = scope_lines(report, "company")
    assert value(page, "company-actual") == pytest.approx(company.actual)
    assert value(page, "company-target") == pytest.approx(company.target)
    teams = {line.id: line for line in scope_lines(report, "team")}
    assert ids_with_prefix(page, "team-actual-") == set(teams)
    for team, team_line in teams.items():
        assert value(page, f"team-actual-{team}") == pytest.approx(team_line.actual)
    reps = {line.rep_id: line for line in rep_lines(report)}
    assert ids_with_prefix(page, "rep-actual-") == set(reps)
    for rep, rep_line in reps.items():
        assert value(page, f"rep-actual-{rep}") == pytest.approx(rep_line.actual)


def test_a_manager_sees_only_their_team_and_its_reps(
    signed_in: SignIn, report: PerformanceReport, demo: Demo
) -> None:
    page = signed_in("manager", f"/team?as_of={AS_OF}")
    expect(page.get_by_test_id("company-actual")).to_have_count(0)
    (team,) = [line for line in scope_lines(report, "team") if line.id == demo.team]
    assert ids_with_prefix(page, "team-actual-") == {demo.team}
    assert value(page, f"team-actual-{demo.team}") == pytest.approx(team.actual)
    reps = {line.rep_id: line for line in rep_lines(report) if line.team_id == demo.team}
    assert ids_with_prefix(page, "rep-actual-") == set(reps)
    for rep, line in reps.items():
        assert value(page, f"rep-actual-{rep}") == pytest.approx(line.actual)


def test_a_rep_sees_their_own_line_and_every_total(
    signed_in: SignIn, report: PerformanceReport, demo: Demo
) -> None:
    page = signed_in("rep", f"/team?as_of={AS_OF}")
    (company,) = scope_lines(report, "company")
    assert value(page, "company-actual") == pytest.approx(company.actual)
    assert ids_with_prefix(page, "team-actual-") == {
        line.id for line in scope_lines(report, "team")
    }
    (own,) = [line for line in rep_lines(report) if line.rep_id == demo.own_rep]
    assert ids_with_prefix(page, "rep-actual-") == {demo.own_rep}
    assert value(page, f"rep-actual-{demo.own_rep}") == pytest.approx(own.actual)

    page.get_by_test_id(f"rep-actual-{demo.own_rep}").get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/reps/{demo.own_rep}"))
    assert value(page, "rep-actual") == pytest.approx(own.actual)
    expect(page.get_by_test_id("weekly-targets").locator("tbody tr")).not_to_have_count(0)


def test_a_rep_opening_another_reps_page_sees_not_found(signed_in: SignIn, demo: Demo) -> None:
    page = signed_in("rep", url("rep", demo))
    response = page.goto(f"/reps/{demo.other_rep}?as_of={AS_OF}")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error-status")).to_have_text("404 Not Found")
    expect(page.get_by_test_id("rep-actual")).to_have_count(0)
    screenshot(page, "rep", "other-rep")


def test_marketing_sees_leads_and_channels_but_no_team(
    signed_in: SignIn, channels: ChannelReport
) -> None:
    page = signed_in("marketing", f"/leads?as_of={AS_OF}")
    rows = page.get_by_test_id("sources").locator("tbody tr")
    expect(rows).to_have_count(len(channels.sources))
    names = [cell.strip() for cell in rows.locator("td:first-child").all_inner_texts()]
    assert names == [line.channel or "(none)" for line in channels.sources]
    leads = [int(cell) for cell in rows.locator("td:nth-child(2)").all_inner_texts()]
    assert leads == [line.leads for line in channels.sources]
    expect(page.get_by_test_id("grade-counts")).to_contain_text("A: ")
    expect(page.locator("#channel-chart canvas")).to_be_visible()

    response = page.goto(f"/team?as_of={AS_OF}")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("error-status")).to_have_text("403 Forbidden")
    screenshot(page, "marketing", "team-forbidden")


def test_marketing_signing_in_from_the_bare_form_lands_on_leads(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill("marketing@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"/leads$"))
    expect(page.get_by_test_id("sources")).to_be_visible()


def test_the_as_of_picker_reloads_the_numbers_and_the_url(signed_in: SignIn, demo: Demo) -> None:
    page = signed_in("admin", f"/team?as_of={AS_OF}")
    page.get_by_test_id("as-of").fill(EARLIER)
    expect(page).to_have_url(re.compile(f"as_of={EARLIER}"), timeout=30_000)  # recomputes
    expect(page.get_by_test_id("as-of")).to_have_value(EARLIER)
    backend = connect(str(demo.store), read_only=True)
    try:
        earlier = performance_report(
            backend, demo.settings.performance, as_of=date.fromisoformat(EARLIER)
        )
    finally:
        backend.disconnect()
    (company,) = scope_lines(earlier, "company")
    expect(page.get_by_test_id("company-actual")).to_have_attribute(
        "data-value", str(company.actual)
    )
    screenshot(page, "admin", "team-earlier")


def test_signing_out_ends_the_session(signed_in: SignIn) -> None:
    page = signed_in("admin", f"/forecast?as_of={AS_OF}")
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/team")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fteam$"))
    expect(page.get_by_test_id("login-submit")).to_be_visible()
