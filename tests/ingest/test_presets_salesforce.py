"""The salesforce preset maps a Data Export (one CSV per object, API field names) to the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest.importer import ImportResult, import_files
from attain.ingest.readers import ReadOptions
from attain.metrics.targets import SELLING_ROLE, rep_roster
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
    assert rows(con, "SELECT team_id, name, manager_rep_id, region FROM teams") == [
        ("005M", "Mia Manager's team", "005M", None)
    ]
    assert rows(
        con,
        "SELECT rep_id, name, email, team_id, role, hire_date, end_date FROM reps ORDER BY rep_id",
    ) == [
        ("005M", "Mia Manager", "mia@x.io", None, "manager", date(2020, 1, 15), None),
        ("005R", "Ray Rep", "ray@x.io", "005M", "rep", date(2021, 3, 1), None),
        # Owns a lead and a task but no deal: an SDR. Inactive: gone after his last task.
        ("005S", "Sam Sdr", "sam@x.io", "005M", "sdr", date(2022, 6, 1), date(2024, 1, 3)),
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
    ]
    # Entered in March after closing in January: a backdated deal, loaded as the export says.
    assert rows(con, "SELECT created_at, closed_at, is_won, amount FROM opportunities") == [
        (datetime(2024, 3, 10), datetime(2024, 1, 20), False, 10.0)
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


EMPTY = "000000000000000AAA"
"""Salesforce's empty id, which Data Export writes for a blank lookup."""

