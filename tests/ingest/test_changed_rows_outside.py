"""Re-importing only the changed lines (#23 part 3) must end as reading the files whole does,
also for exports changed outside Attain: re-saved in another encoding, after a full export
dropped a deal that unchanged lines (activities, stage entries) still point at, when the
re-import declares another date format, and when a table comes in two files. (The last four
failed on de47c8b: the stage entries were kept, the unchanged dates kept the old reading, and
a repeated key overwrote a row instead of being rejected.)

Each test imports the same exports into a store that keeps line hashes and into one whose
hashes are dropped before the last import (every changed file read whole, as before #23
part 3), and compares the outcomes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from attain.ingest.importer import import_files
from attain.ingest.readers import ReadOptions
from attain.store import connect, raw_duckdb

TEAMS = "team_id,name\nT1,East\n"
REPS = "rep_id,name,team_id,role,hire_date\nR1,Rep 1,T1,rep,2022-01-01\n"
ACCOUNTS = "account_id,name,country\n" + "".join(f"C{i},Company {i},US\n" for i in range(12))
DEALS = "opportunity_id,owner_rep_id,stage,amount\nO1,R1,Prospecting,100\nO2,R1,Prospecting,200\n"
ACTIVITIES = "activity_id,rep_id,type,occurred_at,opportunity_id\n" + "".join(
    f"A{i},R1,call,2025-01-{1 + i:02d} 09:00:00,O{1 + i % 2}\n" for i in range(12)
)

Export = dict[str, bytes]


def _write(folder: Path, files: Export) -> Path:
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def _outcomes(tmp_path: Path, exports: list[Export]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The exports imported in order into a store keeping line hashes ("lines") and into one
    whose hashes are dropped before the last import ("whole"); the last import's outcome."""
    folders = [_write(tmp_path / f"export{n}", files) for n, files in enumerate(exports)]
    outcomes = []
    for name in ("lines", "whole"):
        backend = connect(str(tmp_path / f"{name}.duckdb"))
        for n, folder in enumerate(folders[:-1]):
            import_files(backend, [folder], taken_at=datetime(2030, 1, 1 + n))
        if name == "whole":
            raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
        rejects = tmp_path / f"{name}-rejects.csv"
        result = import_files(
            backend, [folders[-1]], taken_at=datetime(2030, 2, 1), rejects_path=rejects
        )
        con = raw_duckdb(backend)
        outcomes.append(
            {
                "read": [(t.table, t.rows_read, t.rows_rejected, t.changed) for t in result.tables],
                "accounts": sorted(con.execute("SELECT * FROM accounts").fetchall(), key=repr),
                "activities": sorted(con.execute("SELECT * FROM activities").fetchall(), key=repr),
                "rejects": _rows(rejects),
            }
        )
        backend.disconnect()
    return outcomes[0], outcomes[1]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as source:
        return list(csv.DictReader(source))


def _export(change: Callable[[str], str] = lambda text: text, **files: str) -> Export:
    texts = {
        "teams.csv": TEAMS,
        "reps.csv": REPS,
        "accounts.csv": ACCOUNTS,
        "opportunities.csv": DEALS,
        "activities.csv": ACTIVITIES,
    }
    texts.update({f"{name}.csv": text for name, text in files.items()})
    return {name: change(text).encode("utf-8") for name, text in texts.items()}


def test_a_changed_file_saved_as_cp1252_after_a_utf8_import_loads_as_read_whole(
    tmp_path: Path,
) -> None:
    """A spreadsheet re-saves the accounts in Windows-1252: the line reader cannot read the
    file as UTF-8, and the import must go on reading it whole (it failed with DuckDB's
    'Current transaction is aborted', the reader's error having spoilt the transaction)."""
    accented = ACCOUNTS.replace("Company 3,", "Café 3,")
    first = _export(accounts=accented)
    second = dict(first)
    changed = accented.replace("Company 7,", "Company 7 renamed,")
    second["accounts.csv"] = changed.encode("cp1252")

    lines, whole = _outcomes(tmp_path, [first, second])

    assert ("C7", "Company 7 renamed", None, None, None, "US") in whole["accounts"]
    assert lines == whole


def test_unchanged_lines_pointing_at_a_deal_the_export_dropped_are_rejected_as_read_whole(
    tmp_path: Path,
) -> None:
    """The second export drops deal O2 (a full export deletes it); the third changes one
    activity. Reading the activities whole rejects the six unchanged ones that point at O2
    (unknown opportunity_id); reading the changed line alone must reject them too, or the
    rejects file and the summary say nothing of them (hand count: A1, A3, ..., A11)."""
    first = _export()
    second = _export(opportunities="opportunity_id,owner_rep_id,stage,amount\nO1,R1,Won,100\n")
    third = dict(second)
    third["activities.csv"] = ACTIVITIES.replace("A0,R1,call", "A0,R1,email").encode()

    lines, whole = _outcomes(tmp_path, [first, second, third])

    assert [row["row"] for row in whole["rejects"]] == ["3", "5", "7", "9", "11", "13"]
    assert lines["rejects"] == whole["rejects"]
    assert lines["read"] == whole["read"]


