"""Where a re-import copies the changed lines from (#23 part 3): each line's place in the file
comes from the lengths the scan read, so the lines at the file's two ends, a last line
without its line break, Windows line breaks and lines whose text is more bytes than
characters must be copied whole and numbered as in the file. Each case is checked against
reading the whole file: the same summary, stored rows and line hashes kept."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from attain.ingest.importer import ImportResult, import_files
from attain.store import connect, raw_duckdb

HEADER = "activity_id,rep_id,type,occurred_at,outcome"
ROWS = [f"A{i},R{i % 3},call,2025-01-{1 + i:02d} 09:00:00,connected" for i in range(12)]
WIDE = [  # ids of 2- to 4-byte UTF-8 characters: a line's bytes outnumber its characters
    row.replace(f"A{i},", f"Ä{i}-ñ-漢-😀,", 1) if i in (2, 5, 6, 11) else row
    for i, row in enumerate(ROWS)
]


def _changed(row: str) -> str:
    return row.replace("connected", "no_answer")


def _file(rows: list[str], newline: str, last_break: bool) -> bytes:
    text = newline.join([HEADER, *rows]) + (newline if last_break else "")
    return text.encode("utf-8")


def _export(folder: Path, activities: bytes) -> Path:
    folder.mkdir()
    (folder / "teams.csv").write_text("team_id,name\nT1,East\n")
    (folder / "reps.csv").write_text(
        "rep_id,name,team_id,role,hire_date\n"
        + "".join(f"R{i},Rep {i},T1,rep,2022-01-01\n" for i in range(3))
    )
    (folder / "activities.csv").write_bytes(activities)
    return folder


def _outcome(backend: Any, result: ImportResult) -> dict[str, Any]:
    con = raw_duckdb(backend)
    return {
        "tables": [
            (t.table, t.rows_read, t.inserted, t.updated, t.changed, t.rows_rejected)
            for t in result.tables
        ],
        "rejects": result.rejects,
        "stored": sorted(con.execute("SELECT * FROM activities").fetchall(), key=repr),
        # The hashes kept, by line: those of the changed lines' read must be a whole read's.
        "hashes": sorted(
            con.execute(
                "SELECT line_number, line_hash, key_hash FROM attain_line_hashes "
                "WHERE table_name = 'activities'"
            ).fetchall(),
            key=repr,
        ),
    }


CASES = {
    # name: (rows before, rows after, line break, last line ends with one, lines changed)
    "first and last lines": (
        ROWS,
        [_changed(ROWS[0]), *ROWS[1:-1], _changed(ROWS[-1])],
        "\n",
        True,
        2,
    ),
    "last line without its break": (ROWS, [*ROWS[:-1], _changed(ROWS[-1])], "\n", False, 1),
    "windows breaks, last without": (
        ROWS,
        [_changed(ROWS[0]), *ROWS[1:-1], _changed(ROWS[-1])],
        "\r\n",
        False,
        2,
    ),
    "wide characters": (
        WIDE,
        [*WIDE[:5], _changed(WIDE[5]), *WIDE[6:9], _changed(WIDE[9]), *WIDE[10:]],
        "\n",
        True,
        2,
    ),
    "wide characters, windows breaks": (
        WIDE,
        [*WIDE[:6], _changed(WIDE[6]), *WIDE[7:-1], _changed(WIDE[-1])],
        "\r\n",
        True,
        2,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_changed_lines_are_copied_whole_from_anywhere_in_the_file(
    tmp_path: Path, case: str
) -> None:
    before, after, newline, last_break, changed = CASES[case]
    first = _export(tmp_path / "first", _file(before, newline, last_break))
    second = _export(tmp_path / "second", _file(after, newline, last_break))
    outcomes = {}
    for name in ("lines", "whole"):
        backend = connect(str(tmp_path / f"{name}.duckdb"))
        import_files(backend, [first], taken_at=datetime(2030, 1, 1))
        if name == "whole":
            raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
        result = import_files(backend, [second], taken_at=datetime(2030, 1, 2))
        outcomes[name] = _outcome(backend, result)
        outcomes[name]["notes"] = [n for n in result.notes if "were typed" in n]
        backend.disconnect()

    file = second / "activities.csv"
    assert outcomes["lines"]["notes"] == [
        f"{file}: only its {changed} new or changed line(s) were typed and checked; "
        f"{len(after) - changed} line(s) are as the last import read them"
    ]
    assert outcomes["whole"]["notes"] == []
    assert outcomes["lines"]["rejects"] == outcomes["whole"]["rejects"] == 0
    assert outcomes["lines"]["tables"] == outcomes["whole"]["tables"]
    assert outcomes["lines"]["stored"] == outcomes["whole"]["stored"]
    assert outcomes["lines"]["hashes"] == outcomes["whole"]["hashes"]
    assert len(outcomes["lines"]["hashes"]) == len(after) + 1  # and the header's
    activities = next(t for t in outcomes["lines"]["tables"] if t[0] == "activities")
    assert activities[4] == changed  # rows changed in a column
