"""Quarters, business days and daily actuals: what the performance report is built on.

Daily actuals are read from a tiny store: two reps, a handful of deals and activities, with
timestamps placed either side of local midnight (and of a DST change) on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest

from attain.errors import ConfigError
from attain.metrics.facts import daily_actuals, is_countable
from attain.metrics.periods import BusinessCalendar, Period, quarter_of, quarters_between
from attain.store import connect, raw_duckdb

NEW_YORK = "America/New_York"  # EST (UTC-5) until 2026-03-08 02:00, then EDT (UTC-4)


def test_quarter_of_a_day_is_its_calendar_quarter_with_both_ends_inclusive() -> None:
    assert quarter_of(date(2026, 2, 14)) == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_of(date(2026, 12, 31)) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2026, 2, 14)).label == "2026-Q1"
    assert quarter_of(date(2026, 2, 14)).days == 90


def test_a_period_that_is_not_a_quarter_is_labelled_by_its_dates() -> None:
    assert Period(date(2026, 3, 2), date(2026, 3, 13)).label == "2026-03-02..2026-03-13"


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_quarters_between_lists_every_overlapping_quarter_across_a_year_end() -> None:
    quarters = quarters_between(date(2025, 11, 15), date(2026, 4, 2))
    assert [quarter.label for quarter in quarters] == ["2025-Q4", "2026-Q1", "2026-Q2"]


def test_business_days_are_weekdays_without_the_countrys_public_holidays() -> None:
    q1 = quarter_of(date(2026, 1, 1))
    assert len(BusinessCalendar().business_days(q1)) == 64  # 22 + 20 + 22 weekdays
    us = BusinessCalendar("US")
    # New Year's Day, Martin Luther King Jr. Day, Washington's Birthday.
    assert us.holidays_in(q1) == {date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16)}
    assert len(us.business_days(q1)) == 61
    assert pd.Timestamp("2026-01-19") not in us.business_days(q1)


def test_an_observed_holiday_on_a_friday_is_not_a_business_day() -> None:
    q3 = quarter_of(date(2026, 7, 1))
    us = BusinessCalendar("US")
    assert {date(2026, 7, 3), date(2026, 9, 7)} <= us.holidays_in(q3)  # July 4th is a Saturday
    assert len(us.business_days(q3)) == 66 - 2


def test_company_holidays_are_removed_too_and_only_inside_the_period() -> None:
    calendar = BusinessCalendar(extra_holidays=frozenset({date(2026, 3, 12), date(2026, 5, 1)}))
    two_weeks = Period(date(2026, 3, 2), date(2026, 3, 13))
    assert calendar.holidays_in(two_weeks) == {date(2026, 3, 12)}
    assert calendar.count_business_days(two_weeks.start, two_weeks.end) == 9
    assert calendar.count_business_days(date(2026, 3, 7), date(2026, 3, 8)) == 0  # weekend
    assert calendar.count_business_days(date(2026, 3, 13), date(2026, 3, 2)) == 0  # reversed


def test_an_unknown_holiday_country_says_which_codes_work() -> None:
    with pytest.raises(ConfigError, match="ISO code"):
        BusinessCalendar("Narnia").holidays_in(quarter_of(date(2026, 1, 1)))


@pytest.fixture(scope="module")
def facts() -> Iterator[Any]:
    """Two reps, r1 and r2; account acc1 was first won by r1 in January, again by r2 in March."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute(
        "INSERT INTO reps (rep_id, name, role) VALUES ('r1', 'Ada', 'rep'), ('r2', 'Bo', 'rep')"
    )
    con.execute("INSERT INTO accounts (account_id, name) VALUES ('acc1', 'A'), ('acc2', 'B')")
    con.execute(
        """INSERT INTO opportunities
        (opportunity_id, account_id, owner_rep_id, created_at, closed_at, stage, is_won, amount)
        VALUES
        ('o1', 'acc1', 'r1', '2026-01-02 10:00', '2026-01-05 10:00', 'won', true, 500),
        ('o2', 'acc1', 'r2', '2026-03-02 10:00', '2026-03-03 10:00', 'won', true, 100),
        ('o3', 'acc2', 'r2', '2026-03-02 11:00', '2026-03-03 12:00', 'won', true, 40),
        ('o4', 'acc2', 'r2', '2026-03-02 12:00', '2026-03-03 13:00', 'lost', false, 999),
        ('o5', 'acc2', 'r1', '2026-03-03 09:00', NULL, 'open', NULL, 70)"""
    )
    con.execute(
        """INSERT INTO activities (activity_id, rep_id, type, occurred_at) VALUES
        ('a1', 'r1', 'meeting', '2026-03-03 10:00'),
        ('a2', 'r1', 'demo', '2026-03-03 11:00'),
        ('a3', 'r1', 'call', '2026-03-03 12:00'),
        ('a4', 'r1', 'email', '2026-03-03 13:00'),
        ('a5', 'r2', 'call', '2026-03-04 09:00')"""
    )
    yield backend
    backend.disconnect()


