"""The channel report on the real Olist marketing funnel ranks its sources and adds up."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from realdata_support import dataset

from attain.ingest.importer import import_files
from attain.leads.channels import channel_report

pytestmark = pytest.mark.realdata


def test_olist_sources_are_ranked_and_totals_match_the_files(
    store: Any, con: duckdb.DuckDBPyConnection
) -> None:
    import_files(con, [dataset("olist_marketing_funnel")], preset_name="olist")

    report = channel_report(store)

    assert (report.total.leads, report.total.won) == (8000, 842)
    assert sum(line.leads for line in report.sources) == 8000
    assert sum(line.won for line in report.sources) == 842
    per_lead = [line.revenue_per_lead or 0.0 for line in report.sources]
    assert per_lead == sorted(per_lead, reverse=True)
    assert report.sources[0].channel == "organic_search"
    by_source = {line.channel: line for line in report.sources}
    assert (by_source["organic_search"].leads, by_source["organic_search"].won) == (2296, 271)
