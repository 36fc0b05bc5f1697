"""Pacing: daily and weekly targets, the seasonal shape, and status as of a date.

The pacing organisation works period P, 2-13 March 2026 (10 business days). As of Friday
6 March, half of each full target is expected:

    rep    team  target        won by 6 March   pace      status
    fast   t1    100           60               1.2       ahead
    even   t1    100           50 (+1000 on 9)  1.0       on_pace
    slow   t1    100           45               0.9       behind
    stuck  t2    100           30               0.6       at_risk
    none   t2    0             -                -         on_pace (nothing expected or done)
    bonus  t2    0             5                -         ahead (something done, nothing due)
    late   t2    100 -> 50     -                -         hired Monday 9 March
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest

from attain.metrics.pacing import (
    PacingRow,
    daily_targets,
    pacing,
    previous_periods,
    seasonality_shape,
    weekly_targets,
)
from attain.metrics.periods import BusinessCalendar, Period, quarter_of
from attain.metrics.settings import PerformanceSettings
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb

P = Period(date(2026, 3, 2), date(2026, 3, 13))
FRIDAY = date(2026, 3, 6)
WEEKDAYS = BusinessCalendar()


def test_daily_targets_spread_the_target_evenly_over_business_days_without_holidays() -> None:
    calendar = BusinessCalendar(extra_holidays=frozenset({date(2026, 3, 12)}))
    daily = daily_targets(P, 90.0, calendar)
    assert len(daily) == 9 and pd.Timestamp("2026-03-12") not in daily.index
    assert pd.Timestamp("2026-03-07") not in daily.index  # a Saturday
    assert daily.iloc[0] == pytest.approx(10.0) and daily.sum() == pytest.approx(90.0)


def test_weekly_targets_are_indexed_by_monday_and_sum_to_the_target() -> None:
    # Wednesday 1 to Tuesday 14 April: 3 + 5 + 2 business days.
    weekly = weekly_targets(Period(date(2026, 4, 1), date(2026, 4, 14)), 100.0, WEEKDAYS)
    assert weekly.to_dict() == pytest.approx(
        {
            pd.Timestamp("2026-03-30"): 30.0,
            pd.Timestamp("2026-04-06"): 50.0,
            pd.Timestamp("2026-04-13"): 20.0,
        }
    )


def test_a_shape_weights_each_week_of_the_period_and_still_sums_to_target() -> None:
    three_weeks = Period(date(2026, 3, 2), date(2026, 3, 20))
    shape = pd.Series({0: 1.5, 1: 0.5})  # the third week is unknown: it gets the average, 1.0
    weekly = weekly_targets(three_weeks, 150.0, WEEKDAYS, shape)
    assert list(weekly) == pytest.approx([75.0, 25.0, 50.0])
    daily = daily_targets(three_weeks, 150.0, WEEKDAYS, shape)
    assert daily.iloc[0] == pytest.approx(15.0) and daily.sum() == pytest.approx(150.0)


def test_previous_periods_are_quarters_for_a_quarter_and_equal_lengths_otherwise() -> None:
    quarters = previous_periods(quarter_of(date(2026, 2, 1)))
    assert [q.label for q in quarters] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    fortnights = previous_periods(Period(date(2026, 3, 2), date(2026, 3, 15)), 2)
    assert fortnights == [
        Period(date(2026, 2, 2), date(2026, 2, 15)),
        Period(date(2026, 2, 16), date(2026, 3, 1)),
    ]


@pytest.fixture(scope="module")
def history() -> Iterator[Any]:
    """Two past fortnights (Monday to Sunday): 30 then 10 booked, and 10 then 10."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO reps (rep_id, name, role) VALUES ('r1', 'Ada', 'rep')")
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, closed_at, stage, is_won, amount)"
        " VALUES (?, 'r1', ?, 'won', true, ?)",
        [
            ("h1", "2026-02-03 10:00", 30.0),
            ("h2", "2026-02-11 10:00", 10.0),
            ("h3", "2026-02-17 10:00", 10.0),
            ("h4", "2026-02-24 10:00", 10.0),
        ],
    )
    con.execute(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES ('r1', '2026-03-02', '2026-03-15', 'bookings', 100, NULL)"
    )
    yield backend
    backend.disconnect()


