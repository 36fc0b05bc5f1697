"""The salesforce preset maps a Data Export (one CSV per object, API field names) to the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest.importer import import_files
from attain.schema.tables import LEAD_STATUSES

EXPORT = {
    "User.csv": """
Id,Name,Email,ManagerId,UserRoleId,IsActive,CreatedDate
005M,Mia Manager,mia@x.io,,00E1,true,2020-01-15T09:00:00.000Z
005R,Ray Rep,ray@x.io,005M,00E2,true,2021-03-01T08:00:00.000Z
005S,Sam Sdr,sam@x.io,005M,00E2,false,2022-06-01T08:00:00.000Z
""",
    "Account.csv": """
Id,IsDeleted,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,OwnerId
001A,false,Acme,Technology,250,5000000,United States,005R
001D,true,Deleted Co,,,,,005R
""",
    "Product2.csv": """
Id,Name,Family,IsActive
01tP,Widget,Hardware,true
""",
    "Lead.csv": """
Id,IsDeleted,CreatedDate,LeadSource,Company,Industry,NumberOfEmployees,Country,Title,OwnerId,Status,IsConverted,ConvertedDate,ConvertedOpportunityId
00Q1,false,2024-01-02T10:00:00.000Z,Web,Acme,Technology,250,United States,CTO,005S,Closed - Converted,true,2024-01-10,006W
00Q2,false,2024-01-03T11:00:00.000Z,Partner,Beta,,,Germany,,00G9,Open - Not Contacted,false,,
00Q3,false,2024-01-04T12:00:00.000Z,Web,Gamma,,,,,005R,Working - Contacted,false,,
""",  # noqa: E501
    "Opportunity.csv": """
Id,IsDeleted,AccountId,OwnerId,LeadSource,CreatedDate,CloseDate,StageName,IsClosed,IsWon,Amount,Type
006W,false,001A,005R,Web,2024-01-10T15:00:00.000Z,2024-01-10,Closed Won,true,true,12000,New Business
006L,false,001A,005R,,2024-01-12T09:30:00.000Z,2024-02-20,Closed Lost,true,false,5000,
006O,false,,005R,,2024-02-01T09:30:00.000Z,2024-04-30,Negotiation,false,false,,
""",
    "OpportunityHistory.csv": """
Id,OpportunityId,CreatedDate,StageName,Amount,CloseDate
008a,006W,2024-01-10T15:00:00.000Z,Prospecting,10000,2024-03-01
008b,006W,2024-01-10T15:05:00.000Z,Prospecting,12000,2024-03-01
008c,006W,2024-01-10T16:00:00.000Z,Closed Won,12000,2024-01-10
008d,006O,2024-02-01T09:30:00.000Z,Negotiation,,2024-04-30
""",
    "OpportunityLineItem.csv": """
Id,OpportunityId,Product2Id,Quantity,TotalPrice
00k1,006W,01tP,2,12000
""",
    "Task.csv": """
Id,OwnerId,WhatId,WhoId,ActivityDate,CreatedDate,Subject,Type,TaskSubtype,Status,IsClosed,CompletedDateTime,CallDisposition
00T1,005S,,00Q1,2024-01-03,2024-01-03T14:00:00.000Z,Intro,Call,Call,Completed,true,2024-01-03T14:20:00.000Z,Connected
00T2,005R,006O,,2024-02-10,2024-02-02T09:00:00.000Z,Call back,Call,Task,Not Started,false,,
00T3,005R,001A,003C,2024-02-15,2024-02-02T09:05:00.000Z,Pricing,,Task,Not Started,false,,
00T4,005R,006L,,,2024-01-20T10:00:00.000Z,Email,Email,Email,Completed,true,2024-01-20T10:00:00.000Z,
00T5,005R,006L,,2024-01-25,2024-01-22T10:00:00.000Z,Deck,Other,Task,Completed,true,2024-01-24T16:00:00.000Z,
""",
    "Event.csv": """
