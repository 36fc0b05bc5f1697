"""A CSV value spanning lines (a quoted line break, as CRM notes and descriptions have) is
read, in a file that also has a short row: DuckDB's parallel reader cannot pad short rows in
such a file, so the import starts again with its one-thread reader instead of failing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from attain.ingest.importer import import_files
from attain.ingest.readers import SERIAL_CSV
from attain.store import connect, raw_duckdb

ACCOUNTS = 'account_id,name,country\nC1,"Acme\nWest",US\nC2,Beta\nC3,"Gamma, Inc.",DE\n'


def test_a_value_spanning_lines_is_read_as_written(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "accounts.csv").write_text(ACCOUNTS)
    backend = connect(str(tmp_path / "store.duckdb"))
    try:
        result = import_files(backend, [export], taken_at=datetime(2030, 1, 1))
        stored = (
            raw_duckdb(backend)
            .execute("SELECT account_id, name, country FROM accounts ORDER BY account_id")
            .fetchall()
        )
        (export / "accounts.csv").write_text(ACCOUNTS.replace("Beta", "Beta GmbH"))
        again = import_files(backend, [export], taken_at=datetime(2030, 1, 2))
        renamed = (
            raw_duckdb(backend).execute("SELECT name FROM accounts WHERE account_id = 'C2'")
        ).fetchall()
    finally:
        backend.disconnect()
    assert stored == [("C1", "Acme\nWest", "US"), ("C2", "Beta", None), ("C3", "Gamma, Inc.", "DE")]
    assert [(t.table, t.rows_read, t.rows_rejected) for t in result.tables] == [("accounts", 3, 0)]
    assert renamed == [("Beta GmbH",)]
    assert [(t.table, t.rows_read) for t in again.tables] == [("accounts", 3)]
    assert SERIAL_CSV.get() is False  # only that import read with one thread
