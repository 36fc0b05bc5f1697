"""Classification: top performer, performer, under-performer or new, with trend and evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pytest

from attain.metrics.classification import RepClassification, classify_reps, completed_periods
from attain.metrics.periods import Period
from attain.metrics.settings import PerformanceSettings

QUARTERS_2025 = [
    (date(2025, 1, 1), date(2025, 3, 31)),
    (date(2025, 4, 1), date(2025, 6, 30)),
    (date(2025, 7, 1), date(2025, 9, 30)),
    (date(2025, 10, 1), date(2025, 12, 31)),
]
CURRENT = (date(2026, 1, 1), date(2026, 3, 31))
FIVE_QUARTERS = [(date(2024, 10, 1), date(2024, 12, 31)), *QUARTERS_2025]
AS_OF = date(2026, 1, 15)


def frame(
    reps: dict[str, list[float | None]],
    periods: list[tuple[date, date]] = QUARTERS_2025,
    prorated: dict[str, list[bool]] | None = None,
) -> pd.DataFrame:
    """An attainment frame: each rep's attainment per period on a target of 100."""
    rows = []
    for rep, ratios in reps.items():
        for i, ratio in enumerate(ratios):
            start, end = periods[i]
            rows.append(
                {
                    "rep_id": rep,
                    "team_id": "T1",
                    "period_start": start,
                    "period_end": end,
                    "metric": "bookings",
                    "target": 100.0,
                    "quota_target": 100.0,
                    "actual": 100.0 * (ratio or 0.0),
                    "attainment": ratio,
                    "prorated": (prorated or {}).get(rep, [False] * len(ratios))[i],
                    "revisions": 1,
                }
            )
    return pd.DataFrame(rows)


def classify(
    store: Any, reps: dict[str, list[float | None]], **settings: Any
) -> dict[str, RepClassification]:
    periods = QUARTERS_2025 if len(next(iter(reps.values()))) <= 4 else FIVE_QUARTERS
    found = classify_reps(store, frame(reps, periods), AS_OF, PerformanceSettings(**settings))
    return {c.rep_id: c for c in found}


def test_rep_surpassing_goal_in_three_of_four_quarters_is_top_performer(store: Any) -> None:
    rep = classify(store, {"R1": [1.1, 1.2, 0.9, 1.15]})["R1"]
    assert rep.performance_class == "top_performer"
    assert rep.above_share == 0.75 and rep.hit_share == 0.75
    assert [p.attainment for p in rep.periods] == [1.1, 1.2, 0.9, 1.15]
    assert rep.periods[0].period == Period(date(2025, 1, 1), date(2025, 3, 31))
    assert rep.full_periods == 4


def test_rep_exactly_at_target_every_quarter_is_performer_not_top(store: Any) -> None:
    rep = classify(store, {"R1": [1.0, 1.0, 1.0, 1.0]})["R1"]
    assert rep.performance_class == "performer"
    assert rep.above_share == 0.0 and rep.hit_share == 1.0


@pytest.mark.parametrize(
    ("attainments", "shares"),
    [
        pytest.param([1.05, 1.02, 1.09, 1.0], (0.0, 1.0), id="just-above-target-every-quarter"),
        pytest.param([1.3, 1.2, 1.0, 0.6], (0.5, 0.75), id="above-in-half-hitting-three-quarters"),
    ],
)
def test_rep_above_target_too_rarely_for_top_is_performer(
    store: Any, attainments: list[float], shares: tuple[float, float]
) -> None:
    rep = classify(store, {"R1": attainments})["R1"]
    assert (rep.above_share, rep.hit_share) == shares
    assert rep.performance_class == "performer"


def test_rep_hitting_exactly_sixty_percent_of_periods_is_performer(store: Any) -> None:
    rep = classify(store, {"R1": [1.0, 0.7, 1.0, 0.8, 1.0]}, classification_periods=5)["R1"]
    assert rep.hit_share == 0.6
    assert rep.performance_class == "performer"


def test_rep_hitting_half_of_periods_is_under_performer(store: Any) -> None:
    rep = classify(store, {"R1": [1.3, 1.2, 0.5, 0.6]})["R1"]
    assert rep.performance_class == "under_performer"
    assert rep.hit_share == 0.5


def test_rep_without_history_is_new(store: Any) -> None:
    rows = frame({"R1": [None, None, None, 1.5]})
    current = frame({"R2": [2.0]}, [CURRENT])
    found = {c.rep_id: c for c in classify_reps(store, pd.concat([rows, current]), AS_OF)}
    assert found["R1"].performance_class == "new"
    assert len(found["R1"].periods) == 1
    assert found["R2"].performance_class == "new"
    assert found["R2"].periods == () and found["R2"].hit_share is None


