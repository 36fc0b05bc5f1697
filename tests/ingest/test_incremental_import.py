"""Incremental import (#23): unchanged files are recognised by their content and not read again,
and a changed file rewrites only its changed and added rows, with the same end state and
summary as reading everything."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from attain.demo import DemoSpec, generate
from attain.ingest.importer import ImportResult, import_files
from attain.store import connect, raw_duckdb

SPEC = DemoSpec(reps=4, quarters=2, seed=3)
TABLES = ("teams", "reps", "accounts", "opportunities", "activities", "quotas")


def _change_one_activity(files: Path, folder: Path) -> str:
    """A copy of the export in which one activity's outcome changed; that activity's id."""
    shutil.copytree(files, folder)
    path = folder / "activities.csv"
    with path.open(newline="") as source:
        reader = csv.DictReader(source)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    rows[0]["outcome"] = "no_answer" if rows[0]["outcome"] != "no_answer" else "connected"
    with path.open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return rows[0]["activity_id"]


def _contents(backend: Any) -> dict[str, list[tuple[Any, ...]]]:
    con = raw_duckdb(backend)
    return {
        table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in TABLES
    }


def _lines(result: ImportResult) -> list[tuple[Any, ...]]:
    return [
        (t.table, t.rows_read, t.inserted, t.updated, t.changed, t.rows_rejected, t.won)
        for t in result.tables
    ]


def test_a_re_import_reads_only_the_changed_file_and_ends_as_a_full_read(tmp_path: Path) -> None:
    generate(SPEC, tmp_path / "first")
    changed_id = _change_one_activity(tmp_path / "first", tmp_path / "second")
    incremental = connect(str(tmp_path / "incremental.duckdb"))
    import_files(incremental, [tmp_path / "first"], taken_at=datetime(2030, 1, 1))
    second = import_files(incremental, [tmp_path / "second"], taken_at=datetime(2030, 1, 2))

    # The same two exports, with the first one's file hashes forgotten: every file is read.
    full = connect(str(tmp_path / "full.duckdb"))
    import_files(full, [tmp_path / "first"], taken_at=datetime(2030, 1, 1))
    raw_duckdb(full).execute("UPDATE attain_imports SET file_hashes = NULL")
    reread = import_files(full, [tmp_path / "second"], taken_at=datetime(2030, 1, 2))

    assert [file.path for file in second.files] == [str(tmp_path / "second" / "activities.csv")]
    assert len(reread.files) > 1
    skipped = [note for note in second.notes if "not read again" in note]
    assert len(skipped) == len(reread.files) - 1
    assert _lines(second) == _lines(reread)
    activities = next(t for t in second.tables if t.table == "activities")
    assert (activities.changed, activities.inserted) == (1, 0)
    assert _contents(incremental) == _contents(full)
    row = (
        raw_duckdb(incremental)
        .execute("SELECT count(*) FROM activities WHERE activity_id = ?", [changed_id])
        .fetchone()
    )
    assert row == (1,)
    incremental.disconnect()
    full.disconnect()


def test_an_unchanged_export_reads_nothing_and_commits_nothing(tmp_path: Path) -> None:
    generate(SPEC, tmp_path / "first")
    backend = connect(str(tmp_path / "store.duckdb"))
    first = import_files(backend, [tmp_path / "first"], taken_at=datetime(2030, 1, 1))
    again = import_files(backend, [tmp_path / "first"], taken_at=datetime(2030, 1, 2))
    assert again.files == []
    assert again.unchanged_since == first.version
    assert [(t.table, t.rows_read, t.updated, t.changed) for t in again.tables] == [
        (t.table, t.rows_read, t.rows_read, 0) for t in first.tables
    ]
    backend.disconnect()
