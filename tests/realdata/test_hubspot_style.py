"""The hubspot preset on HubSpot-style exports as users have them: ids named after the object,
owners as e-mail addresses, deals naming their company by domain and their contact by e-mail,
channels in Lead Source. Every row loads or is rejected, and the numbers match the files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from realdata_support import dataset

from attain.ingest.importer import ImportResult, import_files
from attain.leads.channels import channel_report
from attain.metrics.periods import quarters_between
from attain.metrics.sales import rep_sales

pytestmark = pytest.mark.realdata

NAME = "hubspot_style_deals"
FILES = {
    "accounts": "hubspot_companies.csv",
    "leads": "hubspot_contacts.csv",
    "opportunities": "hubspot_deals.csv",
}


def frame(name: str) -> pd.DataFrame:
    return pd.read_csv(dataset(NAME) / name, dtype=str, keep_default_na=False)


@pytest.fixture
def imported(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> ImportResult:
    return import_files(
        con, [dataset(NAME)], preset_name="hubspot", rejects_path=tmp_path / "rejects.csv"
    )


def test_every_row_loads_or_is_rejected_with_a_reason(
    imported: ImportResult, tmp_path: Path
) -> None:
    tables = {table.table: table for table in imported.tables}
    for table, name in FILES.items():
        assert tables[table].rows_read == len(frame(name)), table
    for table in imported.tables:
        assert table.rows_read == table.loaded + table.rows_rejected, table.table
    rejects = tmp_path / "rejects.csv"
    if rejects.exists():
        with rejects.open(newline="") as handle:
            found = list(csv.DictReader(handle))
        assert all(row["reason"] for row in found)
        for table in imported.tables:
            rows = {(r["file"], r["row"]) for r in found if r["table_name"] == table.table}
            assert len(rows) == table.rows_rejected, table.table
    # Owners are the five addresses, one rep each across contacts, companies and deals.
    owners = frame(FILES["opportunities"])["Deal Owner"].str.lower().unique()
    assert tables["reps"].rows_read == len(owners) == 5


def test_reimport_updates_every_row_in_place(
    imported: ImportResult, con: duckdb.DuckDBPyConnection
) -> None:
    again = import_files(con, [dataset(NAME)], preset_name="hubspot")

    assert again.rejects == 0
    for table in again.tables:
        assert (table.inserted, table.updated) == (0, table.rows_read), table.table


def test_deals_find_their_company_contact_and_channel(
    imported: ImportResult, con: duckdb.DuckDBPyConnection
) -> None:
    deals = frame(FILES["opportunities"])
    domains = set(frame(FILES["accounts"])["Company Domain Name"].str.lower())
    emails = set(frame(FILES["leads"])["Email"].str.lower())
    with_company = deals["Associated Company Domain"].str.lower().isin(domains).sum()
    with_contact = deals["Associated Contact Email"].str.lower().isin(emails).sum()

    linked = con.execute(
        "SELECT count(*), count(account_id), count(lead_id), count(source) FROM opportunities"
    ).fetchone()

    assert linked == (len(deals), with_company, with_contact, with_contact)
    assert with_company > 0.9 * len(deals) and with_contact > 0.9 * len(deals)
    leads_with_deal = con.execute("SELECT count(opportunity_id) FROM leads").fetchone()
    assert leads_with_deal == (deals["Associated Contact Email"].str.lower().nunique(),)


def test_channel_revenue_is_the_won_amount_of_the_files(imported: ImportResult, store: Any) -> None:
    deals = frame(FILES["opportunities"])
    won = deals[deals["Deal Stage"] == "Closed Won"]

    report = channel_report(store)

    assert report.total.revenue == pytest.approx(won["Amount"].astype(float).sum())
    assert sum(line.revenue for line in report.sources) == pytest.approx(report.total.revenue)
    assert all(line.revenue > 0 for line in report.sources)
    assert {line.channel for line in report.sources} == {
        source.lower().replace(" ", "_") for source in frame(FILES["leads"])["Lead Source"]
    }


def test_won_per_quarter_matches_pandas(imported: ImportResult, store: Any) -> None:
    deals = frame(FILES["opportunities"])
    won = deals[deals["Deal Stage"] == "Closed Won"]
    closed = pd.to_datetime(won["Close Date"])
    quarter = closed.dt.year.astype(str) + "-Q" + closed.dt.quarter.astype(str)
    expected = won["Amount"].astype(float).groupby(quarter).sum().to_dict()

    booked = {
        period.label: sum(sales.bookings for sales in rep_sales(store, period))
        for period in quarters_between(closed.min().date(), closed.max().date())
    }

    assert {label: amount for label, amount in booked.items() if amount} == pytest.approx(expected)
    assert len(expected) > 4