def test_recent_hire_with_a_prorated_first_quarter_is_new(store: Any) -> None:
    rows = frame({"R1": [None, None, 1.4, 1.2]}, prorated={"R1": [False, False, True, False]})
    rep = classify_reps(store, rows, AS_OF)[0]
    assert rep.full_periods == 1
    assert rep.performance_class == "new"


def test_only_the_last_completed_periods_before_as_of_count(store: Any) -> None:
    rows = pd.concat(
        [frame({"R1": [0.1, 1.1, 1.1, 1.1, 1.1]}, FIVE_QUARTERS), frame({"R1": [0.0]}, [CURRENT])]
    )
    assert completed_periods(rows, AS_OF, 4)[0] == Period(date(2025, 1, 1), date(2025, 3, 31))
    rep = classify_reps(store, rows, AS_OF)[0]
    assert len(rep.periods) == 4 and rep.above_share == 1.0


@pytest.mark.parametrize(
    ("ratios", "trend", "slope"),
    [
        ([0.7, 0.8, 0.9, 1.0], "improving", 0.1),
        ([1.3, 1.1, 0.9, 0.7], "declining", -0.2),
        ([1.0, 1.05, 1.1, 1.15], "steady", 0.05),
        ([1.0, 1.1, 0.9, 1.0], "steady", -0.02),
    ],
)
def test_trend_is_the_least_squares_slope_against_the_threshold(
    store: Any, ratios: list[float], trend: str, slope: float
) -> None:
    rep = classify(store, {"R1": ratios})["R1"]
    assert rep.slope == pytest.approx(slope)
    assert rep.trend == trend


def test_under_performer_is_compared_with_the_top_performers_medians(
    store: Any, con: duckdb.DuckDBPyConnection
) -> None:
    deals = [  # id, owner, created, closed, won, amount
        ("O1", "T", "2025-02-01", "2025-02-11", True, 100.0),
        ("O2", "T", "2025-03-01", "2025-03-31", True, 300.0),
        ("O3", "T", "2025-04-01", "2025-04-05", False, 100.0),
        ("O4", "T", "2025-05-01", "2025-05-05", False, 100.0),
        ("O5", "U", "2025-02-01", "2025-03-13", True, 50.0),
        ("O6", "U", "2025-06-01", "2025-06-02", False, 30.0),
        ("O7", "U", "2025-07-01", "2025-07-02", False, 10.0),
        ("O8", "U", "2025-08-01", "2025-08-02", False, 10.0),
        ("O9", "U", "2024-06-01", "2024-06-02", True, 999.0),  # before the window
    ]
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
        "stage, is_won, amount) VALUES (?, ?, ?, ?, 'closed', ?, ?)",
        deals,
    )
    for rep, count in (("T", 365), ("U", 73)):
        con.execute(
            "INSERT INTO activities (activity_id, rep_id, type, occurred_at) "
            "SELECT ? || i, ?, 'call', TIMESTAMP '2025-01-01 10:00' + i * INTERVAL 1 DAY "
            f"FROM range({count}) t(i)",
            [rep, rep],
        )
    found = {
        c.rep_id: c for c in classify_reps(store, frame({"T": [1.2] * 4, "U": [0.5] * 4}), AS_OF)
    }
    top, under = found["T"], found["U"]
    assert top.performance_class == "top_performer" and under.performance_class == "under_performer"
    assert top.metrics.win_rate == 0.5 and top.metrics.avg_won_deal == 200.0
    assert top.metrics.median_cycle_days == 20.0
    assert top.metrics.activities_per_week == pytest.approx(7.0)
    assert top.metrics.pipeline_per_period == 150.0
    assert under.metrics.win_rate == 0.25 and under.metrics.avg_won_deal == 50.0
    assert under.metrics.median_cycle_days == 40.0
    assert under.metrics.activities_per_week == pytest.approx(1.4)
    assert under.metrics.pipeline_per_period == 25.0
    assert under.top_medians == top.metrics
    assert under.differences.win_rate == -0.25
    assert under.differences.avg_won_deal == -150.0
    assert under.differences.median_cycle_days == 20.0
    assert under.differences.activities_per_week == pytest.approx(-5.6)
    assert under.differences.pipeline_per_period == -125.0


def test_without_top_performers_there_is_nothing_to_compare_with(store: Any) -> None:
    rep = classify(store, {"R1": [1.0, 1.0, 1.0, 0.5]})["R1"]
    assert rep.top_medians.win_rate is None and rep.differences.activities_per_week is None
    assert rep.metrics.activities_per_week == 0.0
