"""Re-importing a changed file reads only its new and changed lines (#23 part 3): the summary,
the rejects (with the file's own row numbers) and the stored rows are those of reading the
whole file, and whatever the line hashes cannot tell apart is read whole."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from attain.ingest.changed_rows import line_hash
from attain.ingest.importer import ImportResult, import_files
from attain.store import connect, raw_duckdb

HEADER = "activity_id,rep_id,type,occurred_at,outcome\n"
ACTIVITIES = [f"A{i},R{i % 3},call,2025-01-{1 + i:02d} 09:00:00,connected\n" for i in range(12)]


def _export(folder: Path, activities: list[str]) -> Path:
    folder.mkdir()
    (folder / "teams.csv").write_text("team_id,name\nT1,East\n")
    (folder / "reps.csv").write_text(
        "rep_id,name,team_id,role,hire_date\n"
        + "".join(f"R{i},Rep {i},T1,rep,2022-01-01\n" for i in range(3))
    )
    (folder / "activities.csv").write_text(HEADER + "".join(activities))
    return folder


def _both(tmp_path: Path, second: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same two exports imported into a store that keeps line hashes and into one whose
    hashes are dropped before the second import (every changed file read whole)."""
    first_export = _export(tmp_path / "first", ACTIVITIES)
    second_export = _export(tmp_path / "second", second)
    outcomes = []
    for name in ("lines", "whole"):
        backend = connect(str(tmp_path / f"{name}.duckdb"))
        import_files(backend, [first_export], taken_at=datetime(2030, 1, 1))
        if name == "whole":
            raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
        rejects = tmp_path / f"{name}-rejects.csv"
        result = import_files(
            backend, [second_export], taken_at=datetime(2030, 1, 2), rejects_path=rejects
        )
        con = raw_duckdb(backend)
        outcomes.append(
            {
                "result": result,
                "lines": _lines(result),
                "stored": sorted(con.execute("SELECT * FROM activities").fetchall(), key=repr),
                "rejects": _rows(rejects),
                "hashes": con.execute(
                    "SELECT count(*) FROM attain_line_hashes WHERE table_name = 'activities'"
                ).fetchone(),
            }
        )
        backend.disconnect()
    return outcomes[0], outcomes[1]


def _lines(result: ImportResult) -> list[tuple[Any, ...]]:
    return [
        (t.table, t.rows_read, t.inserted, t.updated, t.changed, t.rows_rejected)
        for t in result.tables
    ]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as source:
        return list(csv.DictReader(source))


def _read_changed_only(result: ImportResult) -> list[str]:
    return [note for note in result.notes if "new or changed line(s) were typed" in note]


def test_changed_and_added_lines_alone_are_read_with_the_whole_reads_outcome(
    tmp_path: Path,
) -> None:
    second = list(ACTIVITIES)
    second[3] = second[3].replace("connected", "no_answer")  # line 5 of the file
    second[8] = second[8].replace("call", "email")  # line 10
    second.append("A99,R1,meeting,2025-02-01 10:00:00,connected\n")  # line 14, new
    lines, whole = _both(tmp_path, second)

    assert _read_changed_only(lines["result"]) == [
        f"{tmp_path / 'second' / 'activities.csv'}: only its 3 new or changed line(s) were "
        "typed and checked; 10 line(s) are as the last import read them"
    ]
    assert _read_changed_only(whole["result"]) == []
    activities = next(t for t in lines["result"].tables if t.table == "activities")
    # 13 rows read: 10 as before and 2 changed (updated), 1 new (inserted).
    assert (activities.rows_read, activities.inserted, activities.updated) == (13, 1, 12)
    assert activities.changed == 2
    assert lines["lines"] == whole["lines"]
    assert lines["stored"] == whole["stored"]
    # Both stores keep a hash per line: 13 rows and the header.
    assert lines["hashes"] == whole["hashes"] == (14,)


