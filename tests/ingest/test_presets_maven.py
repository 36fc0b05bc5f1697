"""The maven preset turns Maven's four CRM files into teams, reps, accounts, products and deals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest.importer import import_files

TEAMS = """
sales_agent,manager,regional_office
Anna Snelling,Dustin Brinkmann,Central
Cecily Lampkin,Dustin Brinkmann,Central
Violet Mclelland,Cara Losch,East
"""

ACCOUNTS = """
account,sector,year_established,revenue,employees,office_location,subsidiary_of
Acme Corporation,technolgy,1996,1100.04,2822,United States,
Betatech,medical,1986,647.18,1185,Kenya,Acme Corporation
"""

PRODUCTS = """
product,series,sales_price
GTX Pro,GTX,4821
MG Special,MG,55
"""

PIPELINE = """
opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
W1,Anna Snelling,GTXPro,Acme Corporation,Won,2016-10-20,2017-03-01,4514
L1,Anna Snelling,MG Special,Betatech,Lost,2016-11-02,2017-03-10,0
E1,Violet Mclelland,MG Special,,Engaging,2017-05-01,,
P1,Cecily Lampkin,GTXPro,,Prospecting,,,
"""


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


@pytest.fixture
def maven(write_csv: Callable[..., Path], tmp_path: Path) -> Path:
    """A tiny Maven folder, data dictionary included (it is ignored)."""
    write_csv("sales_teams.csv", TEAMS, folder="maven")
    write_csv("accounts.csv", ACCOUNTS, folder="maven")
    write_csv("products.csv", PRODUCTS, folder="maven")
    write_csv("sales_pipeline.csv", PIPELINE, folder="maven")
    write_csv("data_dictionary.csv", "Table,Field,Description\n", folder="maven")
    return tmp_path / "maven"


def test_maven_files_become_canonical_rows(con: duckdb.DuckDBPyConnection, maven: Path) -> None:
    result = import_files(con, [maven], preset_name="maven")

    assert result.rejects == 0
    assert "maven: ignored data_dictionary.csv" in result.notes
    assert rows(
        con, "SELECT team_id, name, manager_rep_id, region FROM teams ORDER BY team_id"
    ) == [
        ("team-cara-losch", "Cara Losch's team", "Cara Losch", "East"),
        ("team-dustin-brinkmann", "Dustin Brinkmann's team", "Dustin Brinkmann", "Central"),
    ]
    assert rows(con, "SELECT rep_id, name, team_id, role FROM reps ORDER BY rep_id") == [
        ("Anna Snelling", "Anna Snelling", "team-dustin-brinkmann", "rep"),
        ("Cara Losch", "Cara Losch", "team-cara-losch", "manager"),
        ("Cecily Lampkin", "Cecily Lampkin", "team-dustin-brinkmann", "rep"),
        ("Dustin Brinkmann", "Dustin Brinkmann", "team-dustin-brinkmann", "manager"),
        ("Violet Mclelland", "Violet Mclelland", "team-cara-losch", "rep"),
    ]
    assert rows(con, "SELECT * FROM accounts ORDER BY account_id") == [
        (
            "Acme Corporation",
            "Acme Corporation",
            "technolgy",
            2822,
            1_100_040_000.0,
            "United States",
        ),
        ("Betatech", "Betatech", "medical", 1185, 647_180_000.0, "Kenya"),
    ]
    assert rows(con, "SELECT * FROM products ORDER BY product_id") == [
        ("GTXPro", "GTX Pro", "GTX", 4821.0, None),
        ("MGSpecial", "MG Special", "MG", 55.0, None),
    ]
    assert rows(
        con,
        "SELECT opportunity_id, account_id, owner_rep_id, product_id, created_at, closed_at, "
        "stage, is_won, amount FROM opportunities ORDER BY opportunity_id",
    ) == [
        (
            "E1",
            None,
            "Violet Mclelland",
            "MGSpecial",
            datetime(2017, 5, 1),
            None,
            "Engaging",
            None,
            None,
        ),
        (
            "L1",
            "Betatech",
            "Anna Snelling",
            "MGSpecial",
            datetime(2016, 11, 2),
            datetime(2017, 3, 10),
            "Lost",
            False,
            0.0,
        ),
        ("P1", None, "Cecily Lampkin", "GTXPro", None, None, "Prospecting", None, None),
        (
            "W1",
            "Acme Corporation",
            "Anna Snelling",
            "GTXPro",
            datetime(2016, 10, 20),
            datetime(2017, 3, 1),
            "Won",
            True,
            4514.0,
        ),
    ]


def test_reimporting_updates_every_row_and_inserts_none(
    con: duckdb.DuckDBPyConnection, maven: Path
) -> None:
    import_files(con, [maven], preset_name="maven")
    again = import_files(con, [maven], preset_name="maven")

    assert {t.table: (t.inserted, t.updated) for t in again.tables} == {
        "teams": (0, 2),
        "reps": (0, 5),
        "accounts": (0, 2),
        "products": (0, 2),
        "opportunities": (0, 4),
    }


def test_bad_pipeline_values_are_rejected_with_file_row_and_column(
    con: duckdb.DuckDBPyConnection, maven: Path
) -> None:
    (maven / "sales_pipeline.csv").write_text(
        PIPELINE.strip()
        + "\nX1,Nobody Known,GTXPro,Acme Corporation,Won,2017-01-02,2017-02-01,lots\n"
        + "X2,Anna Snelling,GTX Ultra,Acme Corporation,Won,2017-01-02,2016-12-01,10\n"
    )

    result = import_files(con, [maven], preset_name="maven")

    assert sorted((r.row, r.column, r.value, r.reason) for r in result.sample) == [
        (6, "amount", "lots", "not a number"),
        (6, "owner_rep_id", "Nobody Known", "unknown rep_id: not in reps"),
        (7, "product_id", "GTXUltra", "unknown product_id: not in products"),
    ]
    assert {r.file for r in result.sample} == {str(maven / "sales_pipeline.csv")}
    assert rows(con, "SELECT count(*) FROM opportunities") == [(4,)]


def test_missing_file_is_named(con: duckdb.DuckDBPyConnection, maven: Path) -> None:
    (maven / "sales_teams.csv").unlink()

    with pytest.raises(InputError, match=r"sales_teams\.csv"):
        import_files(con, [maven], preset_name="maven")


def test_missing_column_is_named_with_its_file(con: duckdb.DuckDBPyConnection, maven: Path) -> None:
    (maven / "products.csv").write_text("product,sales_price\nGTX Pro,4821\n")

    with pytest.raises(InputError, match=r"products\.csv: missing column\(s\) series"):
        import_files(con, [maven], preset_name="maven")