FORTNIGHTS = [
    Period(date(2026, 2, 2), date(2026, 2, 15)),
    Period(date(2026, 2, 16), date(2026, 3, 1)),
]


def test_seasonal_shape_is_the_average_weekly_pace_of_past_periods(history: Any) -> None:
    shape = seasonality_shape(history, "bookings", FORTNIGHTS, WEEKDAYS)
    # Paces 1.5 and 0.5 (30 of 40 in half the days), then 1.0 and 1.0.
    assert shape.to_dict() == pytest.approx({0: 1.25, 1: 0.75})


def test_seasonal_shape_sums_to_target_once_applied(history: Any) -> None:
    shape = seasonality_shape(history, "bookings", FORTNIGHTS, WEEKDAYS)
    weekly = weekly_targets(Period(date(2026, 3, 2), date(2026, 3, 15)), 100.0, WEEKDAYS, shape)
    assert list(weekly) == pytest.approx([62.5, 37.5])


def test_a_holiday_week_is_not_mistaken_for_a_slow_one(history: Any) -> None:
    # 13 February off: week two has 4 business days for its 10 of 40, week one 5 for 30.
    calendar = BusinessCalendar(extra_holidays=frozenset({date(2026, 2, 13)}))
    shape = seasonality_shape(history, "bookings", FORTNIGHTS[:1], calendar)
    assert shape.to_dict() == pytest.approx({0: (30 / 40) / (5 / 9), 1: (10 / 40) / (4 / 9)})


def test_periods_without_any_value_leave_the_shape_empty(history: Any) -> None:
    empty = [Period(date(2025, 6, 2), date(2025, 6, 15))]
    assert seasonality_shape(history, "bookings", empty, WEEKDAYS).empty
    assert seasonality_shape(history, "bookings", [], WEEKDAYS).empty


def test_seasonal_pacing_expects_more_in_weeks_that_usually_book_more(history: Any) -> None:
    targets = quota_targets(history)
    seasonal = PerformanceSettings(seasonal_pacing=True)
    (company, *_rest) = pacing(history, targets, FRIDAY, seasonal)
    assert company.expected_to_date == pytest.approx(62.5)
    (even, *_rest) = pacing(history, targets, FRIDAY)
    assert even.expected_to_date == pytest.approx(50.0)


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO teams (team_id, name) VALUES ('t1', 'One'), ('t2', 'Two')")
    reps = [
        ("fast", "t1", None, 100.0),
        ("even", "t1", None, 100.0),
        ("slow", "t1", None, 100.0),
        ("stuck", "t2", None, 100.0),
        ("none", "t2", None, 0.0),
        ("bonus", "t2", None, 0.0),
        ("late", "t2", "2026-03-09", 100.0),
    ]
    con.executemany(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date) VALUES (?, ?, ?, 'rep', ?)",
        [(rep, rep.title(), team, hired) for rep, team, hired, _ in reps],
    )
    con.executemany(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES (?, ?, ?, 'bookings', ?, NULL)",
        [(rep, P.start, P.end, target) for rep, _, _, target in reps],
    )
    won = [
        ("fast", "2026-03-03 10:00", 60.0),
        ("even", "2026-03-04 10:00", 50.0),
        ("even", "2026-03-09 10:00", 1000.0),  # after 6 March: not yet
        ("slow", "2026-03-05 10:00", 45.0),
        ("stuck", "2026-03-06 10:00", 30.0),
        ("bonus", "2026-03-02 10:00", 5.0),
    ]
    con.executemany(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, closed_at, stage, is_won, amount)"
        " VALUES (?, ?, ?, 'won', true, ?)",
        [(f"o{i}", rep, at, amount) for i, (rep, at, amount) in enumerate(won)],
    )
    yield backend
    backend.disconnect()


def paced(
    backend: Any, as_of: date, settings: PerformanceSettings | None = None
) -> dict[str, PacingRow]:
    return {row.id: row for row in pacing(backend, quota_targets(backend), as_of, settings)}


