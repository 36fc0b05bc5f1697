"""A store written by an older Attain, opened read-only (as `attain forecast`, `report` and
`status` open it): its import log lacks columns added since, and reading it must count them as
zero instead of failing with an AttributeError."""

from __future__ import annotations

from pathlib import Path

import pytest

from attain.store import connect, raw_duckdb
from attain.store.ddl import IMPORT_TABLES_TABLE, IMPORTS_TABLE
from attain.store.inventory import data_quality, inventory

LATER_COLUMNS = ("implied", "backdated", "deleted")
"""Columns of the per-table import log that stores made before them lack."""


@pytest.fixture
def older_store(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    backend = connect(str(path))
    con = raw_duckdb(backend)
    con.execute("INSERT INTO reps (rep_id, name, role) VALUES ('R1', 'R1', 'rep')")
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, is_won, "
        "stage, amount) VALUES ('O1', 'R1', '2025-02-01', '2025-03-03', true, 'Won', 100)"
    )
    con.execute(
        f"INSERT INTO {IMPORTS_TABLE} (import_id, imported_at) VALUES (1, '2025-03-10 06:00')"
    )
    con.execute(
        f"INSERT INTO {IMPORT_TABLES_TABLE} (import_id, table_name, rows_read, inserted, "
        "updated, rejected, implied, backdated, deleted) "
        "VALUES (1, 'opportunities', 1, 1, 0, 0, 2, 3, 4)"
    )
    for column in LATER_COLUMNS:
        con.execute(f"ALTER TABLE {IMPORT_TABLES_TABLE} DROP COLUMN {column}")
    backend.disconnect()
    return path


def test_an_older_import_log_reads_as_zero_counts(older_store: Path) -> None:
    backend = connect(str(older_store), read_only=True)
    lines = inventory(backend).latest
    assert [(line.table, line.rows_read) for line in lines] == [("opportunities", 1)]
    assert all(getattr(lines[0], name) == 0 for name in LATER_COLUMNS)
    assert data_quality(backend).backdated == 0
