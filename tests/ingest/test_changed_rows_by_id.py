"""A re-import of changed lines finds the stored rows they replace by the row ids kept with
the lines' hashes (attain_line_hashes.row_id), and falls back to joining the keys when the
ids are stale (#23 part 3): either way the store ends as a whole read leaves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from attain.ingest.changed_rows import GoneRows, find_gone_rows, stored_by_row_id
from attain.ingest.importer import import_files
from attain.schema import TABLES, Table
from attain.store import connect, raw_duckdb

HEADER = "activity_id,rep_id,type,occurred_at,outcome\n"
COUNT = 300  # few changed lines against many stored rows: under a tenth, the merge of few


def _activities(changed: dict[int, str]) -> list[str]:
    return [
        f"A{i},R{i % 3},call,2025-01-{1 + i % 28:02d} 09:00:00,{changed.get(i, 'connected')}\n"
        for i in range(COUNT)
    ]


def _export(folder: Path, changed: dict[int, str]) -> Path:
    folder.mkdir()
    (folder / "teams.csv").write_text("team_id,name\nT1,East\n")
    (folder / "reps.csv").write_text(
        "rep_id,name,team_id,role,hire_date\n"
        + "".join(f"R{i},Rep {i},T1,rep,2022-01-01\n" for i in range(3))
    )
    (folder / "activities.csv").write_text(HEADER + "".join(_activities(changed)))
    return folder


Between = Callable[[Path], None]


def _stores(tmp_path: Path, changes: list[dict[int, str]], between: Between) -> list[Any]:
    """Import the exports in turn into a store that keeps line hashes (`between` runs on its
    file before the last import) and into one that reads every file whole; the stores'
    activities and each import's counts."""
    exports = [_export(tmp_path / f"e{n}", change) for n, change in enumerate(changes)]
    outcomes = []
    for name in ("lines", "whole"):
        path = tmp_path / f"{name}.duckdb"
        counts = []
        for n, export in enumerate(exports):
            if n == len(exports) - 1 and name == "lines":
                between(path)
            backend = connect(str(path))
            if name == "whole":
                raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
            result = import_files(backend, [export], taken_at=datetime(2030, 1, 1 + n))
            counts.append([(t.table, t.rows_read, t.updated, t.changed) for t in result.tables])
            stored = raw_duckdb(backend).execute("SELECT * FROM activities").fetchall()
            backend.disconnect()
        outcomes.append((sorted(stored, key=repr), counts))
    return outcomes


def _ids_pointing_right(path: Path) -> tuple[int, int]:
    """The activities' kept line hashes, and those whose row id holds a row with their key."""
    con = duckdb.connect(str(path))
    try:
        found = con.execute(
            "SELECT count(*), count(s.rowid) FROM attain_line_hashes h LEFT JOIN activities s "
            "ON s.rowid = h.row_id AND hash(s.activity_id) = h.key_hash "
            "WHERE h.table_name = 'activities' AND h.key_hash IS NOT NULL"
        ).fetchall()[0]
    finally:
        con.close()
    return int(found[0]), int(found[1])


