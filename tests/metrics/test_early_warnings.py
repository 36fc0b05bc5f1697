"""Early warnings: a leading activity this week far below the rep's trailing weekly median."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import pytest

from attain.metrics.early_warnings import early_warnings
from attain.metrics.settings import PerformanceSettings

AS_OF = date(2025, 3, 1)
"""This week is 22-28 February; week k before it ends 28 February - 7k days."""
CALLS_ONLY = PerformanceSettings(leading_metrics=("calls",))


def week_day(week: int) -> datetime:
    """10:00 on the first day of the 7-day window `week` weeks before this one."""
    return datetime.combine(AS_OF - timedelta(days=7 * week + 7), time(10))


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Any:
    """Add a rep and, per week (0 = this week), their activities of one type or new deals."""
    ids = iter(range(1_000_000))

    def add(
        rep: str,
        weekly: list[int],
        kind: str = "call",
        *,
        hired: str = "2024-01-01",
        left: str | None = None,
        amount: float = 1_000.0,
    ) -> None:
        _rep(con, rep, hired, left)
        for week, count in enumerate(weekly):
            moments = [week_day(week) + timedelta(minutes=i) for i in range(count)]
            if not moments:
                continue
            if kind == "deal":
                con.executemany(
                    "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, stage, "
                    "amount) VALUES (?, ?, ?, 'new', ?)",
                    [(f"O{next(ids)}", rep, m, amount) for m in moments],
                )
            else:
                con.executemany(
                    "INSERT INTO activities (activity_id, rep_id, type, occurred_at) "
                    "VALUES (?, ?, ?, ?)",
                    [(f"A{next(ids)}", rep, kind, m) for m in moments],
                )

    return add


def _rep(con: duckdb.DuckDBPyConnection, rep: str, hired: str, left: str | None) -> None:
    if not con.execute("SELECT 1 FROM reps WHERE rep_id = ?", [rep]).fetchone():
        con.execute(
            "INSERT INTO reps (rep_id, name, role, hire_date, end_date) VALUES (?, ?, 'rep', ?, ?)",
            [rep, rep, hired, left],
        )


def test_drop_below_half_of_median_warns(store: Any, crm: Any) -> None:
    crm("R1", [4, 20, 22, 18, 20, 20, 19, 21, 20])  # this week first
    crm("R1", [0] + [1] * 8, "deal", amount=2_000.0)
    [warning] = early_warnings(store, AS_OF, CALLS_ONLY)
    assert (warning.rep_id, warning.metric) == ("R1", "calls")
    assert (warning.week_start, warning.week_end) == (date(2025, 2, 22), date(2025, 2, 28))
    assert warning.this_week == 4 and warning.median == 20
    assert warning.previous_weeks == (20, 22, 18, 20, 20, 19, 21, 20)
    assert warning.ratio == 0.2 and warning.chance is not None and warning.chance < 1e-4
    assert warning.shortfall == 16
    assert warning.pipeline_per_unit == 100.0  # 16,000 of pipeline over 160 calls
    assert warning.pipeline_at_risk == 1_600.0
    assert "16,000 over 160" in warning.estimate


@pytest.mark.parametrize(
    "weeks",
    [
        pytest.param([10] + [20] * 8, id="exactly-half-of-median"),
        pytest.param([18] + [20] * 8, id="steady-week"),
        # a quarter of the median, but P(X <= 1 | 4) is about 9%
        pytest.param([1] + [4] * 8, id="drop-at-low-volume-that-chance-explains"),
    ],
)
def test_a_week_that_is_no_real_drop_does_not_warn(store: Any, crm: Any, weeks: list[int]) -> None:
    crm("R1", weeks)
    assert early_warnings(store, AS_OF, CALLS_ONLY) == []


def test_rep_with_no_activity_at_all_does_not_warn(store: Any, crm: Any) -> None:
    crm("R1", [0] * 9)
    assert early_warnings(store, AS_OF) == []


def test_fewer_new_opportunities_are_valued_at_the_average_opportunity_amount(
    store: Any, crm: Any
) -> None:
    crm("R1", [2] + [20] * 8, "deal", amount=3_000.0)
    settings = PerformanceSettings(leading_metrics=("opportunities_created",))
    [warning] = early_warnings(store, AS_OF, settings)
    assert warning.shortfall == 18 and warning.pipeline_per_unit == 3_000.0
    assert warning.pipeline_at_risk == 54_000.0
    assert "average opportunity amount" in warning.estimate


def test_meetings_count_meetings_and_demos(store: Any, crm: Any) -> None:
    crm("R1", [1] + [10] * 8, "meeting")
    crm("R1", [0] + [10] * 8, "demo")
    [warning] = early_warnings(store, AS_OF)
    assert warning.metric == "meetings" and (warning.this_week, warning.median) == (1, 20)
    assert warning.pipeline_per_unit == 0.0  # no pipeline created in the trailing weeks


def test_reps_who_joined_or_left_within_the_window_are_skipped(store: Any, crm: Any) -> None:
    crm("NEW", [2] + [20] * 8, hired="2025-01-15")
    crm("GONE", [2] + [20] * 8, left="2025-02-25")
    crm("STAYS", [2] + [20] * 8, hired="2024-12-27")
    assert [w.rep_id for w in early_warnings(store, AS_OF, CALLS_ONLY)] == ["STAYS"]