def test_status_follows_actual_over_expected_to_date(org: Any) -> None:
    rows = paced(org, FRIDAY)
    assert {rep: rows[rep].status for rep in ("fast", "even", "slow", "stuck")} == {
        "fast": "ahead",
        "even": "on_pace",
        "slow": "behind",
        "stuck": "at_risk",
    }
    assert rows["slow"].pace_ratio == pytest.approx(0.9)


def test_a_rep_behind_sees_the_gap_and_the_daily_rate_needed_for_the_rest_of_the_period(
    org: Any,
) -> None:
    stuck = paced(org, FRIDAY)["stuck"]
    assert (stuck.expected_to_date, stuck.actual_to_date) == pytest.approx((50.0, 30.0))
    assert stuck.gap == pytest.approx(-20.0) and stuck.remaining_target == pytest.approx(70.0)
    assert stuck.business_days_left == 5 and stuck.required_daily_rate == pytest.approx(14.0)


def test_with_a_zero_target_doing_nothing_is_on_pace_and_doing_anything_is_ahead(
    org: Any,
) -> None:
    rows = paced(org, FRIDAY)
    assert (rows["none"].status, rows["none"].pace_ratio) == ("on_pace", None)
    assert (rows["bonus"].status, rows["bonus"].pace_ratio) == ("ahead", None)
    assert rows["bonus"].remaining_target == 0.0 and rows["bonus"].required_daily_rate == 0.0


def test_a_rep_hired_mid_period_is_expected_to_sell_only_from_the_day_they_joined(
    org: Any,
) -> None:
    before = paced(org, FRIDAY)["late"]
    assert (before.target, before.expected_to_date, before.status) == (50.0, 0.0, "on_pace")
    after = paced(org, date(2026, 3, 10))["late"]  # 2 of the 5 days employed
    assert after.expected_to_date == pytest.approx(20.0) and after.status == "at_risk"
    assert after.business_days_left == 3


def test_teams_and_the_company_are_paced_on_their_summed_targets(org: Any) -> None:
    rows = paced(org, FRIDAY)
    one = rows["t1"]
    assert (one.scope, one.name, one.target) == ("team", "One", 300.0)
    assert (one.expected_to_date, one.actual_to_date) == pytest.approx((150.0, 155.0))
    assert one.status == "on_pace" and one.required_daily_rate == pytest.approx(29.0)
    company = rows["company"]
    assert (company.target, company.expected_to_date, company.actual_to_date) == pytest.approx(
        (450.0, 200.0, 190.0)
    )
    assert company.status == "on_pace" and company.business_days_left == 5


def test_a_weekend_as_of_date_expects_what_friday_did(org: Any) -> None:
    saturday = paced(org, date(2026, 3, 7))["stuck"]
    assert saturday.expected_to_date == pytest.approx(50.0) and saturday.business_days_left == 5


def test_on_the_last_day_an_unmet_target_has_no_achievable_daily_rate(org: Any) -> None:
    stuck = paced(org, P.end)["stuck"]
    assert stuck.business_days_left == 0 and stuck.required_daily_rate is None
    assert stuck.expected_to_date == pytest.approx(100.0)


def test_the_status_thresholds_come_from_the_settings(org: Any) -> None:
    strict = PerformanceSettings(ahead_ratio=1.5, on_pace_ratio=1.1, behind_ratio=0.95)
    rows = paced(org, FRIDAY, strict)
    assert (rows["fast"].status, rows["even"].status, rows["slow"].status) == (
        "on_pace",
        "behind",
        "at_risk",
    )


def test_periods_that_do_not_contain_the_as_of_date_are_not_paced(org: Any) -> None:
    assert pacing(org, quota_targets(org), date(2026, 4, 1)) == []


def test_this_weeks_target_is_the_weeks_share_and_counts_only_this_weeks_work(org: Any) -> None:
    # Tuesday 10 March: the week of Monday 9 March holds 5 of P's 10 business days.
    rows = paced(org, date(2026, 3, 10))
    even = rows["even"]
    assert even.week_start == date(2026, 3, 9)
    assert (even.week_target, even.week_actual) == pytest.approx((50.0, 1000.0))
    assert rows["late"].week_target == pytest.approx(50.0)  # hired on the 9th: all of it
    assert rows["t1"].week_target == pytest.approx(150.0)