def test_unchanged_stage_entries_of_a_dropped_deal_are_rejected_as_read_whole(
    tmp_path: Path,
) -> None:
    """Dropping deal O2 deletes its stage entries from the store, though the stage file still
    holds their lines. When the stage file later changes, reading it whole rejects O2's
    entry (unknown opportunity_id); reading the changed line alone must reject it too."""
    stages = (
        "opportunity_id,stage,entered_at\nO1,Prospecting,2025-01-01\nO2,Prospecting,2025-01-02\n"
    )
    first = _export(opportunity_stages=stages)
    second = _export(
        opportunity_stages=stages,
        opportunities="opportunity_id,owner_rep_id,stage,amount\nO1,R1,Prospecting,100\n",
    )
    third = dict(second)
    third["opportunity_stages.csv"] = (stages + "O1,Won,2025-02-01\n").encode()

    lines, whole = _outcomes(tmp_path, [first, second, third])

    assert [(row["table_name"], row["row"]) for row in whole["rejects"]] == [
        ("opportunity_stages", "3")
    ]
    assert lines["rejects"] == whole["rejects"]
    assert lines["read"] == whole["read"]


def test_a_date_format_declared_on_the_re_import_reads_the_unchanged_lines_too(
    tmp_path: Path,
) -> None:
    """The first import reads 01/04/2025 day first (--date-format %d/%m/%Y); the re-import,
    with one line changed, declares %m/%d/%Y. Reading whole stores 4 January (month first) for
    A0; the unchanged lines must not keep their day-first 1 April."""
    header = "activity_id,rep_id,type,occurred_at\n"
    rows = [f"A{i},R1,call,0{1 + i}/04/2025\n" for i in range(8)]
    changed = [*rows[:-1], "A7,R1,email,08/04/2025\n"]
    folders = [
        _write(tmp_path / name, _export(activities=header + "".join(text)))
        for name, text in (("first", rows), ("second", changed))
    ]
    stored = {}
    for name in ("lines", "whole"):
        backend = connect(str(tmp_path / f"{name}.duckdb"))
        import_files(backend, [folders[0]], options=ReadOptions(date_format="%d/%m/%Y"))
        if name == "whole":
            raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
        import_files(backend, [folders[1]], options=ReadOptions(date_format="%m/%d/%Y"))
        stored[name] = (
            raw_duckdb(backend)
            .execute("SELECT activity_id, occurred_at FROM activities ORDER BY activity_id")
            .fetchall()
        )
        backend.disconnect()

    assert stored["whole"][0] == ("A0", datetime(2025, 1, 4))
    assert stored["lines"] == stored["whole"]


def test_two_files_of_one_table_are_checked_against_each_other_as_read_whole(
    tmp_path: Path,
) -> None:
    """The re-import names two activity files: the export with one line changed, and a
    second file repeating key A3 (and a new B1). Reading whole rejects both A3 rows as a
    duplicate key and reads 12 rows; reading changed lines alone must do the same, not
    overwrite A3 and count 3 rows read."""
    first = _export()
    second = _export(activities=ACTIVITIES.replace("A0,R1,call", "A0,R1,email"))
    extra = "activity_id,rep_id,type,occurred_at\nA3,R1,meeting,2025-02-01 09:00:00\n"
    extra += "B1,R1,call,2025-02-02 09:00:00\n"
    folders = [_write(tmp_path / "first", first), _write(tmp_path / "second", second)]
    _write(tmp_path / "extra", {"activities.csv": extra.encode()})
    outcomes = {}
    for name in ("lines", "whole"):
        backend = connect(str(tmp_path / f"{name}.duckdb"))
        import_files(backend, [folders[0]])
        if name == "whole":
            raw_duckdb(backend).execute("DELETE FROM attain_line_hashes")
        result = import_files(backend, [folders[1], tmp_path / "extra"])
        activities = next(t for t in result.tables if t.table == "activities")
        outcomes[name] = (
            (activities.rows_read, activities.rows_rejected, activities.changed),
            raw_duckdb(backend)
            .execute("SELECT type FROM activities WHERE activity_id = 'A3'")
            .fetchall(),
        )
        backend.disconnect()

    assert outcomes["whole"] == ((14, 2, 1), [("call",)])
    assert outcomes["lines"] == outcomes["whole"]