def _values(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {
        (str(rep), str(day.date())): float(value)
        for rep, day, value in frame[["rep_id", "day", "value"]].itertuples(index=False)
    }


MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def test_bookings_sum_won_deal_amounts_on_the_day_they_closed(facts: Any) -> None:
    assert _values(daily_actuals(facts, "bookings", *MARCH)) == {("r2", "2026-03-03"): 140.0}


def test_a_new_logo_is_the_first_ever_win_at_an_account(facts: Any) -> None:
    # acc1's first win was r1's in January: r2's March win there is not a new logo.
    assert _values(daily_actuals(facts, "new_logos", *MARCH)) == {("r2", "2026-03-03"): 1.0}
    january = daily_actuals(facts, "new_logos", date(2026, 1, 1), date(2026, 1, 31))
    assert _values(january) == {("r1", "2026-01-05"): 1.0}


def test_meetings_count_meetings_and_demos_calls_count_calls_activities_count_all(
    facts: Any,
) -> None:
    assert _values(daily_actuals(facts, "meetings", *MARCH)) == {("r1", "2026-03-03"): 2.0}
    assert _values(daily_actuals(facts, "calls", *MARCH)) == {
        ("r1", "2026-03-03"): 1.0,
        ("r2", "2026-03-04"): 1.0,
    }
    assert _values(daily_actuals(facts, "activities", *MARCH)) == {
        ("r1", "2026-03-03"): 4.0,
        ("r2", "2026-03-04"): 1.0,
    }


def test_opportunities_and_pipeline_created_count_deals_by_the_day_they_were_opened(
    facts: Any,
) -> None:
    assert _values(daily_actuals(facts, "opportunities_created", *MARCH)) == {
        ("r1", "2026-03-03"): 1.0,
        ("r2", "2026-03-02"): 3.0,
    }
    assert _values(daily_actuals(facts, "pipeline_created", *MARCH)) == {
        ("r1", "2026-03-03"): 70.0,
        ("r2", "2026-03-02"): 1139.0,
    }


def test_every_quota_metric_is_countable_and_others_are_refused(facts: Any) -> None:
    assert is_countable("bookings") and not is_countable("revenue")
    with pytest.raises(KeyError):
        daily_actuals(facts, "revenue", *MARCH)


def test_a_window_with_nothing_in_it_gives_an_empty_frame_with_the_columns(facts: Any) -> None:
    empty = daily_actuals(facts, "bookings", date(2025, 6, 1), date(2025, 6, 30))
    assert list(empty.columns) == ["rep_id", "day", "value"] and empty.empty


@pytest.fixture
def night_calls() -> Iterator[Any]:
    """Calls logged around local midnight in New York and Tokyo, before and after 8 March 2026."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO reps (rep_id, name, role) VALUES ('r1', 'Ada', 'rep')")
    times = [
        "2026-03-06 04:30",  # New York (EST) 5 Mar 23:30; Tokyo 6 Mar 13:30
        "2026-03-10 04:30",  # New York (EDT) 10 Mar 00:30: the same UTC clock, the next day
        "2026-03-10 03:59",  # New York (EDT) 9 Mar 23:59
        "2026-03-10 15:00",  # Tokyo 11 Mar 00:00 exactly
    ]
    con.executemany(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at)"
        " VALUES (?, 'r1', 'call', ?)",
        [(f"c{i}", at) for i, at in enumerate(times)],
    )
    yield backend
    backend.disconnect()


def test_a_timestamp_counts_on_the_local_day_it_happened_across_a_dst_change(
    night_calls: Any,
) -> None:
    local = daily_actuals(night_calls, "calls", *MARCH, zone=NEW_YORK)
    assert _values(local) == {
        ("r1", "2026-03-05"): 1.0,
        ("r1", "2026-03-09"): 1.0,
        ("r1", "2026-03-10"): 2.0,  # 00:30 EDT and 11:00 EDT
    }


def test_local_midnight_starts_the_next_day(night_calls: Any) -> None:
    tokyo = daily_actuals(night_calls, "calls", *MARCH, zone="Asia/Tokyo")
    assert _values(tokyo) == {
        ("r1", "2026-03-06"): 1.0,
        ("r1", "2026-03-10"): 2.0,  # 13:30 and 12:59 on 10 March
        ("r1", "2026-03-11"): 1.0,  # 00:00 on 11 March
    }


def test_the_window_is_applied_to_local_days(night_calls: Any) -> None:
    # 2026-03-06 04:30 UTC is still 5 March in New York, outside a window starting 6 March.
    window = daily_actuals(night_calls, "calls", date(2026, 3, 6), date(2026, 3, 9), NEW_YORK)
    assert _values(window) == {("r1", "2026-03-09"): 1.0}
    utc = daily_actuals(night_calls, "calls", date(2026, 3, 6), date(2026, 3, 9))
    assert _values(utc) == {("r1", "2026-03-06"): 1.0}
