"""SMART goal checks, letter by letter, with the numbers in each reason."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd
import pytest

from attain.metrics.settings import PerformanceSettings
from attain.metrics.smart import Goal, LetterCheck, SmartCheck, check_goals, quota_goals

# Ten-day periods, so every period has the same length: P1..P3 completed, P4 current.
P = [
    (date(2025, 1, 1) + timedelta(days=10 * i), date(2025, 1, 10) + timedelta(days=10 * i))
    for i in range(4)
]
AS_OF = date(2025, 2, 1)
GROWTH = [0.8, 0.9, 1.0, 1.0, 1.1, 1.1, 1.2, 1.2, 1.3, 1.6, 2.0]
"""P2 → P3 growth of reps R1..R11 (all did 100 in P2); the 90th percentile is 1.6."""


def history() -> pd.DataFrame:
    rows = []
    for i, growth in enumerate(GROWTH, start=1):
        for (start, end), actual in ((P[1], 100.0), (P[2], 100.0 * growth)):
            rows.append(
                {
                    "rep_id": f"R{i}",
                    "team_id": "T1",
                    "period_start": start,
                    "period_end": end,
                    "metric": "bookings",
                    "target": 100.0,
                    "quota_target": 100.0,
                    "actual": actual,
                    "attainment": actual / 100.0,
                    "prorated": False,
                    "revisions": 1,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def facts(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A store with one won deal and one call, but no meetings."""
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, stage, "
        "is_won, amount) VALUES ('O1', 'R1', '2025-01-02', '2025-01-05', 'won', true, 100)"
    )
    con.execute(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at) "
        "VALUES ('A1', 'R1', 'call', '2025-01-02 10:00')"
    )
    return con


def goal(
    owners: tuple[str, ...] = ("R1",),
    metrics: tuple[str, ...] = ("bookings",),
    target: float | None = 120.0,
    period: tuple[date, date] | None = P[3],
) -> Goal:
    start, end = period if period else (None, None)
    return Goal(owners, metrics, target, start, end)


def check(store: Any, g: Goal, **settings: Any) -> SmartCheck:
    return check_goals(store, [g], history(), AS_OF, PerformanceSettings(**settings))[0]


def letter(result: SmartCheck, name: str) -> LetterCheck:
    return next(c for c in result.letters if c.letter == name)


def test_a_reasonable_quota_is_smart(store: Any, facts: Any) -> None:
    result = check(store, goal(target=120.0))
    assert result.smart
    assert [c.letter for c in result.letters] == ["S", "M", "A", "R", "T"]
    assert all(c.passed for c in result.letters)


def test_goal_for_two_owners_or_two_metrics_is_not_specific(store: Any, facts: Any) -> None:
    shared = check(store, goal(owners=("R1", "R2")))
    assert letter(shared, "S").passed is False and "2 owners" in letter(shared, "S").reason
    assert letter(shared, "A").passed is None
    assert not shared.smart
    both = check(store, goal(metrics=("bookings", "new_logos")))
    assert letter(both, "S").passed is False and "2 metrics" in letter(both, "S").reason


def test_meetings_goal_without_meeting_activities_is_not_measurable(store: Any, facts: Any) -> None:
    result = check(store, goal(metrics=("meetings",)))
    assert letter(result, "M").passed is False
    assert "meeting or demo activities" in letter(result, "M").reason
    facts.execute(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at) "
        "VALUES ('A2', 'R1', 'demo', '2025-01-03 10:00')"
    )
    assert letter(check(store, goal(metrics=("meetings",))), "M").passed is True


def test_metric_the_facts_cannot_count_is_not_measurable(store: Any, facts: Any) -> None:
    result = check(store, goal(metrics=("customer_happiness",)))
    assert letter(result, "M").passed is False
    assert "cannot be counted" in letter(result, "M").reason


def test_target_needing_more_growth_than_ninety_percent_of_reps_achieved_fails(
    store: Any, facts: Any
) -> None:
    result = check(store, goal(target=200.0))  # R1 did 80 in P3: needs 2.5×
    achievable = letter(result, "A")
    assert achievable.passed is False
    assert achievable.reason == "needs 2.5× last period's 80; 90% of reps grew ≤ 1.6×"


def test_target_at_exactly_the_percentile_of_achieved_growth_is_achievable(
    store: Any, facts: Any
) -> None:
    assert letter(check(store, goal(target=128.0)), "A").passed is True  # 1.6 × 80


def test_new_rep_is_compared_with_the_peers_actuals(store: Any, facts: Any) -> None:
    # Peers did 80..200 in P3; 90% did at most 160.
    high = letter(check(store, goal(owners=("R99",), target=500.0)), "A")
    assert high.passed is False
    assert "90% of peers did ≤ 160 over 10 days" in high.reason
    assert letter(check(store, goal(owners=("R99",), target=150.0)), "A").passed is True


def test_operational_metric_is_not_relevant(store: Any, facts: Any) -> None:
    relevant = letter(check(store, goal(metrics=("calls",))), "R")
    assert relevant.passed is False
    assert "calls is not a priority" in relevant.reason
    assert letter(check(store, goal(metrics=("calls",)), priority_metrics=("calls",)), "R").passed


@pytest.mark.parametrize(
    ("period", "reason"),
    [
        (None, "no start or end date"),
        ((date(2025, 3, 1), date(2025, 2, 1)), "ends (2025-02-01) before it starts (2025-03-01)"),
        ((date(2025, 1, 1), date(2026, 1, 1)), "(366 days)"),
        ((date(2025, 1, 1), date(2026, 1, 2)), "lasts 367 days; a goal should end within a year"),
    ],
)
def test_time_bound_needs_a_period_of_at_most_a_year(
    store: Any, facts: Any, period: tuple[date, date] | None, reason: str
) -> None:
    time_bound = letter(check(store, goal(period=period)), "T")
    assert reason in time_bound.reason
    assert time_bound.passed is (reason == "(366 days)")


def test_quota_rows_in_force_become_goals() -> None:
    rows = history()
    current = rows[rows["rep_id"] == "R1"].assign(
        period_start=P[3][0], period_end=P[3][1], target=140.0
    )
    goals = quota_goals(pd.concat([rows, current.iloc[:1]]), AS_OF)
    assert goals == [Goal(("R1",), ("bookings",), 140.0, P[3][0], P[3][1], "R1 bookings quota")]
