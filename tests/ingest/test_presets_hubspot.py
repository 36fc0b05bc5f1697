"""The hubspot preset maps contacts, companies and deals exports; owners become reps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest.importer import import_files

COMPANIES = """
Record ID,Company name,Industry,Number of Employees,Annual Revenue,Country/Region,Company owner
101,Acme,COMPUTER_SOFTWARE,250,5000000,United States,Jane Doe
102,Beta GmbH,,,,Germany,
"""

CONTACTS = """
Record ID,First Name,Last Name,Email,Create Date,Company Name,Job Title,Country/Region,Industry,Number of Employees,Lifecycle Stage,Lead Status,Contact owner,Original Source,Became a Marketing Qualified Lead Date,Became a Sales Qualified Lead Date,Became an Opportunity Date
201,Ann,Lee,ann@acme.io,2024-01-02 10:15,Acme,CTO,United States,COMPUTER_SOFTWARE,250,Opportunity,Open Deal,Jane Doe,Organic Search,2024-01-03 09:00,2024-01-05 11:00,2024-01-10 15:00
202,Bo,Kim,bo@beta.de,01/15/2024 08:30,Beta GmbH,,Germany,,,Marketing Qualified Lead,,José Núñez,Paid Social,01/16/2024 08:30,,
203,Cy,Fox,cy@x.io,2024-02-01 12:00,,,,,,Lead,Attempted to contact,,Direct Traffic,,,
"""  # noqa: E501

DEALS = """
Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline,Associated Company IDs,Closed Lost Reason
301,Acme expansion,Closed Won,12000,2024-01-10 00:00,2024-01-10 15:00,Jane Doe,Sales Pipeline,101;102,
302,Beta pilot,closedlost,3000,2024-02-20 00:00,2024-01-12 09:30,Max Mustermann,Sales Pipeline,102,Budget
303,Acme renewal,Contract Sent,8000,2024-04-30 00:00,2024-02-01 09:30,Jane Doe,Sales Pipeline,,
"""  # noqa: E501


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


@pytest.fixture
def exports(write_csv: Callable[..., Path], tmp_path: Path) -> Path:
    write_csv("hubspot-crm-exports-all-companies-2024-03-01.csv", COMPANIES, folder="hs")
    write_csv("hubspot-crm-exports-all-contacts-2024-03-01.csv", CONTACTS, folder="hs")
    write_csv("hubspot-crm-exports-all-deals-2024-03-01.csv", DEALS, folder="hs")
    return tmp_path / "hs"


def test_owners_become_reps_once_each(con: duckdb.DuckDBPyConnection, exports: Path) -> None:
    result = import_files(con, [exports], preset_name="hubspot")

    assert result.rejects == 0
    assert rows(con, "SELECT rep_id, name, role FROM reps ORDER BY rep_id") == [
        ("jane-doe", "Jane Doe", "rep"),
        ("jose-nunez", "José Núñez", "rep"),
        ("max-mustermann", "Max Mustermann", "rep"),
    ]
    assert rows(con, "SELECT * FROM accounts ORDER BY account_id") == [
        ("101", "Acme", "COMPUTER_SOFTWARE", 250, 5_000_000.0, "United States"),
        ("102", "Beta GmbH", None, None, None, "Germany"),
    ]


def test_contacts_become_leads_with_lifecycle_dates(
    con: duckdb.DuckDBPyConnection, exports: Path
) -> None:
    import_files(con, [exports], preset_name="hubspot")

    assert rows(
        con,
        "SELECT lead_id, created_at, source, company, industry, employees, country, title, "
        "owner_rep_id, status, mql_at, sql_at, converted_at FROM leads ORDER BY lead_id",
    ) == [
        (
            "201",
            datetime(2024, 1, 2, 10, 15),
            "organic_search",
            "Acme",
            "COMPUTER_SOFTWARE",
            250,
            "United States",
            "CTO",
            "jane-doe",
            "converted",
            datetime(2024, 1, 3, 9),
            datetime(2024, 1, 5, 11),
            datetime(2024, 1, 10, 15),
        ),
        # No Lead Status: the lifecycle stage gives it; US-style dates are read.
        (
            "202",
            datetime(2024, 1, 15, 8, 30),
            "paid_social",
            "Beta GmbH",
            None,
            None,
            "Germany",
            None,
            "jose-nunez",
            "qualified",
            datetime(2024, 1, 16, 8, 30),
            None,
            None,
        ),
        (
            "203",
            datetime(2024, 2, 1, 12),
            "direct_traffic",
            None,
            None,
            None,
            None,
            None,
            None,
            "working",
            None,
            None,
            None,
        ),
    ]


def test_deals_are_won_or_lost_only_in_closed_stages(
    con: duckdb.DuckDBPyConnection, exports: Path
) -> None:
    import_files(con, [exports], preset_name="hubspot")

    assert rows(
        con,
        "SELECT opportunity_id, account_id, owner_rep_id, created_at, expected_close_date, "
        "closed_at, stage, is_won, amount, loss_reason FROM opportunities ORDER BY 1",
    ) == [
        # Closed at midnight of its creation day: closed_at takes the creation time.
        (
            "301",
            "101",
            "jane-doe",
            datetime(2024, 1, 10, 15),
            date(2024, 1, 10),
            datetime(2024, 1, 10, 15),
            "Closed Won",
            True,
            12000.0,
            None,
        ),
        (
            "302",
            "102",
            "max-mustermann",
            datetime(2024, 1, 12, 9, 30),
            date(2024, 2, 20),
            datetime(2024, 2, 20),
            "closedlost",
            False,
            3000.0,
            "Budget",
        ),
        (
            "303",
            None,
            "jane-doe",
            datetime(2024, 2, 1, 9, 30),
            date(2024, 4, 30),
            None,
            "Contract Sent",
            None,
            8000.0,
            None,
        ),
    ]


def test_unknown_statuses_and_companies_are_rejected(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv(
        "contacts.csv",
        "Record ID,Create Date,Lead Status,Contact owner\n1,2024-01-02,Hot,Jane Doe\n2,soon,,",
        folder="bad",
    )
    write_csv(
        "deals.csv",
        "Record ID,Deal Stage,Deal owner,Amount,Associated Company IDs\n"
        "9,Closed Won,Jane Doe,-1,77",
        folder="bad",
    )

    result = import_files(con, [tmp_path / "bad"], preset_name="hubspot")

    assert sorted((r.table, r.row, r.column, r.value) for r in result.sample) == [
        ("leads", 2, "status", "Hot"),
        ("leads", 3, "created_at", "soon"),
        ("opportunities", 2, "account_id", "77"),
        ("opportunities", 2, "amount", "-1"),
        ("opportunities", 2, "is_won", "true"),
    ]


def test_missing_exports_are_skipped_and_missing_columns_named(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path]
) -> None:
    companies = write_csv("companies.csv", COMPANIES)
    result = import_files(con, [companies], preset_name="hubspot")
    assert [t.table for t in result.tables] == ["accounts"]
    assert "hubspot: no contacts, deals export given, skipped" in result.notes

    deals = write_csv("deals.csv", "Record ID,Deal Stage\n1,New", folder="x")
    with pytest.raises(InputError, match=r"deals\.csv: missing column\(s\) Deal owner"):
        import_files(con, [deals], preset_name="hubspot")
