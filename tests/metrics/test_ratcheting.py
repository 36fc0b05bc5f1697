"""Quota ratcheting: repeated raises inside a period, big raises after a hit, team targets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
import pytest

from attain.metrics.periods import Period
from attain.metrics.ratcheting import (
    QuotaRevision,
    RepRatcheting,
    ratcheted_reps,
    ratcheted_teams,
)
from attain.metrics.settings import PerformanceSettings

Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))
Q2 = Period(date(2025, 4, 1), date(2025, 6, 30))
Q3 = Period(date(2025, 7, 1), date(2025, 9, 30))
Q4 = Period(date(2025, 10, 1), date(2025, 12, 31))
AS_OF = date(2026, 1, 15)
COLUMNS = [
    "rep_id",
    "team_id",
    "period_start",
    "period_end",
    "metric",
    "target",
    "quota_target",
    "actual",
    "attainment",
    "prorated",
    "revisions",
]


@pytest.fixture
def quotas(con: duckdb.DuckDBPyConnection) -> Any:
    """Insert (rep, period, target, set_at) quota rows; reps hired long before."""

    def insert(*rows: tuple[str, Period, float, str | None], hired: str = "2020-01-01") -> None:
        for rep in sorted({r[0] for r in rows}):
            con.execute(
                "INSERT INTO reps (rep_id, name, role, team_id, hire_date) "
                "VALUES (?, ?, 'rep', 'T1', ?)",
                [rep, rep, hired],
            )
        con.executemany(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
            "VALUES (?, ?, ?, 'bookings', ?, ?)",
            [(rep, p.start, p.end, target, set_at) for rep, p, target, set_at in rows],
        )

    return insert


def attainment(rows: list[tuple[str, Period, float, float]], team: str = "T1") -> pd.DataFrame:
    """Attainment frame rows (rep, period, target, actual)."""
    return pd.DataFrame(
        [
            {
                "rep_id": rep,
                "team_id": team,
                "period_start": p.start,
                "period_end": p.end,
                "metric": "bookings",
                "target": target,
                "quota_target": target,
                "actual": actual,
                "attainment": actual / target if target else None,
                "prorated": False,
                "revisions": 1,
            }
            for rep, p, target, actual in rows
        ],
        columns=COLUMNS,
    )


def find(store: Any, frame: pd.DataFrame, **settings: Any) -> dict[str, RepRatcheting]:
    found = ratcheted_reps(store, frame, AS_OF, PerformanceSettings(**settings))
    return {r.rep_id: r for r in found}


def test_raise_after_a_hit_quarter_is_ratcheting(store: Any, quotas: Any) -> None:
    quotas(("R1", Q1, 100_000, None), ("R1", Q2, 125_000, "2025-03-20 09:00:00"))
    found = find(store, attainment([("R1", Q1, 100_000, 110_000), ("R1", Q2, 125_000, 90_000)]))
    signal = found["R1"].signals[0]
    assert signal.kind == "raise_after_hit" and signal.period == Q2
    assert signal.growth == 1.25
    assert "2025-Q1" in signal.reason and "125,000" in signal.reason and "+25%" in signal.reason
    assert found["R1"].history == (
        QuotaRevision(Q1, None, 100_000),
        QuotaRevision(Q2, datetime(2025, 3, 20, 9), 125_000),
    )


def test_raise_of_exactly_the_threshold_after_a_hit_is_ratcheting(store: Any, quotas: Any) -> None:
    quotas(("R1", Q1, 100_000, None), ("R1", Q2, 120_000, None))
    found = find(store, attainment([("R1", Q1, 100_000, 100_000)]))
    assert [s.kind for s in found["R1"].signals] == ["raise_after_hit"]


def test_normal_annual_raise_is_not_ratcheting(store: Any, quotas: Any) -> None:
    quotas(
        ("R1", Q4, 100_000, None),
        ("R1", Period(date(2026, 1, 1), date(2026, 3, 31)), 110_000, None),
    )
    assert find(store, attainment([("R1", Q4, 100_000, 130_000)])) == {}


def test_big_raise_after_a_missed_quarter_is_not_ratcheting(store: Any, quotas: Any) -> None:
    quotas(("R1", Q1, 100_000, None), ("R1", Q2, 140_000, None))
    assert find(store, attainment([("R1", Q1, 100_000, 99_000)])) == {}


def test_raise_while_a_new_hire_ramps_is_not_ratcheting(store: Any, quotas: Any) -> None:
    quotas(("R1", Q1, 50_000, None), ("R1", Q2, 100_000, None), hired="2024-12-01")
    assert find(store, attainment([("R1", Q1, 50_000, 60_000)])) == {}


def test_two_raises_inside_one_quarter_are_ratcheting(store: Any, quotas: Any) -> None:
    quotas(
        ("R1", Q2, 100_000, "2025-03-25 10:00:00"),
        ("R1", Q2, 110_000, "2025-05-01 10:00:00"),
        ("R1", Q2, 120_000, "2025-06-01 10:00:00"),
    )
    found = find(store, attainment([]))
    signal = found["R1"].signals[0]
    assert (signal.kind, signal.period, signal.raises) == ("repeated_raises", Q2, 2)
    assert signal.growth == pytest.approx(1.2)
    assert "2 times for 2025-Q2 (100,000 → 120,000)" in signal.reason
    assert [r.target for r in found["R1"].history] == [100_000, 110_000, 120_000]


def test_a_raised_opening_target_then_a_raise_inside_the_quarter_is_ratcheting(
    store: Any, quotas: Any
) -> None:
    quotas(
        ("R1", Q1, 100_000, None),
        ("R1", Q2, 110_000, None),
        ("R1", Q2, 125_000, "2025-05-01 10:00:00"),
    )
    signal = find(store, attainment([("R1", Q1, 100_000, 90_000)]))["R1"].signals[0]
    assert (signal.kind, signal.period, signal.raises) == ("repeated_raises", Q2, 2)
    assert signal.growth == pytest.approx(1.25)


def test_one_raise_inside_a_quarter_is_tolerated_by_default(store: Any, quotas: Any) -> None:
    quotas(("R1", Q2, 100_000, None), ("R1", Q2, 110_000, "2025-05-01 10:00:00"))
    assert find(store, attainment([])) == {}
    assert "R1" in find(store, attainment([]), max_raises_per_period=0)


def test_cuts_and_revisions_before_the_quarter_are_not_raises(store: Any, quotas: Any) -> None:
    quotas(
        ("R1", Q2, 90_000, "2025-03-01 10:00:00"),
        ("R1", Q2, 100_000, "2025-03-25 10:00:00"),
        ("R1", Q2, 80_000, "2025-05-01 10:00:00"),
        ("R1", Q2, 95_000, "2025-06-01 10:00:00"),
    )
    assert find(store, attainment([])) == {}


def test_team_whose_target_grew_faster_than_its_actual_is_flagged() -> None:
    rows = [
        ("A", Q1, 100.0, 100.0),
        ("B", Q1, 100.0, 100.0),
        ("A", Q2, 110.0, 100.0),
        ("B", Q2, 110.0, 105.0),
        ("A", Q4, 130.0, 105.0),
        ("B", Q4, 130.0, 105.0),
    ]
    steady = [("C", Q1, 100.0, 100.0), ("C", Q4, 110.0, 100.0)]  # gap exactly 10 points
    frame = pd.concat([attainment(rows, "T1"), attainment(steady, "T2")])
    found = ratcheted_teams(frame, AS_OF)
    assert [t.team_id for t in found] == ["T1"]
    team = found[0]
    assert team.target_growth == pytest.approx(0.3) and team.actual_growth == pytest.approx(0.05)
    assert team.gap == pytest.approx(0.25)
    assert [(h.period, h.target, h.actual) for h in team.history] == [
        (Q1, 200.0, 200.0),
        (Q2, 220.0, 205.0),
        (Q4, 260.0, 210.0),
    ]
    assert "+30%" in team.reason and "+5%" in team.reason


def test_team_whose_target_fell_is_not_flagged_even_if_sales_fell_more() -> None:
    rows = [("A", Q1, 100.0, 100.0), ("A", Q4, 90.0, 50.0)]
    assert ratcheted_teams(attainment(rows), AS_OF) == []