def test_a_reject_among_the_changed_lines_names_its_row_in_the_file(tmp_path: Path) -> None:
    second = list(ACTIVITIES)
    second[6] = second[6].replace("call", "carrier pigeon")  # line 8 of the file
    lines, whole = _both(tmp_path, second)

    assert _read_changed_only(lines["result"])
    assert [(r["row"], r["column_name"], r["value"]) for r in lines["rejects"]] == [
        ("8", "type", "carrier pigeon")
    ]
    assert lines["rejects"] == whole["rejects"]
    assert lines["lines"] == whole["lines"]
    assert lines["stored"] == whole["stored"]
    # A table with rejects keeps no line hashes: its next import reads the file whole.
    assert lines["hashes"] == whole["hashes"] == (0,)


def test_a_changed_line_repeating_an_unchanged_key_makes_the_import_read_whole(
    tmp_path: Path,
) -> None:
    second = list(ACTIVITIES)
    second[5] = second[2].replace("connected", "no_answer")  # A2 twice: lines 4 and 7
    lines, whole = _both(tmp_path, second)

    assert _read_changed_only(lines["result"]) == []
    assert sorted(r["row"] for r in lines["rejects"]) == ["4", "7"]
    assert lines["rejects"] == whole["rejects"]
    assert lines["lines"] == whole["lines"]
    assert lines["stored"] == whole["stored"]


def test_a_blank_line_or_a_repeated_line_makes_the_file_read_whole(tmp_path: Path) -> None:
    for case, second in {
        "blank": [*ACTIVITIES[:4], "\n", ACTIVITIES[4].replace("call", "demo"), *ACTIVITIES[5:]],
        "repeated": [*ACTIVITIES, ACTIVITIES[0], "A50,R0,call,2025-03-01 09:00:00,connected\n"],
    }.items():
        (tmp_path / case).mkdir()
        lines, whole = _both(tmp_path / case, second)
        assert _read_changed_only(lines["result"]) == [], case
        assert lines["lines"] == whole["lines"], case
        assert lines["rejects"] == whole["rejects"], case
        assert lines["stored"] == whole["stored"], case


def test_lines_moved_inserted_or_removed_are_matched_by_hash(tmp_path: Path) -> None:
    """Lines are compared with the hash kept for their line number first; a line that moved
    (another line inserted or removed above it, or the file sorted another way) is found by
    its hash, so only the changed lines are read."""
    new = "A98,R2,demo,2025-02-02 10:00:00,connected\n"
    changed = ACTIVITIES[9].replace("connected", "no_answer")
    for case, second in {
        "inserted at the top": [new, *ACTIVITIES[:9], changed, *ACTIVITIES[10:]],
        "removed in the middle": [*ACTIVITIES[:4], *ACTIVITIES[5:9], changed, *ACTIVITIES[10:]],
        "reversed": [*reversed([*ACTIVITIES[:9], changed, *ACTIVITIES[10:]])],
    }.items():
        (tmp_path / case).mkdir()
        lines, whole = _both(tmp_path / case, second)
        read = 2 if case == "inserted at the top" else 1
        seen = len(second) - read
        assert _read_changed_only(lines["result"]) == [
            f"{tmp_path / case / 'second' / 'activities.csv'}: only its {read} new or changed "
            f"line(s) were typed and checked; {seen} line(s) are as the last import read them"
        ], case
        assert lines["lines"] == whole["lines"], case
        assert lines["stored"] == whole["stored"], case
        assert lines["hashes"] == whole["hashes"] == (len(second) + 1,), case


