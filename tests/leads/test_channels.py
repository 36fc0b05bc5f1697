"""The channel report: funnel counts, rates, revenue, days to win and rejections per source."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from attain.leads.channels import channel_report


@pytest.fixture
def funnel(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(
        "INSERT INTO leads (lead_id, created_at, source, campaign, mql_at, sql_at, rejected_at, "
        "rejection_reason, converted_at) VALUES "
        "('L1', '2026-01-01', 'referral', NULL, '2026-01-02', '2026-01-03', NULL, NULL, "
        "'2026-01-04'),"
        "('L2', '2026-01-01', 'referral', NULL, '2026-01-02', NULL, '2026-01-05', 'no_budget', "
        "NULL),"
        "('L3', '2026-01-01', 'paid', 'Brand', '2026-01-02', '2026-01-03', NULL, NULL, "
        "'2026-01-04'),"
        "('L4', '2026-01-01', 'paid', 'Brand', NULL, NULL, '2026-01-05', 'not_a_fit', NULL),"
        "('L5', '2026-01-01', 'paid', 'Brand', NULL, NULL, '2026-01-05', 'not_a_fit', NULL),"
        "('L6', '2026-01-01', 'paid', 'Generic', NULL, NULL, NULL, NULL, NULL),"
        "('L7', '2026-05-01', 'paid', 'Generic', NULL, NULL, NULL, NULL, NULL)"
    )
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, lead_id, created_at, closed_at, "
        "stage, is_won, amount) VALUES "
        "('O1', 'R1', 'L1', '2026-01-04', '2026-01-11', 'Won', true, 1000),"
        "('O3', 'R1', 'L3', '2026-01-04', '2026-01-31', 'Lost', false, 500)"
    )
    return con


def test_sources_are_ranked_by_revenue_per_lead_with_their_funnel(store: Any, funnel: Any) -> None:
    report = channel_report(store, date(2026, 3, 31))

    referral, paid = report.sources
    assert (referral.channel, paid.channel) == ("referral", "paid")
    assert (referral.leads, referral.mqls, referral.sqls, referral.opportunities) == (2, 2, 1, 1)
    assert (referral.won, referral.revenue, referral.revenue_per_lead) == (1, 1000.0, 500.0)
    assert (referral.mql_to_sql, referral.sql_to_opportunity, referral.opportunity_to_won) == (
        0.5,
        1.0,
        1.0,
    )
    assert referral.median_days_to_won == 10.0
    assert referral.rejection_share == 0.5
    assert referral.top_rejection_reasons == [("no_budget", 1)]
    # L7 is created after as_of; the lost deal of L3 earns nothing.
    assert (paid.leads, paid.opportunities, paid.won, paid.revenue) == (4, 1, 0, 0.0)
    assert paid.opportunity_to_won == 0.0
    assert paid.median_days_to_won is None
    assert paid.top_rejection_reasons == [("not_a_fit", 2)]


def test_campaigns_and_total_add_up(store: Any, funnel: Any) -> None:
    report = channel_report(store, date(2026, 3, 31))

    by_campaign = {line.channel: line for line in report.campaigns}
    assert {name: line.leads for name, line in by_campaign.items()} == {
        None: 2,
        "Brand": 3,
        "Generic": 1,
    }
    assert (report.total.leads, report.total.won, report.total.revenue) == (6, 1, 1000.0)


def test_later_stages_count_as_passing_earlier_ones(store: Any, funnel: Any) -> None:
    funnel.execute("UPDATE leads SET mql_at = NULL, sql_at = NULL WHERE lead_id = 'L1'")

    referral = channel_report(store, date(2026, 3, 31)).sources[0]

    assert (referral.mqls, referral.sqls, referral.opportunities) == (2, 1, 1)


def test_a_deal_won_after_as_of_is_not_won_yet(store: Any, funnel: Any) -> None:
    referral = channel_report(store, date(2026, 1, 10)).sources
    line = next(line for line in referral if line.channel == "referral")

    assert (line.opportunities, line.won, line.revenue) == (1, 0, 0.0)


def test_a_deal_without_a_lead_id_belongs_to_the_lead_that_names_it(
    store: Any, funnel: Any
) -> None:
    funnel.execute("UPDATE leads SET opportunity_id = 'O6' WHERE lead_id = 'L6'")
    funnel.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, lead_id, created_at, closed_at, "
        "stage, is_won, amount) VALUES ('O6', 'R1', NULL, '2026-01-02', '2026-01-21', 'Won', "
        "true, 300)"
    )

    report = channel_report(store, date(2026, 3, 31))

    generic = next(line for line in report.campaigns if line.channel == "Generic")
    assert (generic.opportunities, generic.won, generic.revenue) == (1, 1, 300.0)
    assert generic.median_days_to_won == 20.0
    assert (report.total.won, report.total.revenue) == (2, 1300.0)


def test_a_deal_with_a_lead_id_counts_once_however_many_leads_name_it(
    store: Any, funnel: Any
) -> None:
    funnel.execute("UPDATE leads SET opportunity_id = 'O1' WHERE lead_id IN ('L1', 'L2')")

    referral = channel_report(store, date(2026, 3, 31)).sources[0]

    assert (referral.opportunities, referral.won, referral.revenue) == (1, 1, 1000.0)
