"""The data's last day: the latest fact dated no later than the import, never a future close date
or a scheduled meeting.

| fact                                  | dated      | counts (import taken 2025-03-10) |
|---------------------------------------|------------|----------------------------------|
| deal O1 created                       | 2025-02-01 | yes                              |
| deal O1 closed won                    | 2025-03-03 | yes                              |
| deal O2 closed lost, date left ahead  | 2025-06-30 | no: after the import             |
| call A1                               | 2025-03-07 | yes: the latest → data through   |
| meeting A2, scheduled                 | 2025-03-20 | no: after the import             |
| lead L1 created                       | 2025-03-05 | yes                              |
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from attain.leads.channels import channel_report
from attain.metrics.report import performance_report
from attain.store import connect, raw_duckdb
from attain.store.ddl import IMPORTS_TABLE
from attain.store.freshness import data_through, latest_import

TAKEN = datetime(2025, 3, 10, 6, 0)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    backend = connect(str(tmp_path / "store.duckdb"))
    con = raw_duckdb(backend)
    con.execute("INSERT INTO reps (rep_id, name, role) VALUES ('R1', 'R1', 'rep')")
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, is_won, "
        "stage, amount) VALUES ('O1', 'R1', '2025-02-01', '2025-03-03', true, 'Won', 100), "
        "('O2', 'R1', '2025-02-02', '2025-06-30', false, 'Lost', 100)"
    )
    con.execute(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at) VALUES "
        "('A1', 'R1', 'call', '2025-03-07 15:00'), ('A2', 'R1', 'meeting', '2025-03-20 10:00')"
    )
    con.execute("INSERT INTO leads (lead_id, created_at) VALUES ('L1', '2025-03-05 09:00')")
    con.execute(
        f"INSERT INTO {IMPORTS_TABLE} (import_id, imported_at, preset, files, rows_loaded, "
        "rows_rejected, taken_at, partial) VALUES (1, '2025-03-11', 'generic', '', 0, 0, ?, false)",
        [TAKEN],
    )
    yield backend
    backend.disconnect()


def test_the_data_ends_on_the_latest_fact_before_the_export_was_taken(store: Any) -> None:
    assert latest_import(store) == TAKEN
    assert data_through(store) == date(2025, 3, 7)


def test_an_earlier_import_time_bounds_the_facts(store: Any) -> None:
    assert data_through(store, datetime(2025, 3, 6)) == date(2025, 3, 5)


def test_a_store_whose_facts_all_follow_its_import_falls_back_to_the_latest(store: Any) -> None:
    assert data_through(store, datetime(2020, 1, 1)) == date(2025, 6, 30)


def test_the_report_defaults_to_the_data_s_last_day_and_says_so(store: Any) -> None:
    report = performance_report(store, today=date(2025, 4, 2))
    assert report.as_of == date(2025, 3, 7)
    assert report.data_through == date(2025, 3, 7)
    assert any(note.startswith("data through 2025-03-07") for note in report.notes)


def test_a_later_as_of_says_recent_behaviour_stops_at_the_data_s_last_day(store: Any) -> None:
    report = performance_report(store, as_of=date(2025, 3, 28))
    assert report.as_of == date(2025, 3, 28)
    assert "data through 2025-03-07, 21 days before 2025-03-28" in report.notes
    assert report.measured_on == date(2025, 3, 8)
    assert (
        "recent behaviour (activity drop, overdue follow-ups, days since coaching, lead "
        "response) is measured up to 2025-03-07, the data's last day" in report.notes
    )


def test_the_channel_report_counts_up_to_the_data_s_last_day_and_says_so(store: Any) -> None:
    report = channel_report(store)
    assert report.as_of == datetime.combine(date(2025, 3, 7), time.max)
    assert report.notes[0] == "data through 2025-03-07: counted up to then"
