"""Fit scores weigh the ICP rules a lead meets; engagement scores add recency and frequency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pytest

from attain.errors import ConfigError
from attain.leads.icp import IcpSettings
from attain.leads.scores import engagement_scores, fit_scores

AS_OF = datetime(2026, 3, 31, 12)


@pytest.fixture
def leads(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(
        "INSERT INTO leads (lead_id, created_at, industry, employees, country, source, "
        "first_marketing_touch_at, first_sales_touch_at) VALUES "
        "('L1', '2026-03-01', 'Software', 500, 'US', 'referral', '2026-03-01', '2026-03-31'),"
        "('L2', '2026-03-01', 'Retail', 500, 'US', 'paid_search', '2026-03-17 12:00', NULL),"
        "('L3', '2026-03-01', 'Retail', 20, NULL, 'paid_search', NULL, NULL),"
        "('L4', '2026-04-15', 'Software', 500, 'US', 'referral', NULL, NULL)"
    )
    con.execute(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at, lead_id) VALUES "
        "('A1', 'R1', 'call', '2026-03-31 12:00', 'L1'),"
        "('A2', 'R1', 'email', '2026-03-31 12:00', 'L1'),"
        "('A3', 'R1', 'email', '2026-04-02', 'L1'),"
        "('A4', 'R1', 'email', '2025-10-01', 'L2')"
    )
    return con


def test_fit_score_is_the_weighted_share_of_known_rules_met(store: Any, leads: Any) -> None:
    icp = IcpSettings(
        industries=("Software",),
        min_employees=100,
        countries=("US",),
        weights={"industry": 2.0},
    )

    scores = fit_scores(store, icp).set_index("lead_id")

    # L2 meets employees and country (1 + 1) of 2 + 1 + 1; L3 meets none of the two known
    # rules (industry, employees): its country is empty and counts neither way.
    assert scores.fit_score.to_dict() == {"L1": 100.0, "L2": 50.0, "L3": 0.0, "L4": 100.0}
    assert scores.failed_rules.to_dict()["L2"] == "industry"
    assert scores.failed_rules.to_dict()["L3"] == "industry, employees"
    assert scores.failed_rules.isna().to_dict()["L1"]


def test_fit_scores_need_a_profile(store: Any) -> None:
    with pytest.raises(ConfigError, match=r"\[icp\]"):
        fit_scores(store, IcpSettings())


def test_engagement_adds_recency_and_frequency_of_touches_up_to_as_of(
    store: Any, leads: Any
) -> None:
    scores = engagement_scores(store, AS_OF).set_index("lead_id")

    # L1: marketing touch 30 days back, sales touch and two activities at as_of (a later
    # activity does not count): 4 touches, last 0 days ago -> 50 + 50 * 4 / 7.
    l1 = scores.loc["L1"]
    assert (l1.marketing_touches, l1.sales_touches) == (1, 3)
    assert l1.recency_points == 50.0
    assert l1.frequency_points == pytest.approx(28.6)
    assert l1.engagement_score == pytest.approx(78.6)
    # L2: one marketing touch 14 days back (half the recency); its old e-mail is outside the
    # 90-day frequency window: 25 + 50 * 1 / 4.
    l2 = scores.loc["L2"]
    assert (l2.marketing_touches, l2.sales_touches, l2.days_since_last_touch) == (1, 0, 14.0)
    assert l2.engagement_score == pytest.approx(37.5)
    assert scores.loc["L3"].engagement_score == 0.0
    assert "L4" not in scores.index  # created after as_of
