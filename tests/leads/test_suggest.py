"""ICP suggestions: segment win rates, lift, Wilson intervals and the rules they support."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from attain.leads.suggest import suggest_icp, wilson_interval


def test_wilson_interval_matches_the_textbook_value() -> None:
    low, high = wilson_interval(10, 100)

    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.fixture
def history(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """100 Software leads (40 won), 100 Retail leads (5 won), 10 Media leads (1 won), all from
    2025; one 2026 Retail lead too young to count and one with an open deal."""
    con.execute(
        "INSERT INTO leads (lead_id, created_at, industry, employees, source, title) "
        "SELECT 'S' || i, TIMESTAMP '2025-01-01', 'Software', 500, 'referral', 'VP Sales' "
        "FROM range(100) t(i) UNION ALL "
        "SELECT 'R' || i, TIMESTAMP '2025-01-01', 'Retail', 500, 'referral', 'VP Sales' "
        "FROM range(100) t(i) UNION ALL "
        "SELECT 'M' || i, TIMESTAMP '2025-01-01', 'Media', 500, 'referral', 'VP Sales' "
        "FROM range(10) t(i) UNION ALL "
        "SELECT 'NEW', TIMESTAMP '2026-03-01', 'Retail', 500, 'referral', 'VP Sales' UNION ALL "
        "SELECT 'OPEN', TIMESTAMP '2025-01-01', 'Retail', 500, 'referral', 'VP Sales'"
    )
    con.execute(
        "INSERT INTO opportunities (opportunity_id, owner_rep_id, lead_id, created_at, "
        "closed_at, stage, is_won) "
        "SELECT 'O' || lead_id, 'R1', lead_id, TIMESTAMP '2025-02-01', TIMESTAMP '2025-03-01', "
        "'Won', true FROM leads WHERE lead_id IN ("
        "SELECT 'S' || i FROM range(40) t(i) UNION ALL SELECT 'R' || i FROM range(5) t(i) "
        "UNION ALL SELECT 'M0') UNION ALL "
        "SELECT 'OOPEN', 'R1', 'OPEN', TIMESTAMP '2025-02-01', NULL, 'Proposal', NULL"
    )
    return con


def test_segments_carry_counts_win_rate_lift_and_interval(store: Any, history: Any) -> None:
    suggestion = suggest_icp(store, as_of=date(2026, 3, 31), min_leads=50)

    assert (suggestion.decided_leads, suggestion.won) == (210, 46)
    industries = {s.value: s for s in suggestion.segments if s.dimension == "industry"}
    software, retail, media = industries["Software"], industries["Retail"], industries["Media"]
    assert (software.leads, software.won, software.win_rate) == (100, 40, 0.4)
    assert software.lift == pytest.approx(0.4 / (46 / 210))
    assert (software.ci_low, software.ci_high) == pytest.approx(wilson_interval(40, 100))
    assert (software.verdict, retail.verdict, media.verdict) == ("above", "below", "too_few")


def test_the_proposal_keeps_segments_not_clearly_worse_and_prints_as_toml(
    store: Any, history: Any
) -> None:
    suggestion = suggest_icp(store, as_of=date(2026, 3, 31), min_leads=50)

    assert suggestion.proposal.industries == ("Software",)
    # One size band, one source and one title for everyone: nothing to tell apart, no rule.
    assert suggestion.proposal.rules() == ("industry",)
    assert suggestion.toml() == '[icp]\nindustries = ["Software"]\n'
    in_icp = {s.value for s in suggestion.segments if s.in_proposal}
    assert in_icp == {"Software"}


def test_an_empty_store_proposes_nothing_and_says_why(store: Any) -> None:
    suggestion = suggest_icp(store, as_of=date(2026, 3, 31))

    assert suggestion.decided_leads == 0
    assert not suggestion.proposal.defined
    assert "no decided leads" in suggestion.notes[0]
