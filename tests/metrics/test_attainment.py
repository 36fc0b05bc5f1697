"""Attainment per rep, team and company, and the reps who have actuals but no target.

The organisation: team East (ada, bo, and max their manager), team West (cy, dee, eve).
Period P is 2-13 March 2026 (10 business days), the next period Q starts Saturday 14 March.

    rep  team  P bookings quota           won in P            note
    ada  East  100 (2 revisions)          60                  20 more at 00:00 on 14 March
    bo   East  100, hired 9 March -> 50   30
    cy   West  0                          10                  zero target
    eve  West  40                         -                   no activity
    dee  West  -                          -                   active seller with no quota
    max  East  -                          5                   manager with actuals, no quota
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from attain.metrics.attainment import (
    ATTAINMENT_COLUMNS,
    AttainmentRow,
    attainment_report,
    rep_attainment,
)
from attain.metrics.periods import Period
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb

P = Period(date(2026, 3, 2), date(2026, 3, 13))
Q = Period(date(2026, 3, 14), date(2026, 3, 27))


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO teams (team_id, name) VALUES ('east', 'East'), ('west', 'West')")
    con.executemany(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date) VALUES (?, ?, ?, ?, ?)",
        [
            ("ada", "Ada", "east", "rep", None),
            ("bo", "Bo", "east", "rep", "2026-03-09"),
            ("max", "Max", "east", "manager", None),
            ("cy", "Cy", "west", "rep", None),
            ("dee", "Dee", "west", "rep", None),
            ("eve", "Eve", "west", "rep", None),
        ],
    )
    con.executemany(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("ada", P.start, P.end, "bookings", 80.0, None),
            ("ada", P.start, P.end, "bookings", 100.0, "2026-02-25 09:00"),
            ("bo", P.start, P.end, "bookings", 100.0, None),
            ("cy", P.start, P.end, "bookings", 0.0, None),
            ("eve", P.start, P.end, "bookings", 40.0, None),
            ("ada", P.start, P.end, "meetings", 10.0, None),
            ("ada", Q.start, Q.end, "bookings", 100.0, None),
        ],
    )
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, closed_at, stage, is_won, amount)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("o1", "ada", "2026-03-05 15:00", "won", True, 60.0),
            ("o2", "ada", "2026-03-14 00:00", "won", True, 20.0),  # first instant of Q
            ("o3", "ada", "2026-03-06 10:00", "lost", False, 1000.0),
            ("o4", "bo", "2026-03-10 11:00", "won", True, 30.0),
            ("o5", "cy", "2026-03-11 12:00", "won", True, 10.0),
            ("o6", "max", "2026-03-12 13:00", "won", True, 5.0),
        ],
    )
    con.executemany(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at) VALUES (?, 'ada', ?, ?)",
        [
            ("a1", "meeting", "2026-03-03 10:00"),
            ("a2", "meeting", "2026-03-04 10:00"),
            ("a3", "demo", "2026-03-05 10:00"),
            ("a4", "call", "2026-03-05 11:00"),
            ("a5", "meeting", "2026-03-16 10:00"),  # in Q, where ada has no meetings quota
        ],
    )
    yield backend
    backend.disconnect()


@pytest.fixture(scope="module")
def rows(org: Any) -> dict[tuple[str, str, date, str], AttainmentRow]:
    report = attainment_report(org, quota_targets(org))
    return {(row.scope, row.id, row.period_start, row.metric): row for row in report.rows}


def rep(rows: dict[tuple[str, str, date, str], AttainmentRow], rep_id: str) -> AttainmentRow:
    return rows[("rep", rep_id, P.start, "bookings")]


def test_attainment_is_actual_over_the_target_in_force(rows: Any) -> None:
    ada = rep(rows, "ada")
    assert (ada.target, ada.actual, ada.attainment) == (100.0, 60.0, 0.6)
    assert ada.revisions == 2 and not ada.prorated and ada.name == "Ada" and ada.team_id == "east"


def test_a_lost_deal_does_not_count_and_meetings_include_demos(rows: Any) -> None:
    meetings = rows[("rep", "ada", P.start, "meetings")]
    assert (meetings.target, meetings.actual) == (10.0, 3.0)
    assert meetings.attainment == pytest.approx(0.3)


def test_rep_who_joined_mid_period_is_measured_against_the_prorated_target(rows: Any) -> None:
    bo = rep(rows, "bo")
    assert (bo.target, bo.quota_target, bo.actual, bo.prorated) == (50.0, 100.0, 30.0, True)
    assert bo.attainment == pytest.approx(0.6)


def test_a_zero_target_has_no_attainment_ratio_rather_than_a_division_by_zero(rows: Any) -> None:
    cy = rep(rows, "cy")
    assert (cy.target, cy.actual, cy.attainment) == (0.0, 10.0, None)


def test_a_rep_with_no_activity_has_zero_actual_and_zero_attainment(rows: Any) -> None:
    eve = rep(rows, "eve")
    assert (eve.actual, eve.attainment) == (0.0, 0.0)


def test_a_deal_closed_at_midnight_after_the_period_counts_in_the_next_period(rows: Any) -> None:
    assert rep(rows, "ada").actual == 60.0
    assert rows[("rep", "ada", Q.start, "bookings")].actual == 20.0


def test_teams_and_the_company_sum_their_reps(rows: Any) -> None:
    east = rows[("team", "east", P.start, "bookings")]
    assert (east.name, east.target, east.quota_target, east.actual) == ("East", 150.0, 200.0, 90.0)
    assert east.attainment == pytest.approx(0.6) and east.prorated and east.revisions == 3
    west = rows[("team", "west", P.start, "bookings")]
    assert (west.target, west.actual, west.attainment, west.prorated) == (40.0, 10.0, 0.25, False)
    company = rows[("company", "company", P.start, "bookings")]
    assert (company.target, company.actual) == (190.0, 100.0)
    assert company.attainment == pytest.approx(100 / 190) and company.team_id is None


def test_reps_with_actuals_or_a_selling_role_but_no_quota_are_reported(org: Any) -> None:
    report = attainment_report(org, quota_targets(org))
    missing = {(u.rep_id, u.period_start, u.metric): u for u in report.unquoted}
    assert missing[("max", P.start, "bookings")].actual == 5.0
    assert not missing[("max", P.start, "bookings")].active_seller
    dee = missing[("dee", P.start, "bookings")]
    assert (dee.actual, dee.active_seller, dee.name, dee.team_id) == (0.0, True, "Dee", "west")
    assert {
        rep_id for rep_id, start, metric in missing if (start, metric) == (P.start, "bookings")
    } == {
        "max",
        "dee",
    }
    # Every selling rep but ada lacks a meetings quota in P; nobody has one in Q, so Q is not
    # a meetings period and ada's meeting there is not reported.
    assert {r for r, start, metric in missing if (start, metric) == (P.start, "meetings")} == {
        "bo",
        "cy",
        "dee",
        "eve",
    }
    assert ("ada", Q.start, "meetings") not in missing


def test_the_rep_frame_has_the_columns_other_metrics_read(org: Any) -> None:
    frame = rep_attainment(org, quota_targets(org, "bookings"))
    assert list(frame.columns) == ATTAINMENT_COLUMNS
    assert set(frame["period_start"]) == {P.start, Q.start}
    assert all(type(day) is date for day in frame["period_end"])
    cy = frame[(frame["rep_id"] == "cy")].iloc[0]
    assert cy["attainment"] is None and cy["team_id"] == "west"


def test_actuals_are_counted_on_the_organisations_local_days(org: Any) -> None:
    # 00:00 UTC on 14 March is 20:00 on 13 March in New York: the deal falls back into P.
    frame = rep_attainment(org, quota_targets(org, "bookings"), zone="America/New_York")
    ada = frame[frame["rep_id"] == "ada"].set_index("period_start")["actual"]
    assert (ada[P.start], ada[Q.start]) == (80.0, 0.0)


def test_no_targets_give_no_rows(org: Any) -> None:
    targets = quota_targets(org, "calls")
    assert rep_attainment(org, targets).empty
    assert attainment_report(org, targets).rows == []
