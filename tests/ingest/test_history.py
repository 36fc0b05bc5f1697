"""Each import is a data version; the deals' and reps' history keeps what changed (type 2)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.errors import InputError
from attain.ingest.importer import import_files
from attain.store.ddl import create_tables
from attain.store.prune import prune_history

TEAMS = """
team_id,name
T1,East
T2,West
"""

REPS = """
rep_id,name,team_id,role
R1,Ray,T1,rep
R2,Rita,T1,rep
"""

DEALS = """
opportunity_id,owner_rep_id,stage,amount,expected_close_date
O1,R1,Prospecting,100,2026-03-31
O2,R1,Prospecting,200,2026-03-31
O3,R2,Negotiation,300,2026-02-28
"""

WEEK1, WEEK2, WEEK3 = datetime(2026, 1, 5), datetime(2026, 1, 12), datetime(2026, 1, 19)

Writer = Callable[..., Path]


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(rows(con, f"SELECT count(*) FROM {table}")[0][0])


def export(write_csv: Writer, folder: str, deals: str = DEALS, reps: str = REPS) -> Path:
    """A full export: teams, reps and deals in `folder`."""
    write_csv("teams.csv", TEAMS, folder)
    write_csv("reps.csv", reps, folder)
    return write_csv("opportunities.csv", deals, folder).parent


def deal_history(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return rows(
        con,
        "SELECT opportunity_id, version_from, version_to, valid_from, valid_to, deleted, stage, "
        "amount FROM attain_opportunity_history ORDER BY opportunity_id, valid_from",
    )


def test_first_import_opens_one_current_history_row_per_deal_and_rep(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    result = import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    assert result.version == 1
    # 3 deals + 2 reps, each one current row from version 1, valid from the export's time.
    assert result.history_rows == 5
    assert deal_history(con) == [
        ("O1", 1, None, WEEK1, None, False, "Prospecting", 100.0),
        ("O2", 1, None, WEEK1, None, False, "Prospecting", 200.0),
        ("O3", 1, None, WEEK1, None, False, "Negotiation", 300.0),
    ]
    assert rows(con, "SELECT rep_id, version_from, team_id, role FROM attain_rep_history") == [
        ("R1", 1, "T1", "rep"),
        ("R2", 1, "T1", "rep"),
    ]
    (taken, partial, hashes), *_ = rows(
        con, "SELECT taken_at, partial, file_hashes FROM attain_imports"
    )
    assert (taken, partial) == (WEEK1, False)
    assert sorted(Path(p).name for p in json.loads(str(hashes))) == [
        "opportunities.csv",
        "reps.csv",
        "teams.csv",
    ]
    # Worked out beside the import (no earlier version to skip files of): each file's own.
    assert all(
        h == hashlib.sha256(Path(p).read_bytes()).hexdigest()
        for p, h in json.loads(str(hashes)).items()
    )


def test_a_stage_change_and_a_resize_close_two_rows_and_open_two(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    week2 = DEALS.replace("O1,R1,Prospecting", "O1,R1,Proposal").replace(",200,", ",250,")
    result = import_files(con, [export(write_csv, "w2", week2)], taken_at=WEEK2)
    assert result.version == 2 and result.history_rows == 2
    assert deal_history(con) == [
        ("O1", 1, 2, WEEK1, WEEK2, False, "Prospecting", 100.0),
        ("O1", 2, None, WEEK2, None, False, "Proposal", 100.0),
        ("O2", 1, 2, WEEK1, WEEK2, False, "Prospecting", 200.0),
        ("O2", 2, None, WEEK2, None, False, "Prospecting", 250.0),
        ("O3", 1, None, WEEK1, None, False, "Negotiation", 300.0),
    ]
    # Per table: read, inserted, updated, changed, unchanged, deleted (teams and reps repeat).
    assert rows(
        con,
        "SELECT table_name, rows_read, inserted, updated, changed, unchanged, deleted "
        "FROM attain_import_tables WHERE import_id = 2 ORDER BY table_name",
    ) == [
        ("opportunities", 3, 0, 3, 2, 1, 0),
        ("reps", 2, 0, 2, 0, 2, 0),
        ("teams", 2, 0, 2, 0, 2, 0),
    ]
    assert count(con, "attain_rep_history") == 2


def test_an_unchanged_reimport_adds_no_history_and_no_data_version(
    con: duckdb.DuckDBPyConnection, write_csv: Writer, tmp_path: Path
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    # The same files copied elsewhere: same contents, other paths.
    again = import_files(con, [export(write_csv, "copy")], taken_at=WEEK2)
    assert (again.unchanged_since, again.version, again.committed) == (1, None, False)
    assert "unchanged since data version 1" in " ".join(again.notes)
    assert count(con, "attain_imports") == 1
    assert count(con, "attain_import_tables") == 3
    assert count(con, "attain_opportunity_history") == 3
    assert count(con, "attain_rep_history") == 2


def test_same_files_after_another_import_changed_the_store_are_a_new_version(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    """The hashes match version 1, but version 2 moved O1: importing week 1 again moves it back."""
    first = export(write_csv, "w1")
    import_files(con, [first], taken_at=WEEK1)
    week2 = DEALS.replace("O1,R1,Prospecting", "O1,R1,Proposal")
    import_files(con, [export(write_csv, "w2", week2)], taken_at=WEEK2)
    again = import_files(con, [first], taken_at=WEEK3)
    assert (again.unchanged_since, again.version, again.history_rows) == (None, 3, 1)
    assert rows(
        con,
        "SELECT stage FROM attain_opportunity_history WHERE valid_to IS NULL AND "
        "opportunity_id = 'O1'",
    ) == [("Prospecting",)]


def test_a_full_import_missing_a_deal_deletes_it_and_records_its_last_state(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    w1 = export(write_csv, "w1")
    write_csv(
        "opportunity_stages.csv", "opportunity_id,stage,entered_at\nO3,Negotiation,2026-01-02", "w1"
    )
    import_files(con, [w1], taken_at=WEEK1)
    without_o3 = "\n".join(line for line in DEALS.splitlines() if not line.startswith("O3"))
    result = import_files(con, [export(write_csv, "w2", without_o3)], taken_at=WEEK2)
    deals = next(t for t in result.tables if t.table == "opportunities")
    assert (deals.deleted, result.history_rows) == (1, 1)
    assert [r for r in deal_history(con) if r[0] == "O3"] == [
        ("O3", None, None, datetime(2026, 1, 2), WEEK1, False, "Negotiation", 300.0),
        ("O3", 1, 2, WEEK1, WEEK2, False, "Negotiation", 300.0),
        ("O3", 2, None, WEEK2, None, True, "Negotiation", 300.0),
    ]
    assert rows(con, "SELECT opportunity_id FROM opportunities ORDER BY 1") == [("O1",), ("O2",)]
    assert count(con, "opportunity_stages") == 0  # its stage entries went with it
    assert rows(
        con,
        "SELECT deleted FROM attain_import_tables WHERE import_id = 2 AND "
        "table_name = 'opportunities'",
    ) == [(1,)]
    # The deal comes back in week 3: the deleted row closes, a live one opens.
    back = import_files(con, [export(write_csv, "w3")], taken_at=WEEK3)
    assert back.history_rows == 1
    assert [r[1:6] for r in deal_history(con) if r[0] == "O3"][-2:] == [
        (2, 3, WEEK2, WEEK3, True),
        (3, None, WEEK3, None, False),
    ]


def test_a_partial_import_deletes_nothing(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    only_o1 = "\n".join(line for line in DEALS.splitlines() if not line.startswith(("O2", "O3")))
    result = import_files(con, [export(write_csv, "w2", only_o1)], taken_at=WEEK2, partial=True)
    # Other files than version 1's, nothing changed: a new version that adds no history.
    assert (result.version, result.history_rows) == (2, 0)
    assert all(t.deleted == 0 for t in result.tables)
    assert count(con, "opportunities") == 3
    assert rows(con, "SELECT partial, taken_at FROM attain_imports WHERE import_id = 2") == [
        (True, WEEK2)
    ]
    assert count(con, "attain_opportunity_history") == 3


def test_a_file_lacking_a_column_keeps_the_stored_values_and_adds_no_false_change(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    # No amount column: amounts stay as stored, only O1's stage changed.
    narrow = (
        "opportunity_id,owner_rep_id,stage\nO1,R1,Proposal\nO2,R1,Prospecting\nO3,R2,Negotiation"
    )
    result = import_files(con, [write_csv("opportunities.csv", narrow, "w2")], taken_at=WEEK2)
    assert result.history_rows == 1
    assert deal_history(con)[1] == ("O1", 2, None, WEEK2, None, False, "Proposal", 100.0)


def test_stage_entries_in_the_export_seed_the_history_before_the_first_version(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    deals = (
        "opportunity_id,owner_rep_id,stage,amount,closed_at,is_won,forecast_category\n"
        "O1,R1,Proposal,100,,,commit\n"
        "O4,R2,Closed Won,500,2025-12-20,true,closed"
    )
    stages = (
        "opportunity_id,stage,entered_at,amount\n"
        "O1,Prospecting,2025-12-01,80\n"
        "O1,Proposal,2025-12-15,\n"
        "O4,Prospecting,2025-12-01,\n"
        "O4,Closed Won,2025-12-20,\n"
        "O4,Late entry,2026-02-01,"  # after the export was taken: not history yet
    )
    folder = export(write_csv, "w1", deals)
    write_csv("opportunity_stages.csv", stages, "w1")
    result = import_files(con, [folder], taken_at=WEEK1)
    # 4 seeded rows + 2 current deal rows + 2 rep rows.
    assert result.history_rows == 8
    got = rows(
        con,
        "SELECT opportunity_id, version_from, version_to, valid_from, valid_to, stage, amount, "
        "closed_at, is_won, forecast_category FROM attain_opportunity_history "
        "ORDER BY opportunity_id, valid_from",
    )
    d1, d15, d20 = datetime(2025, 12, 1), datetime(2025, 12, 15), datetime(2025, 12, 20)
    assert got == [
        ("O1", None, None, d1, d15, "Prospecting", 80.0, None, None, None),
        ("O1", None, None, d15, WEEK1, "Proposal", 100.0, None, None, None),
        ("O1", 1, None, WEEK1, None, "Proposal", 100.0, None, None, "commit"),
        ("O4", None, None, d1, d20, "Prospecting", 500.0, None, None, None),
        ("O4", None, None, d20, WEEK1, "Closed Won", 500.0, d20, True, None),
        ("O4", 1, None, WEEK1, None, "Closed Won", 500.0, d20, True, "closed"),
    ]
    # A later import never seeds again: O1's history has begun.
    moved = deals.replace("O1,R1,Proposal", "O1,R1,Negotiation")
    again = import_files(con, [export(write_csv, "w2", moved)], taken_at=WEEK2)
    assert again.history_rows == 1


def test_a_rep_who_moves_team_gets_a_second_history_row(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    moved = REPS.replace("R2,Rita,T1", "R2,Rita,T2")
    result = import_files(con, [export(write_csv, "w2", reps=moved)], taken_at=WEEK2)
    assert result.history_rows == 1
    assert rows(
        con,
        "SELECT version_from, version_to, valid_from, valid_to, team_id FROM attain_rep_history "
        "WHERE rep_id = 'R2' ORDER BY valid_from",
    ) == [(1, 2, WEEK1, WEEK2, "T1"), (2, None, WEEK2, None, "T2")]


def test_reps_missing_from_a_full_export_are_not_deleted(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    only_r1 = "rep_id,name,team_id,role\nR1,Ray,T1,rep"
    import_files(con, [write_csv("reps.csv", only_r1, "w2")], taken_at=WEEK2)
    assert count(con, "reps") == 2
    assert rows(con, "SELECT count(*) FROM attain_rep_history WHERE deleted") == [(0,)]


def test_an_export_taken_before_the_latest_version_is_refused(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w2")], taken_at=WEEK2)
    with pytest.raises(InputError, match="before data version 1"):
        import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    assert count(con, "attain_imports") == 1


def test_prune_removes_only_closed_rows_that_ended_before_the_date(
    store: object, con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    import_files(con, [export(write_csv, "w1")], taken_at=WEEK1)
    week2 = DEALS.replace("O1,R1,Prospecting", "O1,R1,Proposal")
    import_files(con, [export(write_csv, "w2", week2)], taken_at=WEEK2)
    week3 = week2.replace("O1,R1,Proposal", "O1,R1,Negotiation")
    import_files(con, [export(write_csv, "w3", week3)], taken_at=WEEK3)
    # O1: [W1, W2) closed, [W2, W3) closed, [W3, -) current; O2, O3 current from W1.
    pruned = prune_history(store, datetime(2026, 1, 13))
    assert pruned.rows == {"attain_opportunity_history": 1, "attain_rep_history": 0}
    assert pruned.bytes_freed is not None and pruned.bytes_freed >= 0
    assert [(r[0], r[3]) for r in deal_history(con)] == [
        ("O1", WEEK2),
        ("O1", WEEK3),
        ("O2", WEEK1),
        ("O3", WEEK1),
    ]
    # Even far in the future, current rows stay.
    assert prune_history(store, datetime(2100, 1, 1)).total == 1
    assert count(con, "attain_opportunity_history") == 3


runner = CliRunner()


def cell(output: str, row: str, column: str) -> str:
    """The text of a rich table's cell, found by its row's first cell and its column header."""
    lines = [line.replace("┃", "│") for line in output.splitlines() if "│" in line or "┃" in line]
    header = next(line for line in lines if f" {column} " in line)
    names = [name.strip() for name in header.split("│")]
    found = next(line for line in lines if line.split("│")[1].strip() == row)
    return found.split("│")[names.index(column)].strip()


def test_the_cli_takes_the_export_time_and_partial_and_says_when_nothing_changed(
    tmp_path: Path, write_csv: Writer
) -> None:
    db = str(tmp_path / "s.duckdb")
    base = ["import", "--db", db, "--rejects", str(tmp_path / "rejects.csv")]
    first = runner.invoke(app, [*base, str(export(write_csv, "w1")), "--taken-at", "2026-01-05"])
    assert first.exit_code == 0, first.output
    assert "Data version 1; 5 history row(s) added." in first.output
    same = runner.invoke(app, [*base, str(export(write_csv, "w1")), "--taken-at", "2026-01-12"])
    assert same.exit_code == 0, same.output
    assert "Nothing new: unchanged since data version 1." in same.output
    without_o3 = "\n".join(line for line in DEALS.splitlines() if not line.startswith("O3"))
    folder = str(export(write_csv, "w2", without_o3))
    kept = runner.invoke(app, [*base, folder, "--taken-at", "2026-01-12", "--partial"])
    assert kept.exit_code == 0, kept.output
    assert cell(kept.output, "opportunities", "deleted") == "0"
    gone = runner.invoke(
        app, [*base, folder, "--taken-at", "2026-01-19 08:30:00"], env={"COLUMNS": "200"}
    )
    assert gone.exit_code == 0, gone.output
    assert cell(gone.output, "opportunities", "deleted") == "1"
    with duckdb.connect(db) as con:
        assert rows(con, "SELECT import_id, taken_at, partial FROM attain_imports") == [
            (1, WEEK1, False),
            (2, WEEK2, True),
            (3, datetime(2026, 1, 19, 8, 30), False),
        ]
    status = runner.invoke(app, ["status", "--db", db], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    latest = status.output.split("Latest import of each table")[1]
    assert cell(latest, "opportunities", "deleted") == "1"
    pruned = runner.invoke(app, ["history", "prune", "--db", db, "--before", "2026-02-01"])
    assert pruned.exit_code == 0, pruned.output
    # O3's row of versions 1-3, closed when it was deleted on 19 January.
    assert "Pruned 1 closed history row(s)" in pruned.output
    assert "ended before 2026-02-01 00:00" in pruned.output


def test_a_store_from_before_the_history_kept_creation_gains_it_without_false_changes(
    con: duckdb.DuckDBPyConnection, write_csv: Writer
) -> None:
    """Stores whose history lacks `created_at` get it filled from the deals, so the next
    import of a changed export writes rows only for what changed."""
    deals = DEALS.replace("opportunity_id,", "created_at,opportunity_id,").replace(
        "\nO", "\n2026-01-02,O"
    )
    import_files(con, [export(write_csv, "w1", deals=deals)], taken_at=WEEK1)
    con.execute("ALTER TABLE attain_opportunity_history DROP COLUMN created_at")
    create_tables(con)
    created = rows(con, "SELECT DISTINCT created_at FROM attain_opportunity_history")
    assert created == [(datetime(2026, 1, 2),)]
    resized = deals.replace("O3,R2,Negotiation,300", "O3,R2,Negotiation,350")
    import_files(con, [export(write_csv, "w2", deals=resized)], taken_at=WEEK2)
    assert count(con, "attain_opportunity_history") == 4
