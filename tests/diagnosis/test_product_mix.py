"""Product mix: reps whose new deals lean on loss leaders against their peers' mix."""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

import duckdb
import pytest

from attain.diagnosis.context import build_context
from attain.diagnosis.product_mix import detect

AS_OF = date(2025, 3, 1)
"""The window is 30 August 2024 to 28 February 2025 (182 days); Q1 2025 has 90 days."""
PRICES = {"P1": 30_000.0, "P2": 15_000.0, "P3": 5_000.0}
"""Priority, standard and loss-leader product: every deal is sold at this amount."""


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Any:
    """Reps with Q1 quotas of 100,000 and three tiered products; add deals by product."""
    ids = count()
    con.executemany(
        "INSERT INTO products (product_id, name, priority) VALUES (?, ?, ?)",
        [("P1", "Platform", "priority"), ("P2", "Team", None), ("P3", "Starter", "loss_leader")],
    )
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'East')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date, end_date) "
        "VALUES ('X1', 'X1', 'T1', 'rep', '2020-01-01', '2023-06-30')"
    )

    def rep(rep_id: str, priority: int, standard: int, loss_leader: int, won: int = 0) -> None:
        """New deals created in the window; the first `won` loss-leader deals were won."""
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role, hire_date) "
            "VALUES (?, ?, 'T1', 'rep', '2020-01-01')",
            [rep_id, rep_id],
        )
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
            "VALUES (?, '2025-01-01', '2025-03-31', 'bookings', 100000, NULL)",
            [rep_id],
        )
        products = ["P1"] * priority + ["P2"] * standard + ["P3"] * loss_leader
        con.executemany(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, product_id, created_at, "
            "closed_at, stage, is_won, amount) VALUES (?, ?, ?, '2024-11-04', ?, ?, ?, ?)",
            [
                (
                    f"O{next(ids)}",
                    rep_id,
                    product,
                    "2025-01-15" if index < won else None,
                    "Closed Won" if index < won else "Proposal",
                    True if index < won else None,
                    PRICES[product],
                )
                for index, product in enumerate(sorted(products, reverse=True))
            ],
        )

    return rep


def test_rep_selling_mostly_loss_leaders_is_a_finding_valued_at_the_peer_mix(
    store: Any, crm: Any
) -> None:
    crm("R1", priority=2, standard=2, loss_leader=21, won=4)
    for peer in ("R2", "R3", "R4"):
        crm(peer, priority=10, standard=10, loss_leader=5)

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.id, finding.cause) == ("R1", "product_mix")
    share = finding.evidence["loss_leader_share_of_new_deals"]
    assert (share["rep"], share["peers"], share["deals"], share["n"]) == (0.84, 0.2, 21, 25)
    assert share["p_value"] < 1e-6
    # A new deal is worth 19,000 at the peers' mix (40/40/20%) and 7,800 at R1's (8/8/84%);
    # R1 wins 4 deals in 182 days, 4 × 90/182 in a quarter.
    value = finding.evidence["average_new_deal_value"]
    assert (value["rep"], value["peers"]) == (pytest.approx(7_800), pytest.approx(19_000))
    assert finding.bookings_at_stake == pytest.approx(11_200 * 4 * 90 / 182)
    assert finding.evidence["bookings_mix"]["rep"]["loss_leader"] == 1.0
    assert "84% of this rep's 25 new deals" in finding.explanation


def test_rep_selling_few_priority_products_is_a_finding(store: Any, crm: Any) -> None:
    crm("R1", priority=1, standard=20, loss_leader=4)
    for peer in ("R2", "R3", "R4"):
        crm(peer, priority=10, standard=10, loss_leader=5)

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert finding.id == "R1"
    assert finding.evidence["priority_share_of_new_deals"]["rep"] == pytest.approx(0.04)


def test_mixes_within_the_gap_are_not_findings(store: Any, crm: Any) -> None:
    crm("R1", priority=7, standard=9, loss_leader=9)  # 36% loss leaders against 20%
    for peer in ("R2", "R3", "R4"):
        crm(peer, priority=10, standard=10, loss_leader=5)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_rep_with_few_new_deals_is_not_judged(store: Any, crm: Any) -> None:
    crm("R1", priority=0, standard=0, loss_leader=10)
    for peer in ("R2", "R3", "R4"):
        crm(peer, priority=10, standard=10, loss_leader=5)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_skips_when_products_have_no_priority_tiers(
    store: Any, con: duckdb.DuckDBPyConnection, crm: Any
) -> None:
    crm("R1", priority=2, standard=2, loss_leader=21)
    con.execute("UPDATE products SET priority = NULL")

    detection = detect(build_context(store, as_of=AS_OF))

    assert detection.findings == []
    [skip] = detection.skipped
    assert skip.cause == "product_mix" and "no priority or loss-leader tiers" in skip.reason
