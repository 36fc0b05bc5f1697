"""A re-import that reads only changed lines must see every edit (#23 part 3).

DuckDB's `hash()` of a text mixes each 8-byte block into its state by xor and a multiply,
which carries a difference only towards the high bits: two edits in the last byte of two
blocks cancel about once in 256. A rep reassigned (R0001 -> R0000) and the date moved
(21 -> 28) on the same line gave that line its old `hash()`, so a re-import counted it as
unchanged and kept the old rep and date. The line hashes are taken of the line's MD5 instead
(`changed_rows.line_hash`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from attain.ingest.changed_rows import OLDER_HASHES, line_hash
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

HEADER = "activity_id,rep_id,type,occurred_at,outcome\n"
BEFORE = "A000000011,R0001,call,2025-01-21 15:25:00,connected"
AFTER = "A000000011,R0000,call,2025-01-28 15:25:00,connected"
OTHERS = [f"A{i:09d},R0001,call,2025-01-21 15:25:00,connected" for i in range(12, 40)]


def _export(folder: Path, line: str, others: list[str] = OTHERS) -> Path:
    folder.mkdir()
    (folder / "teams.csv").write_text("team_id,name\nT1,East\n")
    (folder / "reps.csv").write_text(
        "rep_id,name,team_id,role,hire_date\n"
        "R0000,Rep 0,T1,rep,2022-01-01\nR0001,Rep 1,T1,rep,2022-01-01\n"
    )
    (folder / "activities.csv").write_text(HEADER + "\n".join([line, *others]) + "\n")
    return folder


def test_the_two_lines_collide_under_duckdb_hash_but_not_as_line_hashes() -> None:
    con = duckdb.connect()
    row = con.execute(
        f"SELECT hash(?) = hash(?), {line_hash('?')} = {line_hash('?')}", [BEFORE, AFTER] * 2
    ).fetchone()
    assert row == (True, False)


def test_an_edit_that_keeps_duckdb_hash_is_re_imported(tmp_path: Path) -> None:
    backend = connect(str(tmp_path / "store.duckdb"))
    import_files(backend, [_export(tmp_path / "first", BEFORE)], taken_at=datetime(2030, 1, 1))
    # Another line changes too, so that the changed lines alone are read (a file with no
    # changed line is read whole).
    others = [OTHERS[0].replace("connected", "no_answer"), *OTHERS[1:]]
    second = _export(tmp_path / "second", AFTER, others)
    result = import_files(backend, [second], taken_at=datetime(2030, 1, 2))
    con = raw_duckdb(backend)
    stored = con.execute(
        "SELECT rep_id, occurred_at FROM activities WHERE activity_id = 'A000000011'"
    ).fetchall()
    assert stored == [("R0000", datetime(2025, 1, 28, 15, 25))]
    activities = next(table for table in result.tables if table.table == "activities")
    assert activities.changed == 2
    assert any("new or changed line(s) were typed" in note for note in result.notes)
    backend.disconnect()


def test_hashes_kept_by_an_older_attain_make_the_next_import_read_the_file_whole(
    tmp_path: Path,
) -> None:
    """A store whose line hashes are `hash(line)`, as an older Attain kept them: the next
    import reads the file whole (its header's hash is not the one kept) and keeps the new
    hashes, saying why, and the one after reads only the changed lines again."""
    backend = connect(str(tmp_path / "store.duckdb"))
    con = raw_duckdb(backend)
    import_files(backend, [_export(tmp_path / "first", BEFORE)], taken_at=datetime(2030, 1, 1))
    lines = (HEADER + "\n".join([BEFORE, *OTHERS])).splitlines()
    con.execute(
        "UPDATE attain_line_hashes h SET line_hash = hash(o.line) FROM "
        "(SELECT unnest(?) AS line, generate_subscripts(?, 1) AS n) o "
        "WHERE h.table_name = 'activities' AND coalesce(h.line_number, 1) = o.n",
        [lines, lines],
    )
    others = [OTHERS[0].replace("connected", "no_answer"), *OTHERS[1:]]
    results = [
        import_files(backend, [_export(tmp_path / name, AFTER, others)], taken_at=taken)
        for name, taken, others in [
            ("second", datetime(2030, 1, 2), others),
            ("third", datetime(2030, 1, 3), OTHERS),
        ]
    ]
    read_changed = [
        any("new or changed line(s) were typed" in note for note in result.notes)
        for result in results
    ]
    assert read_changed == [False, True]
    # The summary says why the file was read whole, once.
    older = [[note for note in result.notes if "older Attain" in note] for result in results]
    assert older[0] == [f"{tmp_path / 'second' / 'activities.csv'}: {OLDER_HASHES}"]
    assert older[1] == []
    stored = con.execute(
        "SELECT activity_id, rep_id, outcome FROM activities ORDER BY activity_id LIMIT 2"
    ).fetchall()
    assert stored == [("A000000011", "R0000", "connected"), ("A000000012", "R0001", "connected")]
    backend.disconnect()