ORG = {
    # Vera manages Ray and Ines; Sid (SDR) and Vera have no manager, so their roles give teams.
    # Ines is inactive: the export writes false as an empty cell, as in IsWon below.
    # The last five users are Salesforce's own or licence-only users.
    "User.csv": f"""
Id,Name,Email,ManagerId,UserRoleId,IsActive,UserType,CreatedDate
005V,Vera Vice,vera@x.io,{EMPTY},00E1,true,Standard,2020-01-01T00:00:00.000+0000
005R,Ray Rep,ray@x.io,005V,00E2,true,Standard,2021-01-01T00:00:00.000+0000
005I,Ines Gone,ines@x.io,005V,00E2,,Standard,2021-01-01T00:00:00.000+0000
005S,Sid Setter,sid@x.io,{EMPTY},00E3,true,Standard,2022-01-01T00:00:00.000+0000
005G,Integration User,,{EMPTY},{EMPTY},true,Standard,2019-01-01T00:00:00.000+0000
005P,Automated Process,,,,true,AutomatedProcess,2019-01-01T00:00:00.000+0000
005C,Chatter Expert,,,,true,CsnOnly,2019-01-01T00:00:00.000+0000
005L,Lena Licence,lena@x.io,{EMPTY},,true,Standard,2022-01-01T00:00:00.000+0000
005O,Old Admin,,,,false,Standard,2019-01-01T00:00:00.000+0000
005X,Xavi Transfer,xavi@x.io,005Q,00E3,true,Standard,2023-01-01T00:00:00.000+0000
""",
    "UserRole.csv": """
Id,Name,ParentRoleId
00E1,VP Sales,
00E2,Account Executive,00E1
00E3,SDR,00E1
00E4,Unused,00E1
""",
    "Account.csv": """
Id,IsDeleted,Name,OwnerId
001A,0,Acme,005R
001D,1,Deleted Co,005R
""",
    "Campaign.csv": """
Id,Name
701A,Spring Webinar
701B,Trade Show
""",
    "CampaignMember.csv": """
Id,CampaignId,LeadId,ContactId,CreatedDate
00v1,701B,00Q1,,2024-01-05T00:00:00.000+0000
00v2,701A,00Q1,,2024-01-01T00:00:00.000+0000
00v3,701A,,003C,2024-01-01T00:00:00.000+0000
00v4,701B,00Q2,,2024-02-01T00:00:00.000+0000
""",
    "Lead.csv": f"""
Id,CreatedDate,OwnerId,Status,ConvertedOpportunityId,CurrencyIsoCode
00Q1,2023-12-20T09:00:00.000+0000,005S,Working - Contacted,,USD
00Q2,2024-01-25T09:00:00.000+0000,005S,New,{EMPTY},USD
""",
    # 006B was entered in March after it closed in January (backdated); 006C is lost, and the
    # export writes its false IsWon as an empty cell; 006E was migrated to the integration user.
    "Opportunity.csv": f"""
Id,IsDeleted,AccountId,OwnerId,CreatedDate,CloseDate,StageName,IsClosed,IsWon,Amount,CurrencyIsoCode,Probability,ForecastCategory,ForecastCategoryName,CampaignId
006A,,001A,005R,2024-01-05T10:00:00.000+0000,2024-02-10,Closed Won,1,1,1000,USD,100,Closed,Closed,{EMPTY}
006B,,{EMPTY},005R,2024-03-10T10:00:00.000+0000,2024-01-20,Closed Won,1,1,50000,MXN,100,Closed,Closed,
006C,,001A,005I,2023-05-01T10:00:00.000+0000,2023-06-30,Closed Lost,1,,4000000,COP,0,Omitted,Omitted,
006D,,001A,005I,2023-07-01T10:00:00.000+0000,2023-12-31,Negotiation,,,900,PEN,60,BestCase,Best Case,
006E,,,005G,2018-01-01T10:00:00.000+0000,2018-03-01,Closed Won,1,1,700,USD,100,Closed,Closed,
006F,1,001A,005R,2024-01-05T10:00:00.000+0000,2024-02-10,Closed Won,1,1,999,USD,100,Closed,Closed,
""",  # noqa: E501
    "OpportunityFieldHistory.csv": """
Id,OpportunityId,Field,OldValue,NewValue,CreatedDate
017a,006A,created,,,2024-01-05T10:00:00.000+0000
017b,006A,StageName,Prospecting,Negotiation,2024-01-20T10:00:00.000+0000
017c,006A,Amount,800,1000,2024-01-21T10:00:00.000+0000
017d,006A,StageName,Negotiation,Closed Won,2024-02-10T12:00:00.000+0000
""",
    "Task.csv": f"""
Id,OwnerId,WhatId,WhoId,CreatedDate,Status,IsClosed
00T1,005I,006D,{EMPTY},2023-08-15T10:00:00.000+0000,Completed,1
00T2,005P,{EMPTY},,2024-01-01T10:00:00.000+0000,Completed,1
""",
    "CurrencyType.csv": """
Id,IsoCode,ConversionRate,IsCorporate,IsActive,DecimalPlaces
01L1,USD,1,1,1,2
01L2,MXN,17.5,0,1,2
01L3,COP,3950,0,1,2
01L4,PEN,3.75,0,0,2
""",
    # Salesforce starts each currency's first dated rate at 0001-01-01.
    "DatedConversionRate.csv": """
Id,IsoCode,ConversionRate,StartDate,NextStartDate
04w1,MXN,17.0,0001-01-01,2024-01-01
04w2,MXN,16.8,2024-01-01,9999-12-31
04w3,COP,4000,0001-01-01,9999-12-31
""",
    # Ray's quotas start a month apart, so periods are months; 0J93 counts units, 0J94 is a
    # product family's share: neither is the rep's revenue quota. 0J96 is both, counted once.
    "ForecastingQuota.csv": """
Id,QuotaOwnerId,StartDate,QuotaAmount,QuotaQuantity,CurrencyIsoCode,ProductFamily,IsAmount
0J91,005R,2024-01-01,30000,,USD,,1
0J92,005R,2024-02-01,32000,,USD,,1
0J93,005R,2024-01-01,,10,USD,,0
0J94,005R,2024-01-01,5000,,USD,Hardware,1
0J95,005I,2023-07-01,20000000,,COP,,1
0J96,005R,2024-01-01,,4,USD,Hardware,0
""",
    "Case.csv": "Id,Subject\n500A,Broken",
    "Contact.csv": "Id,LastName\n003C,Doe",
}


