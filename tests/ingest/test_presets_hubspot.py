"""The hubspot preset maps contacts, companies and deals exports; owners become reps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest.importer import import_files
from attain.ingest.readers import ReadOptions

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
    # Company owners are reps too.
    assert [t.table for t in result.tables] == ["reps", "accounts"]
    assert "hubspot: no contacts, deals export given, skipped" in result.notes

    deals = write_csv("deals.csv", "Record ID,Deal Stage\n1,New", folder="x")
    with pytest.raises(InputError, match=r"deals\.csv: missing column\(s\) Deal owner"):
        import_files(con, [deals], preset_name="hubspot")


# Exports as many portals have them: no association ids, so deals name their company by domain
# and their contact by e-mail; owners are e-mail addresses (or names); channels in Lead Source.
LINKED_COMPANIES = """
Company ID,Company Name,Company Domain Name,Website,Company Owner
C1,Acme,https://www.Acme.com/,,dwight.schrute@example.com
C2,Beta,beta.io,,Michael Scott
C3,Gamma,,https://gamma.org/about,pam.beesly@example.com
"""

LINKED_CONTACTS = """
Contact ID,First Name,Email,Create Date,Lifecycle Stage,Contact Owner,Original Source,Lead Source,Associated Company Domain
K1,Ann,Ann@Acme.com,2024-01-02,Lead,Dwight.Schrute@Example.com,,Paid Search,acme.com
K2,Bo,bo@beta.io,2024-01-03,Lead,Michael Scott,Organic Search,Referral,www.beta.io
K3,Cy,cy@gamma.org,2024-01-04,Lead,,,,
"""  # noqa: E501

LINKED_DEALS = """
Deal ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal Owner,Deal Currency Code,Deal probability,Forecast category,Original Source,Associated Company Domain,Associated Contact Email
D1,Acme new,Closed Won,Sales,1000,2024-02-01,2024-01-05,dwight.schrute@example.com,eur,1,Closed won,,acme.com,ann@acme.com
D2,Acme more,closedlost,Sales,500,2024-03-01,2024-01-04,DWIGHT.SCHRUTE@example.com,,0.0,Omit,,http://acme.com,ANN@ACME.COM
D3,Beta,Contract Sent,Renewals,200,2024-04-01,2024-01-06,Michael Scott,,0.8,Best case,Direct Traffic,beta.io,bo@beta.io
D4,Stray,Appointment Scheduled,Sales,50,2024-05-01,2024-01-07,jim.halpert@example.com,,0.2,Pipeline,,unknown.com,ghost@x.io
"""  # noqa: E501


@pytest.fixture
def linked(write_csv: Callable[..., Path], tmp_path: Path) -> Path:
    write_csv("companies.csv", LINKED_COMPANIES, folder="linked")
    write_csv("contacts.csv", LINKED_CONTACTS, folder="linked")
    write_csv("deals.csv", LINKED_DEALS, folder="linked")
    return tmp_path / "linked"


def test_owners_given_as_addresses_are_reps_named_from_the_address(
    con: duckdb.DuckDBPyConnection, linked: Path
) -> None:
    result = import_files(con, [linked], preset_name="hubspot")

    assert result.rejects == 0
    # Contact owners first, then company and deal owners not among them; one rep per owner
    # however the address is capitalised.
    assert rows(con, "SELECT rep_id, name, email, role FROM reps ORDER BY rep_id") == [
        ("dwight.schrute@example.com", "Dwight Schrute", "dwight.schrute@example.com", "rep"),
        ("jim.halpert@example.com", "Jim Halpert", "jim.halpert@example.com", "rep"),
        ("michael-scott", "Michael Scott", None, "rep"),
        ("pam.beesly@example.com", "Pam Beesly", "pam.beesly@example.com", "rep"),
    ]


def test_contacts_take_lead_source_company_by_domain_and_earliest_deal(
    con: duckdb.DuckDBPyConnection, linked: Path
) -> None:
    import_files(con, [linked], preset_name="hubspot")

    assert rows(
        con,
        "SELECT lead_id, source, company, owner_rep_id, opportunity_id FROM leads ORDER BY 1",
    ) == [
        # No Original Source: Lead Source. acme.com is https://www.Acme.com/. Ann's deals are
        # D1 and D2; D2 was created first.
        ("K1", "paid_search", "Acme", "dwight.schrute@example.com", "D2"),
        # Original Source wins over Lead Source; www.beta.io is beta.io.
        ("K2", "organic_search", "Beta", "michael-scott", "D3"),
        ("K3", None, None, None, None),
    ]


def test_deals_link_by_domain_and_email_and_take_their_contacts_source(
    con: duckdb.DuckDBPyConnection, linked: Path
) -> None:
    import_files(con, [linked], preset_name="hubspot")

    assert rows(
        con,
        "SELECT opportunity_id, account_id, lead_id, source, owner_rep_id, is_won, currency, "
        "probability, forecast_category FROM opportunities ORDER BY 1",
    ) == [
        ("D1", "C1", "K1", "paid_search", "dwight.schrute@example.com", True, "EUR", 1.0, "closed"),
        (
            "D2",
            "C1",
            "K1",
            "paid_search",
            "dwight.schrute@example.com",
            False,
            None,
            0.0,
            "omitted",
        ),
        # The deal's own source wins over its contact's.
        ("D3", "C2", "K2", "direct_traffic", "michael-scott", None, None, 0.8, "best_case"),
        # Neither unknown.com nor ghost@x.io is in the exports: no account, lead or source.
        ("D4", None, None, None, "jim.halpert@example.com", None, None, 0.2, "pipeline"),
    ]


def test_notes_name_unread_columns_unlinked_deals_and_mixed_pipelines(
    con: duckdb.DuckDBPyConnection, linked: Path
) -> None:
    result = import_files(con, [linked], preset_name="hubspot")

    assert result.notes == [
        "deals.csv: 1 of 4 deals name a company domain not in the companies export; "
        "they load without an account",
        "deals.csv: 1 of 4 deals name a contact e-mail not in the contacts export; "
        "they load without a lead",
        "deals.csv: 2 pipelines (Renewals, Sales) share stage names; "
        "only Closed Won and Closed Lost close a deal",
        "contacts.csv: not read: First Name",
        "deals.csv: not read: Deal Name, Pipeline",
        "hubspot: no stage history, activities or quotas in these exports",
    ]


def test_association_ids_win_over_domains_row_by_row(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("companies.csv", LINKED_COMPANIES, folder="ids")
    write_csv(
        "deals.csv",
        "Deal ID,Deal Stage,Deal Owner,Associated Company IDs,Associated Company Domain\n"
        "D1,New,Jo,C2;C3,acme.com\n"
        "D2,New,Jo,,acme.com\n"
        "D3,New,Jo,,gamma.org",
        folder="ids",
    )

    result = import_files(con, [tmp_path / "ids"], preset_name="hubspot")

    assert result.rejects == 0
    # Gamma has no domain, only a website: its host is the domain.
    assert rows(con, "SELECT opportunity_id, account_id FROM opportunities ORDER BY 1") == [
        ("D1", "C2"),
        ("D2", "C1"),
        ("D3", "C3"),
    ]


@pytest.mark.parametrize(
    ("given", "expected", "note"),
    [
        # Every value 0 to 1: fractions, as HubSpot stores them.
        (["0.2", "1", ""], [0.2, 1.0, None], False),
        # A value above 1: the whole column is percent.
        (["20", "1", "100"], [0.2, 0.01, 1.0], True),
        # A % sign makes that value a percent; the others decide the rest.
        (["0.2", "30%", "1"], [0.2, 0.3, 1.0], False),
    ],
)
def test_deal_probability_is_read_as_a_fraction_or_a_percent(
    con: duckdb.DuckDBPyConnection,
    write_csv: Callable[..., Path],
    given: list[str],
    expected: list[float | None],
    note: bool,
) -> None:
    deals = write_csv(
        "deals.csv",
        "Deal ID,Deal Stage,Deal Owner,Deal Stage Probability\n"
        + "\n".join(f"D{n},New,Jo,{value}" for n, value in enumerate(given)),
    )

    result = import_files(con, [deals], preset_name="hubspot")

    assert result.rejects == 0
    assert [
        p for (p,) in rows(con, "SELECT probability FROM opportunities ORDER BY opportunity_id")
    ] == expected
    percent = "deals.csv: Deal Stage Probability read as percent (values above 1)"
    assert (percent in result.notes) is note


def test_unknown_forecast_categories_and_currencies_are_rejected(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path]
) -> None:
    deals = write_csv(
        "deals.csv",
        "Deal ID,Deal Stage,Deal Owner,Currency,Forecast category,Deal probability\n"
        "D1,New,Jo,usd,Commit,0.5\n"
        "D2,New,Jo,dollars,Maybe,150%",
    )

    result = import_files(con, [deals], preset_name="hubspot")

    assert sorted((r.row, r.column, r.value) for r in result.sample) == [
        (3, "currency", "dollars"),
        (3, "forecast_category", "maybe"),
        (3, "probability", "1.5"),
    ]
    assert rows(con, "SELECT currency, forecast_category, probability FROM opportunities") == [
        ("USD", "commit", 0.5)
    ]


def test_declared_date_format_reads_day_first_exports(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path]
) -> None:
    deals = write_csv(
        "deals.csv",
        "Deal ID,Deal Stage,Deal Owner,Create Date,Close Date\n"
        "D1,Closed Won,Jo,02/01/2024,15/02/2024",
    )

    result = import_files(
        con, [deals], preset_name="hubspot", options=ReadOptions(date_format="%d/%m/%Y")
    )

    assert result.rejects == 0
    assert rows(con, "SELECT created_at, closed_at, expected_close_date FROM opportunities") == [
        (datetime(2024, 1, 2), datetime(2024, 2, 15), date(2024, 2, 15))
    ]


def test_contact_ids_win_over_emails_for_lead_and_source(
    con: duckdb.DuckDBPyConnection, write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    write_csv("contacts.csv", LINKED_CONTACTS, folder="cids")
    write_csv(
        "deals.csv",
        "Deal ID,Deal Stage,Deal Owner,Associated Contact IDs,Associated Contact Email\n"
        "D1,New,Jo,K2;K1,ann@acme.com\n"
        "D2,New,Jo,,ann@acme.com\n"
        "D3,New,Jo,K3,",
        folder="cids",
    )

    result = import_files(con, [tmp_path / "cids"], preset_name="hubspot")

    assert result.rejects == 0
    # D1 names Bo (K2) by id: his lead and channel, not Ann's; K3 has no channel.
    assert rows(con, "SELECT opportunity_id, lead_id, source FROM opportunities ORDER BY 1") == [
        ("D1", "K2", "organic_search"),
        ("D2", "K1", "paid_search"),
        ("D3", "K3", None),
    ]
    # Without a Create Date each contact's earliest deal is its first in the file.
    assert rows(con, "SELECT lead_id, opportunity_id FROM leads ORDER BY 1") == [
        ("K1", "D2"),
        ("K2", "D1"),
        ("K3", "D3"),
    ]
