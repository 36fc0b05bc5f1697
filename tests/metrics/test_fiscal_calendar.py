"""Fiscal calendars (issue 21): a year from February on 4-4-5 quarters, and calendar quarters
unchanged.

A retail calendar whose year starts in February, weeks Sunday to Saturday, each year ending on
the last Saturday of January: FY2027 runs from Sunday 1 February 2026 to Saturday 30 January
2027 (52 weeks). Its quarters are 13 weeks (91 days) each:

    FY2027-Q1  2026-02-01 .. 2026-05-02
    FY2027-Q2  2026-05-03 .. 2026-08-01
    FY2027-Q3  2026-08-02 .. 2026-10-31
    FY2027-Q4  2026-11-01 .. 2027-01-30

FY2026 ended on Saturday 31 January 2026 and had 53 weeks: its fourth quarter has 14 (98
days, 2025-10-26 .. 2026-01-31). FY2027-Q3 holds 13 whole weeks, 65 weekdays; with the US
public holidays Labor Day (7 September) and Columbus Day (12 October), 63 business days. A
target of 6,300 is 100 a business day: 500 in the quarter's first week (Sunday 2 August), 400
in Labor Day's week (Sunday 6 September).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from attain.config import Settings
from attain.metrics.attainment import attainment_report
from attain.metrics.pacing import pacing, weekly_targets
from attain.metrics.periods import (
    BusinessCalendar,
    FiscalCalendar,
    Period,
    business_hours_between,
    parse_quarter,
    quarter_of,
    quarters_between,
    use_calendar,
    week_start,
)
from attain.metrics.settings import PerformanceSettings
from attain.metrics.targets import quota_targets, rep_time_zones
from attain.store import connect, raw_duckdb
from attain.workflow.compensation import parse_period

RETAIL = FiscalCalendar(start_month=2, pattern="4-4-5", week_start="sunday")
Q3 = Period(date(2026, 8, 2), date(2026, 10, 31))


@pytest.fixture
def retail() -> Iterator[FiscalCalendar]:
    with use_calendar(RETAIL) as calendar:
        yield calendar


def test_quarter_boundaries_and_labels(retail: FiscalCalendar) -> None:
    found = [
        (q.label, q.start, q.end) for q in quarters_between(date(2026, 2, 1), date(2027, 1, 30))
    ]
    assert found == [
        ("FY2027-Q1", date(2026, 2, 1), date(2026, 5, 2)),
        ("FY2027-Q2", date(2026, 5, 3), date(2026, 8, 1)),
        ("FY2027-Q3", date(2026, 8, 2), date(2026, 10, 31)),
        ("FY2027-Q4", date(2026, 11, 1), date(2027, 1, 30)),
    ]
    fifty_three = quarter_of(date(2026, 1, 31))
    assert (fifty_three.label, fifty_three.start, fifty_three.days) == (
        "FY2026-Q4",
        date(2025, 10, 26),
        98,
    )
    assert parse_quarter("FY2027-Q3") == Q3 and parse_period("fy2027q3") == Q3
    assert week_start(date(2026, 9, 9)) == date(2026, 9, 6)  # a Wednesday: its Sunday


def test_business_days_and_weekly_targets_with_a_regional_holiday(retail: FiscalCalendar) -> None:
    us = BusinessCalendar("US")
    assert us.count_business_days(Q3.start, Q3.end) == 63
    weekly = weekly_targets(Q3, 6300.0, us)
    assert len(weekly) == 13 and weekly.sum() == pytest.approx(6300.0)
    assert weekly[pd.Timestamp("2026-08-02")] == pytest.approx(500.0)
    assert weekly[pd.Timestamp("2026-09-06")] == pytest.approx(400.0)


def test_attainment_of_a_fiscal_quarter(retail: FiscalCalendar) -> None:
    """A quota given for FY2027-Q3 and 3,150 won in it: 50%, labelled as the fiscal quarter."""
    backend = connect(":memory:")
    try:
        con = raw_duckdb(backend)
        con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'One')")
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role) VALUES ('r1', 'Ray', 'T1', 'rep')"
        )
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target) "
            "VALUES ('r1', '2026-08-02', '2026-10-31', 'bookings', 6300)"
        )
        con.execute(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "stage, is_won, amount) VALUES "
            "('d1', 'r1', '2026-08-05', '2026-09-15 10:00', 'won', true, 3150), "
            "('d2', 'r1', '2026-07-01', '2026-08-01 10:00', 'won', true, 999)"  # FY2027-Q2
        )
        report = attainment_report(backend, quota_targets(backend, "bookings"))
        rep = next(row for row in report.rows if row.scope == "rep")
        assert Period(rep.period_start, rep.period_end).label == "FY2027-Q3"
        assert (rep.target, rep.actual, rep.attainment) == (6300.0, 3150.0, 0.5)
    finally:
        backend.disconnect()


def test_calendar_quarters_are_unchanged() -> None:
    q4 = quarter_of(date(2026, 11, 3))
    assert (q4.label, q4.start, q4.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2026-Q4") == q4 and week_start(date(2026, 11, 4)) == date(2026, 11, 2)
    weekly = weekly_targets(q4, 6300.0, BusinessCalendar())
    assert weekly.index[0] == pd.Timestamp("2026-09-28")  # the Monday of 1 October's week


def test_months_from_february_and_the_setting() -> None:
    calendar = Settings(calendar={"start_month": 2}).calendar.fiscal()
    with use_calendar(calendar):
        first = parse_quarter("FY2027-Q1")
        assert first == Period(date(2026, 2, 1), date(2026, 4, 30))
        assert quarter_of(date(2027, 1, 15)).label == "FY2027-Q4"


def _hours(start: str, end: str, zone: str, calendar: BusinessCalendar | None = None) -> float:
    found = business_hours_between(
        pd.Series([pd.Timestamp(start)]),
        pd.Series([pd.Timestamp(end)]),
        pd.Series([zone]),
        (9, 17),
        calendar,
    )
    return float(found[0])


def test_a_lead_answered_at_09_10_local_time_was_answered_in_the_first_business_hour() -> None:
    """A lead qualified on Monday 2 March 2026 at 17:30 UTC reaches a Singapore rep at 01:30 on
    Tuesday, local time; answered at 09:10 there (01:10 UTC), it waited 10 working minutes, not
    7 hours 40. For a rep in London the same lead came after hours and was answered before the
    office opened: no working time at all."""
    assert _hours("2026-03-02 17:30", "2026-03-03 01:10", "Asia/Singapore") == pytest.approx(
        10 / 60
    )
    assert _hours("2026-03-02 17:30", "2026-03-03 01:10", "Europe/London") == 0.0


def test_working_hours_skip_the_weekend_holidays_and_follow_daylight_saving() -> None:
    """New York: Friday 6 March 2026 15:00 EST (20:00 UTC) to Monday 9 March 10:30 EDT (14:30
    UTC, after clocks went forward on 8 March): 2 hours on Friday and 1.5 on Monday. Over
    Labor Day weekend (Friday 4 September 16:00 EDT to Tuesday 8 September 10:00 EDT) the US
    calendar drops Monday: 1 + 1 hours."""
    assert _hours("2026-03-06 20:00", "2026-03-09 14:30", "America/New_York") == pytest.approx(3.5)
    us = BusinessCalendar("US")
    labor_day = _hours("2026-09-04 20:00", "2026-09-08 14:00", "America/New_York", us)
    assert labor_day == pytest.approx(2.0)
    assert _hours("2026-09-04 20:00", "2026-09-08 14:00", "America/New_York") == pytest.approx(10.0)


def test_business_hours_are_a_setting() -> None:
    calendar = Settings(calendar={"business_hours": (9, 17)}).calendar.fiscal()
    assert calendar.business_hours == (9, 17)


def test_each_region_works_its_own_public_holidays() -> None:
    """From 1 to 31 December 2026 there are 23 weekdays. A rep in a US team loses Christmas
    (22 business days left after 30 November); one in a UK team loses Christmas and the
    Boxing Day holiday moved to Monday 28 December (21)."""
    backend = connect(":memory:")
    try:
        con = raw_duckdb(backend)
        con.execute(
            "INSERT INTO teams (team_id, name, region) VALUES ('T1', 'Boston', 'AMER'), "
            "('T2', 'London', 'EMEA')"
        )
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role) VALUES ('amy', 'Amy', 'T1', 'rep'), "
            "('lee', 'Lee', 'T2', 'rep')"
        )
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target) VALUES "
            "('amy', '2026-10-01', '2026-12-31', 'bookings', 1000), "
            "('lee', '2026-10-01', '2026-12-31', 'bookings', 1000)"
        )
        settings = PerformanceSettings(
            holiday_country="US", region_holidays={"EMEA": "GB", "AMER": "US"}
        )
        rows = pacing(backend, quota_targets(backend, "bookings"), date(2026, 11, 30), settings)
    finally:
        backend.disconnect()
    left = {row.id: row.business_days_left for row in rows if row.scope == "rep"}
    assert left == {"amy": 22, "lee": 21}


def test_a_rep_s_time_zone_is_their_own_else_their_team_s_else_the_company_s() -> None:
    backend = connect(":memory:")
    try:
        con = raw_duckdb(backend)
        con.execute(
            "INSERT INTO teams (team_id, name, time_zone) VALUES ('T1', 'APAC', 'Asia/Singapore'), "
            "('T2', 'Home', NULL)"
        )
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role, time_zone) VALUES "
            "('ana', 'Ana', 'T1', 'rep', 'Australia/Sydney'), ('bo', 'Bo', 'T1', 'rep', NULL), "
            "('cy', 'Cy', 'T2', 'rep', NULL)"
        )
        zones = rep_time_zones(backend, "Europe/London")
    finally:
        backend.disconnect()
    assert zones == {"ana": "Australia/Sydney", "bo": "Asia/Singapore", "cy": "Europe/London"}