Id,OwnerId,WhatId,WhoId,ActivityDate,ActivityDateTime,StartDateTime,CreatedDate,Subject,Type
00U1,005R,006W,,2024-01-08,2024-01-08T13:00:00.000Z,2024-01-08T13:00:00.000Z,2024-01-05T10:00:00.000Z,Demo,Demo
00U2,005R,006L,,2024-01-15,2024-01-15T09:00:00.000Z,2024-01-15T09:00:00.000Z,2024-01-12T10:00:00.000Z,Review,Meeting
""",
    "Contact.csv": """
Id,LastName
003C,Doe
""",
}


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


@pytest.fixture
def export(write_csv: Callable[..., Path], tmp_path: Path) -> Path:
    for name, text in EXPORT.items():
        write_csv(name, text, folder="sf")
    return tmp_path / "sf"


def test_users_become_reps_and_their_managers_lead_teams(
    con: duckdb.DuckDBPyConnection, export: Path
) -> None:
    result = import_files(con, [export], preset_name="salesforce")

    assert result.rejects == 0
    assert "salesforce: ignored 1 other file(s): Contact.csv" in result.notes
    assert rows(con, "SELECT * FROM teams") == [("005M", "Mia Manager's team", "005M", None)]
    assert rows(con, "SELECT * FROM reps ORDER BY rep_id") == [
        ("005M", "Mia Manager", "mia@x.io", None, "manager", date(2020, 1, 15), None),
        ("005R", "Ray Rep", "ray@x.io", "005M", "rep", date(2021, 3, 1), None),
        ("005S", "Sam Sdr", "sam@x.io", "005M", "rep", date(2022, 6, 1), None),
    ]
    assert rows(con, "SELECT * FROM accounts") == [
        ("001A", "Acme", "Technology", 250, 5_000_000.0, "United States")
    ]
    assert rows(con, "SELECT * FROM products") == [("01tP", "Widget", "Hardware", None, None)]


def test_leads_map_default_statuses_and_drop_queue_owners(
    con: duckdb.DuckDBPyConnection, export: Path
) -> None:
    import_files(con, [export], preset_name="salesforce")

    assert rows(
        con,
        "SELECT lead_id, created_at, source, company, industry, employees, country, title, "
        "owner_rep_id, status, converted_at, opportunity_id FROM leads ORDER BY lead_id",
    ) == [
        (
            "00Q1",
            datetime(2024, 1, 2, 10),
            "Web",
            "Acme",
            "Technology",
            250,
            "United States",
            "CTO",
            "005S",
            "converted",
            datetime(2024, 1, 10),
            "006W",
        ),
        (
            "00Q2",
            datetime(2024, 1, 3, 11),
            "Partner",
            "Beta",
            None,
            None,
            "Germany",
            None,
            None,
            "new",
            None,
            None,
        ),
        (
            "00Q3",
            datetime(2024, 1, 4, 12),
            "Web",
            "Gamma",
            None,
            None,
            None,
            None,
            "005R",
            "working",
            None,
            None,
        ),
    ]


def test_opportunities_close_only_when_closed_and_history_keeps_stage_changes(
    con: duckdb.DuckDBPyConnection, export: Path
) -> None:
    import_files(con, [export], preset_name="salesforce")

    assert rows(
        con,
        "SELECT opportunity_id, account_id, owner_rep_id, product_id, lead_id, source, created_at, "
        "expected_close_date, closed_at, stage, is_won, amount FROM opportunities ORDER BY 1",
    ) == [
        (
            "006L",
            "001A",
            "005R",
            None,
            None,
            None,
            datetime(2024, 1, 12, 9, 30),
            date(2024, 2, 20),
            datetime(2024, 2, 20),
            "Closed Lost",
            False,
            5000.0,
        ),
        (
            "006O",
            None,
            "005R",
            None,
            None,
            None,
            datetime(2024, 2, 1, 9, 30),
            date(2024, 4, 30),
            None,
            "Negotiation",
            None,
            None,
        ),
        # Closed on the day it was created: the day-only CloseDate takes the creation time.
        (
            "006W",
            "001A",
            "005R",
            "01tP",
            "00Q1",
            "Web",
            datetime(2024, 1, 10, 15),
            date(2024, 1, 10),
            datetime(2024, 1, 10, 15),
            "Closed Won",
            True,
            12000.0,
        ),
    ]
    assert rows(con, "SELECT * FROM opportunity_stages ORDER BY opportunity_id, entered_at") == [
        ("006O", "Negotiation", datetime(2024, 2, 1, 9, 30), None),
        ("006W", "Prospecting", datetime(2024, 1, 10, 15), 10000.0),
        ("006W", "Closed Won", datetime(2024, 1, 10, 16), 12000.0),
    ]


def test_tasks_and_events_become_typed_activities(
    con: duckdb.DuckDBPyConnection, export: Path
) -> None:
    import_files(con, [export], preset_name="salesforce")

    assert rows(con, "SELECT * FROM activities ORDER BY activity_id") == [
        (
            "00T1",
            "005S",
            "call",
            datetime(2024, 1, 3, 14, 20),
            None,
            None,
            None,
            "00Q1",
            "Connected",
        ),
        (
            "00T2",
            "005R",
            "follow_up",
            datetime(2024, 2, 2, 9),
            datetime(2024, 2, 10),
            None,
            "006O",
            None,
            None,
        ),
        (
            "00T3",
            "005R",
            "task",
            datetime(2024, 2, 2, 9, 5),
            datetime(2024, 2, 15),
            None,
            None,
            None,
            None,
        ),
        ("00T4", "005R", "email", datetime(2024, 1, 20, 10), None, None, "006L", None, None),
        (
            "00T5",
            "005R",
            "task",
            datetime(2024, 1, 22, 10),
            datetime(2024, 1, 25),
            datetime(2024, 1, 24, 16),
            "006L",
            None,
            None,
        ),
        ("00U1", "005R", "demo", datetime(2024, 1, 8, 13), None, None, "006W", None, None),
        ("00U2", "005R", "meeting", datetime(2024, 1, 15, 9), None, None, "006L", None, None),
    ]


def test_values_outside_the_schema_are_rejected(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("User.csv", "Id,Name\n005R,Ray Rep", folder="bad")
    write_csv(
        "Lead.csv",
        "Id,CreatedDate,OwnerId,Status\n00Q1,2024-01-02,005R,Sleeping\n00Q2,yesterday,005R,",
        folder="bad",
    )
    write_csv(
        "Opportunity.csv",
        "Id,OwnerId,CreatedDate,CloseDate,StageName,IsClosed,IsWon,Amount\n"
        "006A,005R,2024-01-10,2024-01-20,Closed Won,true,maybe,10\n"
        "006B,005X,2024-01-10,2024-01-20,Closed Won,true,true,10\n"
        "006C,005R,2024-03-10,2024-01-20,Closed Lost,true,false,10",
        folder="bad",
    )

    result = import_files(con, [tmp_path / "bad"], preset_name="salesforce")

    assert sorted((r.table, r.row, r.column, r.value, r.reason) for r in result.sample) == [
        ("leads", 2, "status", "Sleeping", "unknown value; allowed: " + ", ".join(LEAD_STATUSES)),
        ("leads", 3, "created_at", "yesterday", "not a timestamp like 2024-01-31 14:05:00"),
        ("opportunities", 2, "is_won", "maybe", "not true or false"),
        ("opportunities", 3, "owner_rep_id", "005X", "unknown rep_id: not in reps"),
        ("opportunities", 4, "closed_at", "2024-01-20", "closed_at before created_at"),
    ]


def test_missing_objects_are_skipped_with_a_note(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path]
) -> None:
    accounts = write_csv("Account.csv", "Id,Name\n001A,Acme")

    result = import_files(con, [accounts], preset_name="salesforce")

    assert [t.table for t in result.tables] == ["accounts"]
    assert any(
        note.startswith("salesforce: not in the export, skipped: User.csv") for note in result.notes
    )


def test_missing_fields_and_unknown_folders_are_named(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    opportunities = write_csv(
        "Opportunity.csv", "Id,OwnerId,StageName,CreatedDate\n006A,005R,New,2024-01-01"
    )
    with pytest.raises(InputError, match=r"Opportunity\.csv: missing column\(s\) IsClosed, IsWon"):
        import_files(con, [opportunities], preset_name="salesforce")

    other = write_csv("leads_export.csv", "a\n1", folder="other")
    with pytest.raises(InputError, match="no Salesforce object file found"):
        import_files(con, [other.parent], preset_name="salesforce")
