"""A monday.com board export loads through docs/monday-map.toml, untouched, with won totals
equal to a pandas reading of the same file; `attain map suggest` drafts a map that parses."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from realdata_support import dataset
from typer.testing import CliRunner

from attain.cli.main import app
from attain.ingest.importer import import_files
from attain.ingest.mapping import parse_map
from attain.ingest.readers import ReadOptions

pytestmark = pytest.mark.realdata

MONDAY_MAP = Path(__file__).parents[2] / "docs" / "monday-map.toml"


def test_suggest_drafts_a_map_that_parses() -> None:
    folder = dataset("monday_deals")

    drafted = CliRunner().invoke(app, ["map", "suggest", str(folder)])

    assert drafted.exit_code == 0, drafted.output
    column_map = parse_map(tomllib.loads(drafted.output), Path("draft.toml"))
    assert set(column_map.tables) == {"reps", "accounts", "products", "opportunities"}
    columns = column_map.tables["opportunities"].columns
    assert columns["is_won"].values == {
        "Won": "won",
        "Dead": "lost",
        "Open": "open",
        "On Hold": "open",
    }
    assert columns["stage"].column == ["Deal Stage"]


def test_every_deal_loads_or_is_rejected_with_a_reason(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = dataset("monday_deals")
    rejects = tmp_path / "rejects.csv"

    result = import_files(
        con,
        [folder],
        preset_name="map",
        rejects_path=rejects,
        options=ReadOptions(column_map=MONDAY_MAP),
    )

    tables = {table.table: table for table in result.tables}
    assert {name: t.loaded for name, t in tables.items()} == {
        "reps": 7,
        "accounts": 199,
        "products": 9,
        "opportunities": 256,
    }
    for table in tables.values():
        assert table.rows_read == table.loaded + table.rows_rejected, table.table
    # 346 lines under the header: 344 deals and 2 repeated header rows, dropped and counted
    # (by the reader, else by the map's skip rule).
    assert tables["opportunities"].rows_read == 344
    dropped = [n for n in result.notes if "row(s) repeating the header" in n or "skipped 2" in n]
    assert dropped and all("52, 181" in note for note in dropped)
    with rejects.open(newline="", encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert all(row["reason"] for row in rejected)
    assert len({row["row"] for row in rejected}) == tables["opportunities"].rows_rejected == 88
    reasons = {row["reason"].split(" (rows")[0].split(" in this")[0] for row in rejected}
    assert {
        "won deal with no close date: neither Close Date (A) nor Tentative Close Date is set",
        "lost deal with no close date: neither Close Date (A) nor Tentative Close Date is set",
        "empty value in a required column",
    } <= reasons


def test_won_totals_per_quarter_match_pandas(con: duckdb.DuckDBPyConnection) -> None:
    folder = dataset("monday_deals")
    import_files(con, [folder], preset_name="map", options=ReadOptions(column_map=MONDAY_MAP))

    # Straight from the file: won deals, closed on Close Date (A), else on Tentative Close
    # Date (the map's documented fallback); deals with neither have no quarter.
    deals = pd.read_csv(folder / "deals.csv", dtype=str, encoding="utf-8-sig")
    won = deals[deals["Deal Status"] == "Won"]
    closed = pd.to_datetime(won["Close Date (A)"].fillna(won["Tentative Close Date"]))
    value = pd.to_numeric(won["Masked Deal value"])
    totals = value.groupby(closed.dt.to_period("Q")).sum()
    expected = {str(quarter): round(total, 2) for quarter, total in totals.items()}

    stored = con.execute(
        "SELECT year(closed_at) || 'Q' || quarter(closed_at), round(sum(amount), 2) "
        "FROM opportunities WHERE is_won GROUP BY 1"
    ).fetchall()

    assert dict(stored) == expected
    assert len(expected) == 7


def test_a_reimport_of_the_same_file_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    folder = dataset("monday_deals")
    options = ReadOptions(column_map=MONDAY_MAP)
    import_files(con, [folder], preset_name="map", options=options)

    again = import_files(con, [folder], preset_name="map", options=options)

    assert {t.table: t.inserted for t in again.tables} == {
        "reps": 0,
        "accounts": 0,
        "products": 0,
        "opportunities": 0,
    }
    assert con.execute("SELECT count(*) FROM opportunities").fetchone() == (256,)