@pytest.fixture
def org(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> ImportResult:
    """The ORG export imported."""
    for name, text in ORG.items():
        write_csv(name, text, folder="org")
    result = import_files(con, [tmp_path / "org"], preset_name="salesforce")
    assert result.rejects == 0, result.sample
    return result


def test_roles_come_from_user_type_activity_and_management(
    org: ImportResult, con: duckdb.DuckDBPyConnection, store: Any
) -> None:
    """Empty ids are no references, so every user loads; only Ray and Ines sell.

    | user | why | role | team | end |
    |---|---|---|---|---|
    | Vera | Ray's and Ines's ManagerId | manager | her role, VP Sales | |
    | Ray | owns deals | rep | Vera's | |
    | Ines | inactive, owned deals | rep | Vera's | her last task, 2023-08-15 |
    | Sid | owns leads only | sdr | his role, SDR | |
    | Integration User, Automated Process, Chatter Expert | system users | other | | |
    | Lena, Old Admin | own nothing | other | | |
    | Xavi | owns nothing; his manager is not in the export | other | his role, SDR | |
    """
    assert rows(
        con,
        "SELECT rep_id, name, email, team_id, role, hire_date, end_date FROM reps ORDER BY rep_id",
    ) == [
        ("005C", "Chatter Expert", None, None, "other", date(2019, 1, 1), None),
        ("005G", "Integration User", None, None, "other", date(2019, 1, 1), None),
        ("005I", "Ines Gone", "ines@x.io", "005V", "rep", date(2021, 1, 1), date(2023, 8, 15)),
        ("005L", "Lena Licence", "lena@x.io", None, "other", date(2022, 1, 1), None),
        ("005O", "Old Admin", None, None, "other", date(2019, 1, 1), None),
        ("005P", "Automated Process", None, None, "other", date(2019, 1, 1), None),
        ("005R", "Ray Rep", "ray@x.io", "005V", "rep", date(2021, 1, 1), None),
        ("005S", "Sid Setter", "sid@x.io", "00E3", "sdr", date(2022, 1, 1), None),
        ("005V", "Vera Vice", "vera@x.io", "00E1", "manager", date(2020, 1, 1), None),
        ("005X", "Xavi Transfer", "xavi@x.io", "00E3", "other", date(2023, 1, 1), None),
    ]
    assert rows(
        con, "SELECT team_id, name, manager_rep_id, region FROM teams ORDER BY team_id"
    ) == [
        ("005V", "Vera Vice's team", "005V", None),
        ("00E1", "VP Sales", None, None),
        ("00E3", "SDR", None, None),
    ]
    # Users and roles are rows of their files; a team per manager is implied by ManagerId.
    assert (
        "salesforce: User.csv: 1 user(s) name a manager not in the export (or deleted); "
        "their team is their role's, if any" in org.notes
    )
    implied = {table.table: table.implied for table in org.tables}
    assert (implied["reps"], implied["teams"]) == (0, 1)
    roster = rep_roster(store)
    assert sorted(roster.loc[roster["role"] == SELLING_ROLE, "rep_id"]) == ["005I", "005R"]
    assert (
        "salesforce: UserRole.csv: 2 role(s) that no user without a manager holds, "
        "not made teams" in org.notes
    )


def test_deals_keep_currency_forecast_and_backdated_closes(
    org: ImportResult, con: duckdb.DuckDBPyConnection
) -> None:
    assert rows(
        con,
        "SELECT opportunity_id, account_id, owner_rep_id, created_at, closed_at, is_won "
        "FROM opportunities ORDER BY 1",
    ) == [
        ("006A", "001A", "005R", datetime(2024, 1, 5, 10), datetime(2024, 2, 10), True),
        # Backdated: entered after it closed, loaded with its close date (and amount, below).
        ("006B", None, "005R", datetime(2024, 3, 10, 10), datetime(2024, 1, 20), True),
        ("006C", "001A", "005I", datetime(2023, 5, 1, 10), datetime(2023, 6, 30), False),
        ("006D", "001A", "005I", datetime(2023, 7, 1, 10), None, None),
        ("006E", None, "005G", datetime(2018, 1, 1, 10), datetime(2018, 3, 1), True),
    ]
    assert rows(
        con,
        "SELECT opportunity_id, amount, currency, probability, forecast_category "
        "FROM opportunities ORDER BY 1",
    ) == [
        ("006A", 1000.0, "USD", 1.0, "closed"),
        ("006B", 50000.0, "MXN", 1.0, "closed"),
        ("006C", 4_000_000.0, "COP", 0.0, "omitted"),
        ("006D", 900.0, "PEN", 0.6, "best_case"),
        ("006E", 700.0, "USD", 1.0, "closed"),
    ]
    assert "salesforce: Opportunity.csv: 1 deleted row(s) (IsDeleted) skipped" in org.notes
    assert "salesforce: Account.csv: 1 deleted row(s) (IsDeleted) skipped" in org.notes
    assert rows(con, "SELECT account_id FROM accounts") == [("001A",)]


def test_rates_take_dated_rates_over_the_currency_table(
    org: ImportResult, con: duckdb.DuckDBPyConnection
) -> None:
    """MXN and COP have dated rates (the first, from 0001-01-01, starts in 1900); USD and PEN
    have one rate each; USD is the corporate currency."""
    assert rows(con, "SELECT * FROM fx_rates ORDER BY currency, start_date") == [
        ("COP", date(1900, 1, 1), 4000.0, False),
        ("MXN", date(1900, 1, 1), 17.0, False),
        ("MXN", date(2024, 1, 1), 16.8, False),
        ("PEN", date(1900, 1, 1), 3.75, False),
        ("USD", date(1900, 1, 1), 1.0, True),
    ]
    assert (
        "salesforce: CurrencyType.csv: 2 currency(ies) take their dated rates from "
        "DatedConversionRate.csv instead" in org.notes
    )


def test_forecasting_quotas_become_monthly_bookings_quotas(
    org: ImportResult, con: duckdb.DuckDBPyConnection
) -> None:
    assert rows(con, "SELECT * FROM quotas ORDER BY rep_id, period_start") == [
        ("005I", date(2023, 7, 1), date(2023, 7, 31), "bookings", 20_000_000.0, None, "COP"),
        ("005R", date(2024, 1, 1), date(2024, 1, 31), "bookings", 30000.0, None, "USD"),
        ("005R", date(2024, 2, 1), date(2024, 2, 29), "bookings", 32000.0, None, "USD"),
    ]
    assert (
        "salesforce: ForecastingQuota.csv: 2 quantity-only, 1 product-family quota(s) not loaded"
        in org.notes
    )
    assert (
        "salesforce: ForecastingQuota.csv: quota periods read as calendar months from "
        "StartDate" in org.notes
    )


def test_quota_periods_are_quarters_and_one_forecast_type_is_kept(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    """Quotas a quarter apart are quarterly. 0Db2 (say, opportunity splits) repeats Ray's first
    quarter; loading both would double his target, so the type with the most quotas wins."""
    write_csv("User.csv", "Id,Name\n005R,Ray Rep", folder="q")
    write_csv(
        "ForecastingQuota.csv",
        "QuotaOwnerId,StartDate,QuotaAmount,ForecastingTypeId\n"
        "005R,2024-01-01,90000,0Db1\n005R,2024-04-01,95000,0Db1\n005R,2024-01-01,50000,0Db2",
        folder="q",
    )

    result = import_files(con, [tmp_path / "q"], preset_name="salesforce")

    assert rows(con, "SELECT period_start, period_end, target FROM quotas ORDER BY 1") == [
        (date(2024, 1, 1), date(2024, 3, 31), 90000.0),
        (date(2024, 4, 1), date(2024, 6, 30), 95000.0),
    ]
    assert result.notes[:3] == [
        "salesforce: ForecastingQuota.csv: 2 forecast types; the quotas of 0Db1 (the most) are "
        "loaded, filter the file to load another",
        "salesforce: ForecastingQuota.csv: 1 other forecast type quota(s) not loaded",
        "salesforce: ForecastingQuota.csv: quota periods read as calendar quarters from StartDate",
    ]


def test_leads_take_their_first_campaign_and_history_its_stage_changes(
    org: ImportResult, con: duckdb.DuckDBPyConnection
) -> None:
    assert rows(con, "SELECT lead_id, campaign, opportunity_id, status FROM leads ORDER BY 1") == [
        ("00Q1", "Spring Webinar", None, "working"),
        ("00Q2", "Trade Show", None, "new"),
    ]
    assert (
        "salesforce: CampaignMember.csv: 2 lead(s) take their first campaign from 4 row(s); "
        "1 later campaign(s) of a lead and 1 contact member(s) are not loaded" in org.notes
    )
    # Field history logs changes only: the first change's old value is the stage at creation.
    assert rows(con, "SELECT * FROM opportunity_stages ORDER BY entered_at") == [
        ("006A", "Prospecting", datetime(2024, 1, 5, 10), None),
        ("006A", "Negotiation", datetime(2024, 1, 20, 10), None),
        ("006A", "Closed Won", datetime(2024, 2, 10, 12), None),
    ]
    assert [table.implied for table in org.tables if table.table == "opportunity_stages"] == [1]
    assert (
        "salesforce: OpportunityFieldHistory.csv: 2 row(s) track fields other than StageName, "
        "not loaded" in org.notes
    )
    assert rows(con, "SELECT activity_id, rep_id, opportunity_id, lead_id FROM activities") == [
        ("00T1", "005I", "006D", None),
        ("00T2", "005P", None, None),
    ]
    assert "salesforce: ignored 2 other file(s): Case.csv, Contact.csv" in org.notes
    assert (
        "salesforce: not in the export, skipped: Product2.csv, OpportunityLineItem.csv, Event.csv"
        in org.notes
    )


def test_without_user_csv_reps_are_made_from_owner_ids(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv(
        "Opportunity.csv",
        "Id,OwnerId,CreatedDate,CloseDate,StageName,IsClosed,IsWon,Amount\n"
        "006A,005A,2024-01-22T16:14:25.000+0000,2023-06-17,Closed Won,1,1,100\n"
        "006B,005A,2024-01-22T16:14:25.000+0000,2024-06-17,Prospecting,,,200",
        folder="nouser",
    )
    write_csv(
        "Lead.csv",
        "Id,CreatedDate,OwnerId\n00Q1,2024-01-02,005B\n00Q2,2024-01-02,00G1\n00Q3,2024-01-02,005A",
        folder="nouser",
    )

    result = import_files(con, [tmp_path / "nouser"], preset_name="salesforce")

    assert result.rejects == 0
    assert rows(con, "SELECT rep_id, name, role FROM reps ORDER BY 1") == [
        ("005A", "005A", "rep"),
        ("005B", "005B", "rep"),
    ]
    assert "salesforce: no User.csv: 2 rep(s) made from owner ids, named by id" in result.notes
    assert [table.implied for table in result.tables if table.table == "reps"] == [2]
    assert rows(con, "SELECT sum(amount) FROM opportunities WHERE is_won") == [(100.0,)]


LATIN_1_USERS = """
Id,Name,Title,ManagerId,IsActive
005J,José Núñez,Director de Ventas,000000000000000AAA,1
005M,María Peña,Ejecutiva de Cuentas,005J,1
005F,François Dupré,Ingénieur commercial,005J,1
"""
"""Users as an org set to ISO-8859-1 (Latin-1) exports them: accents are single bytes."""


def import_latin_1_users(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, options: ReadOptions | None = None
) -> ImportResult:
    folder = tmp_path / "latin"
    folder.mkdir()
    (folder / "User.csv").write_bytes(LATIN_1_USERS.strip().encode("latin-1") + b"\n")
    (folder / "Opportunity.csv").write_text(
        "Id,OwnerId,CreatedDate,StageName,IsClosed,IsWon\n"
        "006A,005M,2024-01-02,Prospecting,0,0\n006B,005F,2024-01-02,Prospecting,0,0\n"
    )
    return import_files(con, [folder], preset_name="salesforce", options=options)


LATIN_1_REPS = [
    ("005F", "François Dupré", "005J", "rep"),
    ("005J", "José Núñez", None, "manager"),
    ("005M", "María Peña", "005J", "rep"),
]


def test_a_latin_1_user_file_read_as_latin_1_keeps_its_accented_names(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    result = import_latin_1_users(con, tmp_path, ReadOptions(encoding="latin-1"))

    assert result.rejects == 0
    assert rows(con, "SELECT rep_id, name, team_id, role FROM reps ORDER BY 1") == LATIN_1_REPS


def test_a_latin_1_user_file_is_detected_and_keeps_its_accented_names(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    result = import_latin_1_users(con, tmp_path)

    assert result.rejects == 0
    assert rows(con, "SELECT rep_id, name, team_id, role FROM reps ORDER BY 1") == LATIN_1_REPS


def test_a_declared_date_format_reads_day_first_exports(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    """An org in a day-first locale writes 15/02/2024 where a US one writes 02/15/2024."""
    write_csv("User.csv", "Id,Name,IsActive,UserType\n005R,Ray Rep,true,Standard", "dmy")
    write_csv(
        "Opportunity.csv",
        "Id,OwnerId,StageName,CreatedDate,CloseDate,IsClosed,IsWon,Amount\n"
        "006A,005R,Closed Won,03/02/2024 09:30,15/02/2024,true,true,100\n"
        "006B,005R,Prospecting,01/03/2024 10:00,04/05/2024,false,false,50",
        "dmy",
    )

    result = import_files(
        con,
        [tmp_path / "dmy"],
        preset_name="salesforce",
        options=ReadOptions(date_format="%d/%m/%Y"),
    )

    assert result.rejects == 0, result.sample
    assert rows(
        con,
        "SELECT opportunity_id, created_at, closed_at, expected_close_date "
        "FROM opportunities ORDER BY 1",
    ) == [
        ("006A", datetime(2024, 2, 3, 9, 30), datetime(2024, 2, 15), date(2024, 2, 15)),
        ("006B", datetime(2024, 3, 1, 10), None, date(2024, 5, 4)),
    ]
