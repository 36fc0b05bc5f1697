"""What a re-import of changed lines does before and beside its scan (#23 part 3): a file
whose first lines changed is scanned while the files are hashed, the others after; stored
references to a parent whose file was skipped as unchanged are not read again, and those to
a parent read now are."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from attain.ingest import changed_rows
from attain.ingest.importer import import_files
from attain.ingest.readers import ReadOptions
from attain.store import connect, raw_duckdb

HEADER = "activity_id,rep_id,type,occurred_at,outcome\n"
ACTIVITIES = [f"A{i},R{i % 3},call,2025-01-{1 + i:02d} 09:00:00,connected\n" for i in range(12)]
REPS = [f"R{i},Rep {i},T1,rep,2022-01-01\n" for i in range(3)]


def _export(folder: Path, activities: list[str], reps: list[str] = REPS) -> Path:
    folder.mkdir()
    (folder / "teams.csv").write_text("team_id,name\nT1,East\n")
    (folder / "reps.csv").write_text("rep_id,name,team_id,role,hire_date\n" + "".join(reps))
    (folder / "activities.csv").write_text(HEADER + "".join(activities))
    return folder


def _changed(line: str) -> str:
    return line.replace("connected", "no_answer")


def test_a_file_whose_first_lines_changed_is_scanned_while_the_files_are_hashed(
    tmp_path: Path,
) -> None:
    """Line 2 changed: its scan starts at once, and its SHA-256 is worked out after it. The
    same file again, or a file changed in its last line only (line 1,201, after the 1,000
    first lines compared), is scanned when asked for, with the same outcome: the last line
    alone is staged. The import log keeps each file's SHA-256, whichever thread hashed it."""
    many = [f"A{i},R{i % 3},call,2025-01-01 09:00:00,connected\n" for i in range(1200)]
    backend = connect(str(tmp_path / "store.duckdb"))
    import_files(backend, [_export(tmp_path / "first", many)], taken_at=datetime(2030, 1, 1))
    con = raw_duckdb(backend)
    exports = {
        "first line": [_changed(many[0]), *many[1:]],
        "same": many,
        "last line": [*many[:-1], _changed(many[-1])],
    }
    started, hashed = {}, {}
    for name, lines in exports.items():
        path = _export(tmp_path / name.replace(" ", "-"), lines) / "activities.csv"
        scans, hashing = changed_rows.start_scans(con, {path: "activities"}, ReadOptions())
        started[name] = scans[path].future is not None
        hashed[name] = hashing.result() if hashing is not None else None
        scanned = scans[path].result(con)
        assert scanned is not None
        assert len(scanned.hashes) == 1200
    assert started == {"first line": True, "same": False, "last line": False}
    first = tmp_path / "first-line" / "activities.csv"
    assert hashed == {"first line": {str(first): _sha256(first)}, "same": None, "last line": None}

    result = import_files(
        backend, [tmp_path / "last-line"], taken_at=datetime(2030, 1, 2), partial=False
    )
    assert [n for n in result.notes if "new or changed line(s)" in n] == [
        f"{tmp_path / 'last-line' / 'activities.csv'}: only its 1 new or changed line(s) were "
        "typed and checked; 1,199 line(s) are as the last import read them"
    ]
    # Lines 2 and 1,201 differ from the last import's: scanned at once, hashed after.
    result = import_files(backend, [tmp_path / "first-line"], taken_at=datetime(2030, 1, 3))
    assert [n for n in result.notes if "new or changed line(s)" in n] == [
        f"{first}: only its 2 new or changed line(s) were typed and checked; 1,198 line(s) "
        "are as the last import read them"
    ]
    logged = con.execute(
        "SELECT file_hashes FROM attain_imports ORDER BY import_id DESC LIMIT 1"
    ).fetchall()[0][0]
    folder = first.parent
    assert json.loads(logged) == {str(path): _sha256(path) for path in folder.glob("*.csv")}
    backend.disconnect()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_stored_references_are_checked_again_only_where_their_parent_is_read(
    tmp_path: Path,
) -> None:
    """Another program deletes rep R2 from the store. Re-imported with reps.csv unchanged,
    the changed activity line alone is read: the skipped reps file is trusted to be stored as
    it was (as the skip itself trusts), so the 4 stored activities of R2 are not read again.
    With a reps.csv that changed (R2 left out, R3 added), their references are checked: the
    import reads the activities whole and rejects R2's 4, as a whole read does."""
    first = _export(tmp_path / "first", ACTIVITIES)
    second = [_changed(ACTIVITIES[0]), *ACTIVITIES[1:]]
    exports = {
        "reps unchanged": _export(tmp_path / "same-reps", second),
        "reps changed": _export(
            tmp_path / "new-reps", second, [*REPS[:2], "R3,Rep 3,T1,rep,2022-01-01\n"]
        ),
    }
    outcomes = {}
    for name, export in exports.items():
        backend = connect(str(tmp_path / f"{name.replace(' ', '-')}.duckdb"))
        import_files(backend, [first], taken_at=datetime(2030, 1, 1))
        raw_duckdb(backend).execute("DELETE FROM reps WHERE rep_id = 'R2'")
        result = import_files(backend, [export], taken_at=datetime(2030, 1, 2))
        con = raw_duckdb(backend)
        outcomes[name] = (
            any("new or changed line(s) were typed" in note for note in result.notes),
            con.execute("SELECT count(*) FROM reps").fetchall()[0][0],
            con.execute("SELECT count(*) FROM activities WHERE rep_id = 'R2'").fetchall()[0][0],
            result.rejects,
        )
        backend.disconnect()
    # (changed lines alone, reps stored, R2's activities stored, rejects)
    assert outcomes == {"reps unchanged": (True, 2, 4, 0), "reps changed": (False, 3, 4, 4)}