def test_kept_line_numbers_follow_the_file_and_older_stores_without_them_still_match(
    tmp_path: Path,
) -> None:
    """After a re-import, each kept hash has the number of its line in the file just read
    (lines moved get their new one), also in a store whose hashes were kept without numbers
    (before they were kept); each re-import reads only the changed lines."""
    backend = connect(str(tmp_path / "store.duckdb"))
    con = raw_duckdb(backend)
    import_files(backend, [_export(tmp_path / "first", ACTIVITIES)], taken_at=datetime(2030, 1, 1))
    con.execute("UPDATE attain_line_hashes SET line_number = NULL")  # as an older Attain kept
    exports = [
        ["A97,R0,call,2025-03-01 09:00:00,connected\n", *ACTIVITIES[:5], *ACTIVITIES[6:]],
        [*ACTIVITIES[:2], ACTIVITIES[3].replace("call", "email"), *ACTIVITIES[4:]],
    ]
    for day, activities in enumerate(exports, start=2):
        folder = _export(tmp_path / f"export{day}", activities)
        result = import_files(backend, [folder], taken_at=datetime(2030, 1, day))
        assert _read_changed_only(result), day
        expected = {(n, line.rstrip("\n")) for n, line in enumerate(activities, start=2)}
        kept = con.execute(
            "SELECT line_number, line_hash FROM attain_line_hashes "
            "WHERE table_name = 'activities' AND key_hash IS NOT NULL"
        ).fetchall()
        hashes = dict(
            con.execute(
                f"SELECT {line_hash('line')}, line FROM (SELECT unnest(?) AS line)",
                [[line for _, line in expected]],
            ).fetchall()
        )
        assert {(n, hashes.get(h)) for n, h in kept} == expected, day
    backend.disconnect()


def test_a_file_with_windows_line_breaks_reads_its_changed_lines_alone(tmp_path: Path) -> None:
    first = [line.replace("\n", "\r\n") for line in ACTIVITIES]
    second = list(first)
    second[4] = second[4].replace("connected", "voicemail")
    folders = []
    for name, activities in (("first", first), ("second", second)):
        folder = _export(tmp_path / name, [])
        (folder / "activities.csv").write_bytes(
            (HEADER.replace("\n", "\r\n") + "".join(activities)).encode()
        )
        folders.append(folder)
    outcomes = []
    for name in ("lines", "whole"):
        backend = connect(str(tmp_path / f"{name}.duckdb"))
        import_files(backend, [folders[0]], taken_at=datetime(2030, 1, 1))
        if name == "whole":
            raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
        result = import_files(backend, [folders[1]], taken_at=datetime(2030, 1, 2))
        stored = raw_duckdb(backend).execute("SELECT * FROM activities").fetchall()
        outcomes.append((_read_changed_only(result), _lines(result), sorted(stored, key=repr)))
        backend.disconnect()
    assert outcomes[0][0] == [
        f"{folders[1] / 'activities.csv'}: only its 1 new or changed line(s) were typed and "
        "checked; 11 line(s) are as the last import read them"
    ]
    assert outcomes[1][0] == []
    assert outcomes[0][1:] == outcomes[1][1:]


def test_the_summary_counts_the_stored_rows_a_file_no_longer_holds(tmp_path: Path) -> None:
    """Rows left out of an activities file stay stored (an export may be partial); a note
    counts them, the same whether the changed lines alone or the whole file were read. A
    rejected row's stored row was in the file: not counted."""
    second = [
        *ACTIVITIES[2:5],
        ACTIVITIES[5].replace("call", "carrier pigeon"),  # rejected, A5 stays stored
        ACTIVITIES[6].replace("connected", "no_answer"),
        *ACTIVITIES[7:],
    ]
    lines, whole = _both(tmp_path, second)
    file = tmp_path / "second" / "activities.csv"
    note = (
        f"{file}: 2 stored activities row(s) were not in this file (kept: an import deletes "
        "only the deals a full export leaves out)"
    )
    for outcome in (lines, whole):
        assert [n for n in outcome["result"].notes if "were not in" in n] == [note]
        assert len(outcome["stored"]) == 12  # A0 and A1 kept, A5 as before
    assert lines["lines"] == whole["lines"]
    assert lines["stored"] == whole["stored"]