def _compact(path: Path) -> None:
    """Another program rewrites a row and checkpoints with DuckDB's vacuum, which drops the
    rows deleted and renumbers the rows after them."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TEMP TABLE a0 AS SELECT * FROM activities WHERE activity_id = 'A0'")
        con.execute("DELETE FROM activities WHERE activity_id = 'A0'")
        con.execute("INSERT INTO activities SELECT * FROM a0")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    assert _ids_pointing_right(path)[1] == 0  # every id kept is stale now


def _shift_ids(path: Path) -> None:
    """Every kept row id points at the next row: rows of other keys."""
    con = duckdb.connect(str(path))
    try:
        con.execute("UPDATE attain_line_hashes SET row_id = row_id + 1")
    finally:
        con.close()


CHANGES = [{}, {10: "no_answer", 200: "no_answer"}, {10: "voicemail", 50: "no_answer"}]
"""Line 10 changes twice: its second change finds the row the first one appended."""


def test_row_ids_kept_point_at_each_lines_row_and_end_as_a_whole_read(tmp_path: Path) -> None:
    seen = []
    lines, whole = _stores(tmp_path, CHANGES, lambda path: seen.append(_ids_pointing_right(path)))
    assert lines == whole
    assert seen == [(COUNT, COUNT)]  # after the full import and a changed-lines one
    assert _ids_pointing_right(tmp_path / "lines.duckdb") == (COUNT, COUNT)
    assert lines[1][2] == [
        ("teams", 1, 1, 0),
        ("reps", 3, 3, 0),
        ("activities", COUNT, 300, 3),
    ]  # 10, 50, 200 back


def test_a_store_compacted_between_imports_is_merged_by_key(tmp_path: Path) -> None:
    lines, whole = _stores(tmp_path, CHANGES, _compact)
    assert lines == whole


def test_row_ids_pointing_at_other_rows_are_not_used(tmp_path: Path) -> None:
    """Without the check of each row's key hash the changed lines would be taken for new
    rows: their keys stored twice."""
    lines, whole = _stores(tmp_path, CHANGES, _shift_ids)
    assert lines == whole
    assert len({row[0] for row in lines[0]}) == COUNT


def test_stored_rows_are_found_by_row_id_only_while_the_ids_hold(tmp_path: Path) -> None:
    _stores(tmp_path, CHANGES[:2], lambda path: None)
    path = tmp_path / "lines.duckdb"
    con = duckdb.connect(str(path))
    table = TABLES["activities"]
    try:
        con.execute(
            "CREATE TEMP TABLE _gone_activities AS SELECT line_hash FROM attain_line_hashes "
            "WHERE table_name = 'activities' AND line_number IN (12, 202, 250)"
        )
        find_gone_rows(con, "activities")
        assert stored_by_row_id(con, table, "found")
        keys = sorted(row[0] for row in con.execute("SELECT activity_id FROM found").fetchall())
        assert keys == ["A10", "A200", "A248"]
        _read_beside_as_found(con, table)
        con.execute("UPDATE attain_line_hashes SET row_id = row_id + 1 WHERE line_number = 250")
        find_gone_rows(con, "activities")
        assert not stored_by_row_id(con, table, "found_again")
        con.execute("UPDATE attain_line_hashes SET row_id = row_id - 1 WHERE line_number = 250")
        find_gone_rows(con, "activities")
        con.execute(
            "INSERT INTO activities "
            "SELECT * EXCLUDE (_rowid) REPLACE ('X1' AS activity_id) FROM found"
        )
        assert not stored_by_row_id(con, table, "found_again")  # a row no line stands for
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
        assert sorted(tables) == [("_gone_activities",), ("_gone_rows_activities",), ("found",)]
    finally:
        con.close()


def _read_beside_as_found(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """The rows GoneRows reads on a cursor in a worker thread are those found in SQL: the
    kept rows of the lines gone, and the stored rows with their rowids and column types."""
    gone = con.sql("SELECT line_hash FROM _gone_activities").fetchnumpy()["line_hash"]
    beside = GoneRows.start(con, "activities", gone, few=True)
    rows = beside.rows_read()
    assert rows is not None
    found = con.execute("SELECT * FROM _gone_rows_activities ORDER BY 1").fetchall()
    assert sorted(rows.to_pylist(), key=lambda row: row["line_rowid"]) == [
        dict(zip(("line_rowid", "row_id", "key_hash"), row, strict=True)) for row in found
    ]
    assert stored_by_row_id(con, table, "found_beside", beside)
    columns = con.execute("DESCRIBE found_beside").fetchall()
    assert columns == con.execute("DESCRIBE found").fetchall()
    ordered = "SELECT * FROM {} ORDER BY _rowid"
    assert (
        con.execute(ordered.format("found_beside")).fetchall()
        == con.execute(ordered.format("found")).fetchall()
    )
    con.execute("DROP TABLE found_beside")
