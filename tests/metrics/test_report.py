"""The report's as-of date, target source and sales numbers, on hand-built data."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from attain.metrics.periods import Period
from attain.metrics.report import performance_report
from attain.metrics.sales import rep_sales


@pytest.fixture
def deals(con: duckdb.DuckDBPyConnection) -> None:
    """R1 won 100 and lost one deal in Q4 2025; R2 won 40 on the quarter's last evening."""
    con.execute(
        "INSERT INTO reps (rep_id, name, role) VALUES ('R1', 'Ray', 'rep'), ('R2', 'Rae', 'rep')"
    )
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, stage, created_at, closed_at, "
        "is_won, amount) VALUES "
        "('O1', 'R1', 'Won', '2025-10-01', '2025-11-01 10:00', true, 100), "
        "('O2', 'R1', 'Lost', '2025-10-01', '2025-11-02 10:00', false, 0), "
        "('O3', 'R2', 'Won', '2025-10-01', '2025-12-31 23:00', true, 40)"
    )


def test_rep_sales_count_won_lost_and_win_rate(store: Any, deals: None) -> None:
    q4 = Period(date(2025, 10, 1), date(2025, 12, 31))
    found = {row.rep_id: row for row in rep_sales(store, q4)}
    assert (found["R1"].bookings, found["R1"].won, found["R1"].lost) == (100.0, 1, 1)
    assert found["R1"].win_rate == 0.5
    assert found["R2"].win_rate == 1.0


def test_a_deal_closed_late_on_new_years_eve_in_utc_is_next_year_in_tokyo(
    store: Any, deals: None
) -> None:
    q4 = Period(date(2025, 10, 1), date(2025, 12, 31))
    assert {row.rep_id for row in rep_sales(store, q4, zone="Asia/Tokyo")} == {"R1"}


def test_old_data_is_reported_as_of_its_last_day_with_a_note(store: Any, deals: None) -> None:
    report = performance_report(store, today=date(2026, 11, 25))
    assert report.as_of == date(2025, 12, 31)
    assert report.period == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert any("data through 2025-12-31" in note for note in report.notes)


def test_without_quotas_or_target_the_target_sections_are_skipped(store: Any, deals: None) -> None:
    report = performance_report(store, as_of=date(2025, 12, 31))
    assert report.target_source == "none"
    assert report.attainment is None and report.pacing == [] and report.classification == []
    assert {skip.section for skip in report.skipped} == {
        "attainment",
        "pacing",
        "coverage",
        "classification",
        "goals",
    }


def test_a_flat_target_applies_to_every_selling_rep(store: Any, deals: None) -> None:
    report = performance_report(store, as_of=date(2025, 12, 31), target=100.0)
    assert report.attainment is not None
    q4 = [
        row
        for row in report.attainment.rows
        if row.scope == "rep" and row.period_start == date(2025, 10, 1)
    ]
    assert {(row.id, row.target, row.actual) for row in q4} == {
        ("R1", 100.0, 100.0),
        ("R2", 100.0, 40.0),
    }
