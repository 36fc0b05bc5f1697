"""Targets: which quota revision is in force, and pro-rating for reps employed part of a period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from attain.metrics.periods import BusinessCalendar, Period, quarter_of
from attain.metrics.targets import TARGET_COLUMNS, quota_targets, synthetic_targets
from attain.store import connect, raw_duckdb

Q1 = quarter_of(date(2026, 1, 1))  # 64 weekdays; 61 business days in the US
TWO_WEEKS = Period(date(2026, 3, 2), date(2026, 3, 13))  # Monday to Friday: 10 weekdays


@pytest.fixture
def store() -> Iterator[Any]:
    backend = connect(":memory:")
    yield backend
    backend.disconnect()


def add_reps(
    con: duckdb.DuckDBPyConnection, *reps: tuple[str, str, str | None, str | None]
) -> None:
    """Reps as (rep_id, role, hire_date, end_date)."""
    con.executemany(
        "INSERT INTO reps (rep_id, name, role, hire_date, end_date) VALUES (?, ?, ?, ?, ?)",
        [(rep, rep.title(), role, hired, left) for rep, role, hired, left in reps],
    )


def add_quotas(
    con: duckdb.DuckDBPyConnection, period: Period, *rows: tuple[str, str, float, str | None]
) -> None:
    """Quota revisions as (rep_id, metric, target, set_at) for `period`."""
    con.executemany(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(rep, period.start, period.end, metric, t, at) for rep, metric, t, at in rows],
    )


def only(frame: Any) -> dict[str, Any]:
    assert len(frame) == 1
    row: dict[str, Any] = frame.iloc[0].to_dict()
    return row


def test_the_quota_in_force_is_the_latest_revision_set_before_the_period(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", None, None))
    add_quotas(
        con,
        Q1,
        ("ada", "bookings", 150.0, "2026-02-01 10:00"),  # a mid-quarter raise
        ("ada", "bookings", 100.0, None),  # set before the period, time unknown
        ("ada", "bookings", 120.0, "2025-12-20 10:00"),
    )
    row = only(quota_targets(store))
    assert row["target"] == 120.0 and row["quota_target"] == 120.0 and not row["prorated"]
    assert row["revisions"] == 3
    assert row["revision_history"] == [
        (None, 100.0),
        (datetime(2025, 12, 20, 10), 120.0),
        (datetime(2026, 2, 1, 10), 150.0),
    ]
    assert (row["period_start"], row["period_end"]) == (Q1.start, Q1.end)


@pytest.mark.parametrize(
    ("revisions", "in_force"),
    [
        pytest.param(
            [(90.0, "2026-02-01 09:00"), (80.0, "2026-01-10 09:00")],
            80.0,
            id="every-revision-after-the-start-the-earliest",
        ),
        pytest.param(
            [(100.0, "2025-12-15 09:00"), (110.0, "2026-01-01 09:00")],
            110.0,
            id="set-during-the-first-day-of-the-period",
        ),
    ],
)
def test_which_revision_is_in_force(
    store: Any, revisions: list[tuple[float, str]], in_force: float
) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", None, None))
    add_quotas(con, Q1, *(("ada", "bookings", amount, at) for amount, at in revisions))
    assert only(quota_targets(store))["target"] == in_force


def test_rep_who_joined_mid_quarter_gets_prorated_target(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", "2026-02-15", None))  # a Sunday; 16 February is a US holiday
    add_quotas(con, Q1, ("ada", "bookings", 90.0, None))
    row = only(quota_targets(store, calendar=BusinessCalendar("US")))
    # Employed 17-27 February (9 business days) and all 22 of March: 31 of Q1's 61.
    assert (row["business_days_employed"], row["business_days"]) == (31, 61)
    assert row["target"] == pytest.approx(90.0 * 31 / 61)
    assert row["quota_target"] == 90.0 and row["prorated"]
    assert (row["employed_from"], row["employed_to"]) == (date(2026, 2, 15), Q1.end)


def test_rep_who_left_mid_period_gets_prorated_target(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", "2020-01-01", "2026-03-06"))
    add_quotas(con, TWO_WEEKS, ("ada", "bookings", 100.0, None))
    row = only(quota_targets(store))
    assert row["target"] == 50.0 and row["prorated"]  # 5 of 10 business days


def test_company_holidays_are_not_counted_as_days_employed(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", "2026-03-09", None))
    add_quotas(con, TWO_WEEKS, ("ada", "bookings", 90.0, None))
    calendar = BusinessCalendar(extra_holidays=frozenset({date(2026, 3, 12)}))
    row = only(quota_targets(store, calendar=calendar))
    assert (row["business_days_employed"], row["business_days"]) == (4, 9)
    assert row["target"] == pytest.approx(40.0)


def test_a_rep_employed_the_whole_period_keeps_the_full_quota(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", "2026-03-02", "2026-03-13"))  # first and last day
    add_quotas(con, TWO_WEEKS, ("ada", "bookings", 100.0, None))
    row = only(quota_targets(store))
    assert row["target"] == 100.0 and not row["prorated"]


def test_a_rep_who_left_before_the_period_has_a_zero_target(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", None, "2026-02-27"))
    add_quotas(con, TWO_WEEKS, ("ada", "bookings", 100.0, None))
    row = only(quota_targets(store))
    assert row["target"] == 0.0 and row["prorated"] and row["business_days_employed"] == 0


def test_targets_can_be_read_for_one_metric(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", None, None))
    add_quotas(con, TWO_WEEKS, ("ada", "bookings", 100.0, None), ("ada", "meetings", 8.0, None))
    assert list(quota_targets(store)["metric"]) == ["bookings", "meetings"]
    assert only(quota_targets(store, "meetings"))["target"] == 8.0


def test_a_store_without_quotas_gives_an_empty_frame_with_the_target_columns(store: Any) -> None:
    frame = quota_targets(store)
    assert frame.empty and list(frame.columns) == TARGET_COLUMNS


def test_synthetic_targets_go_to_every_selling_rep_employed_in_each_period(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(
        con,
        ("ada", "rep", None, None),
        ("bo", "rep", "2026-03-09", None),  # joins in the second week
        ("cy", "rep", None, "2026-03-13"),  # leaves at the end of the first period
        ("max", "manager", None, None),
        ("sam", "sdr", None, None),
    )
    second = Period(date(2026, 3, 16), date(2026, 3, 27))
    frame = synthetic_targets(store, 1000.0, [TWO_WEEKS, second], metric="meetings")
    got = {
        (row.rep_id, row.period_start): (row.target, row.prorated)
        for row in frame.itertuples(index=False)
    }
    assert got == {
        ("ada", TWO_WEEKS.start): (1000.0, False),
        ("ada", second.start): (1000.0, False),
        ("bo", TWO_WEEKS.start): (500.0, True),
        ("bo", second.start): (1000.0, False),
        ("cy", TWO_WEEKS.start): (1000.0, False),
    }
    assert set(frame["metric"]) == {"meetings"} and set(frame["quota_target"]) == {1000.0}
    assert set(frame["revisions"]) == {0} and list(frame.columns) == TARGET_COLUMNS


def test_quotas_that_already_allow_for_days_employed_can_be_kept_whole(store: Any) -> None:
    con = raw_duckdb(store)
    add_reps(con, ("ada", "rep", None, "2026-03-06"))
    add_quotas(con, TWO_WEEKS, ("ada", "bookings", 50.0, None))
    row = only(quota_targets(store, prorate=False))
    assert (row["target"], row["prorated"], row["business_days_employed"]) == (50.0, False, 5)