def test_parents_that_may_be_gone_are_the_deals_and_the_tables_read_now() -> None:
    skipped = {"reps", "teams"}
    assert not changed_rows.parents_may_be_gone("reps", skipped)
    assert changed_rows.parents_may_be_gone("opportunities", {"opportunities"})
    assert changed_rows.parents_may_be_gone("leads", skipped)


def test_a_file_skipped_as_unchanged_counts_the_stored_rows_it_does_not_hold(
    tmp_path: Path,
) -> None:
    """The second export leaves A0 and A1 out (they stay stored); a third repeats its
    activities file, which is skipped as unchanged, and the note counts the 2 rows as the
    second import's did: with every file the same (nothing committed), and with reps.csv
    changed (a new version)."""
    backend = connect(str(tmp_path / "store.duckdb"))
    import_files(backend, [_export(tmp_path / "first", ACTIVITIES)], taken_at=datetime(2030, 1, 1))
    second = import_files(
        backend, [_export(tmp_path / "second", ACTIVITIES[2:])], taken_at=datetime(2030, 1, 2)
    )
    third = {
        "the same": tmp_path / "second",
        "reps changed": _export(
            tmp_path / "third", ACTIVITIES[2:], [*REPS, REPS[0].replace("R0", "R9")]
        ),
    }
    notes = {}
    for day, (name, export) in enumerate(third.items(), start=3):
        result = import_files(backend, [export], taken_at=datetime(2030, 1, day))
        notes[name] = [n for n in result.notes if "were not in" in n]
    backend.disconnect()

    def note(folder: str) -> str:
        return (
            f"{tmp_path / folder / 'activities.csv'}: 2 stored activities row(s) were not in "
            "this file (kept: an import deletes only the deals a full export leaves out)"
        )

    assert [n for n in second.notes if "were not in" in n] == [note("second")]
    assert notes == {"the same": [note("second")], "reps changed": [note("third")]}


def test_changed_lines_trading_keys_are_read_alone_and_end_as_a_whole_read(
    tmp_path: Path,
) -> None:
    """Lines 4 and 7 trade keys (A2 and A5, their other values kept): each changed row has
    the key of a line gone, so no key is looked up among the unchanged lines, and the
    changed lines alone are read. A new line with a new key (A99) is looked up, and found in
    no unchanged line. Stored rows, counts and rejects are those of the whole read."""
    traded = list(ACTIVITIES)
    traded[2], traded[5] = ACTIVITIES[2].replace("A2,", "A5,"), ACTIVITIES[5].replace("A5,", "A2,")
    exports = {"traded": traded, "new_key": [*traded, ACTIVITIES[0].replace("A0,", "A99,")]}
    first = _export(tmp_path / "first", ACTIVITIES)
    outcomes = {}
    for case, lines in exports.items():
        export = _export(tmp_path / case, lines)
        for name in ("lines", "whole"):
            backend = connect(str(tmp_path / f"{case}-{name}.duckdb"))
            import_files(backend, [first], taken_at=datetime(2030, 1, 1))
            if name == "whole":
                raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
            result = import_files(backend, [export], taken_at=datetime(2030, 1, 2))
            con = raw_duckdb(backend)
            outcomes[case, name] = (
                [(t.table, t.rows_read, t.inserted, t.updated, t.changed) for t in result.tables],
                sorted(con.execute("SELECT * FROM activities").fetchall(), key=repr),
                result.rejects,
                [n for n in result.notes if "new or changed line(s) were typed" in n],
            )
            backend.disconnect()
    for case, added in (("traded", 0), ("new_key", 1)):
        alone, whole = outcomes[case, "lines"], outcomes[case, "whole"]
        assert alone[:3] == whole[:3]
        assert alone[3] == [
            f"{tmp_path / case / 'activities.csv'}: only its {2 + added} new or changed "
            "line(s) were typed and checked; 10 line(s) are as the last import read them"
        ]
        assert whole[3] == []
        assert ("activities", 12 + added, added, 12, 2) in alone[0]
