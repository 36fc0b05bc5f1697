"""The maven and olist presets load the real public datasets whole, and re-import idempotently."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from realdata_support import dataset

from attain.ingest.importer import import_files
from attain.schema import TABLES

pytestmark = pytest.mark.realdata


def records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] for name in TABLES}


def assert_reimport_changes_nothing(
    con: duckdb.DuckDBPyConnection, folder: Path, preset: str
) -> None:
    before = counts(con)
    again = import_files(con, [folder], preset_name=preset)
    assert again.rejects == 0
    for table in again.tables:
        assert (table.inserted, table.updated) == (0, table.rows_read), table.table
    assert counts(con) == before


def test_maven_loads_every_deal_and_reimports_idempotently(
    con: duckdb.DuckDBPyConnection,
) -> None:
    folder = dataset("maven_crm")
    pipeline = records(folder / "sales_pipeline.csv")

    result = import_files(con, [folder], preset_name="maven")

    loaded = {table.table: table for table in result.tables}
    assert loaded["opportunities"].rows_read == len(pipeline)
    assert loaded["opportunities"].rows_rejected == 0
    assert counts(con)["opportunities"] == len(pipeline)
    assert result.rejects == 0
    by_stage = dict(
        con.execute("SELECT stage, count(*) FROM opportunities GROUP BY stage").fetchall()
    )
    for stage in {row["deal_stage"] for row in pipeline}:
        assert by_stage[stage] == sum(row["deal_stage"] == stage for row in pipeline)
    assert_reimport_changes_nothing(con, folder, "maven")


def test_olist_turns_every_mql_into_a_lead_and_every_closed_deal_into_a_win(
    con: duckdb.DuckDBPyConnection,
) -> None:
    folder = dataset("olist_marketing_funnel")
    mqls = records(folder / "olist_marketing_qualified_leads_dataset.csv")
    deals = records(folder / "olist_closed_deals_dataset.csv")

    result = import_files(con, [folder], preset_name="olist")

    assert result.rejects == 0
    assert counts(con)["leads"] == len(mqls)
    assert con.execute(
        "SELECT count(*) FROM opportunities WHERE is_won AND closed_at IS NOT NULL"
    ).fetchone() == (len(deals),)
    assert con.execute("SELECT count(*) FROM opportunities").fetchone() == (len(deals),)
    assert con.execute(
        "SELECT count(*) FROM leads WHERE status = 'converted' AND opportunity_id IS NOT NULL"
    ).fetchone() == (len({row["mql_id"] for row in deals}),)
    assert_reimport_changes_nothing(con, folder, "olist")
