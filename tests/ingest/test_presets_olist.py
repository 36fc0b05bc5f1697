"""The olist preset: every MQL is a lead, every closed deal a won opportunity with its seller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from attain.errors import InputError
from attain.ingest.importer import import_files

MQLS = """
mql_id,first_contact_date,landing_page_id,origin
m1,2018-02-01,lp1,social
m2,2017-10-20,lp2,paid_search
m3,2018-03-22,lp1,
"""

DEALS_HEADER = (
    "mql_id,seller_id,sdr_id,sr_id,won_date,business_segment,lead_type,lead_behaviour_profile,"
    "has_company,has_gtin,average_stock,business_type,declared_product_catalog_size,"
    "declared_monthly_revenue"
)

DEALS = f"""
{DEALS_HEADER}
m1,s1,sdrA,srB,2018-02-26 19:58:54,pet,online_medium,cat,,,,reseller,,0.0
m2,s2,srB,srC,2018-05-08 20:17:59,car_accessories,industry,eagle,True,,,manufacturer,,20000.0
"""


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return con.execute(sql).fetchall()


@pytest.fixture
def olist(write_csv: Callable[..., Path], tmp_path: Path) -> Path:
    write_csv("olist_marketing_qualified_leads_dataset.csv", MQLS, folder="olist")
    write_csv("olist_closed_deals_dataset.csv", DEALS, folder="olist")
    return tmp_path / "olist"


def test_mqls_become_leads_and_closed_deals_won_opportunities(
    con: duckdb.DuckDBPyConnection, olist: Path
) -> None:
    result = import_files(con, [olist], preset_name="olist")

    assert result.rejects == 0
    # srB is an SDR on one deal and the closer on another: the closing role wins.
    assert rows(con, "SELECT rep_id, name, team_id, role FROM reps ORDER BY rep_id") == [
        ("sdrA", "sdrA", None, "sdr"),
        ("srB", "srB", None, "rep"),
        ("srC", "srC", None, "rep"),
    ]
    assert rows(con, "SELECT account_id, name, industry FROM accounts ORDER BY 1") == [
        ("s1", "s1", "pet"),
        ("s2", "s2", "car_accessories"),
    ]
    assert rows(
        con,
        "SELECT lead_id, created_at, mql_at, source, campaign, industry, owner_rep_id, status, "
        "converted_at, opportunity_id FROM leads ORDER BY lead_id",
    ) == [
        (
            "m1",
            datetime(2018, 2, 1),
            datetime(2018, 2, 1),
            "social",
            "lp1",
            "pet",
            "sdrA",
            "converted",
            datetime(2018, 2, 26, 19, 58, 54),
            "m1",
        ),
        (
            "m2",
            datetime(2017, 10, 20),
            datetime(2017, 10, 20),
            "paid_search",
            "lp2",
            "car_accessories",
            "srB",
            "converted",
            datetime(2018, 5, 8, 20, 17, 59),
            "m2",
        ),
        (
            "m3",
            datetime(2018, 3, 22),
            datetime(2018, 3, 22),
            None,
            "lp1",
            None,
            None,
            "qualified",
            None,
            None,
        ),
    ]
    assert rows(
        con,
        "SELECT opportunity_id, account_id, owner_rep_id, lead_id, source, created_at, closed_at, "
        "stage, is_won, amount FROM opportunities ORDER BY 1",
    ) == [
        (
            "m1",
            "s1",
            "srB",
            "m1",
            "social",
            None,
            datetime(2018, 2, 26, 19, 58, 54),
            "Won",
            True,
            None,
        ),
        (
            "m2",
            "s2",
            "srC",
            "m2",
            "paid_search",
            None,
            datetime(2018, 5, 8, 20, 17, 59),
            "Won",
            True,
            20000.0,
        ),
    ]


def test_reimporting_updates_every_row_and_inserts_none(
    con: duckdb.DuckDBPyConnection, olist: Path
) -> None:
    import_files(con, [olist], preset_name="olist")
    again = import_files(con, [olist], preset_name="olist")

    assert {t.table: (t.inserted, t.updated) for t in again.tables} == {
        "reps": (0, 3),
        "accounts": (0, 2),
        "leads": (0, 3),
        "opportunities": (0, 2),
    }


def test_bad_deal_values_are_rejected(con: duckdb.DuckDBPyConnection, olist: Path) -> None:
    (olist / "olist_closed_deals_dataset.csv").write_text(
        DEALS.strip()
        + "\nm3,s3,sdrA,srC,2018-13-01,pet,,,,,,,,-5\n"
        + "m9,s4,sdrA,srC,2018-06-01,pet,,,,,,,,0\n"
    )

    result = import_files(con, [olist], preset_name="olist")

    # The bad won_date fails the lead's converted_at and the deal's closed_at (which leaves
    # is_won without a close), and the rejected lead takes its deal with it.
    deals = str(olist / "olist_closed_deals_dataset.csv")
    mqls = str(olist / "olist_marketing_qualified_leads_dataset.csv")
    assert sorted((r.table, r.file, r.row, r.column, r.value) for r in result.sample) == [
        ("leads", mqls, 4, "converted_at", "2018-13-01"),
        ("opportunities", deals, 4, "amount", "-5"),
        ("opportunities", deals, 4, "closed_at", "2018-13-01"),
        ("opportunities", deals, 4, "is_won", "true"),
        ("opportunities", deals, 4, "lead_id", "m3"),
        ("opportunities", deals, 5, "lead_id", "m9"),
    ]
    assert rows(con, "SELECT count(*) FROM opportunities") == [(2,)]


def test_missing_closed_deals_file_is_named(con: duckdb.DuckDBPyConnection, olist: Path) -> None:
    (olist / "olist_closed_deals_dataset.csv").unlink()

    with pytest.raises(InputError, match=r"olist_closed_deals_dataset\.csv"):
        import_files(con, [olist], preset_name="olist")
