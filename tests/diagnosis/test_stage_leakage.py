"""Stage leakage: a rep whose deals stall at one funnel stage that their peers get through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import duckdb
import pytest

from attain.diagnosis.context import build_context
from attain.diagnosis.stage_leakage import FunnelTable, Thresholds, detect, funnel_table

AS_OF = date(2025, 3, 1)
"""The window is 30 August 2024 to 28 February 2025."""
FUNNEL = ("Qualify", "Demo", "Negotiate")
"""Stage names out of alphabetical order: the funnel order must come from the history."""
START = datetime(2024, 9, 2, 9)

Crm = Callable[..., None]


@pytest.fixture
def crm(con: duckdb.DuckDBPyConnection) -> Crm:
    """Add a selling rep with deals that pass the funnel's stages as told.

    `passed` gives, per stage, how many deals entered it and how many of those moved on (to the
    next stage, or to Won after the last); the rest were lost there. `open_in` adds open deals
    of 10,000 now sitting in a stage.
    """
    ids = count()

    def rep(rep_id: str, passed: list[tuple[int, int]], open_in: tuple[str, ...] = ()) -> None:
        con.execute(
            "INSERT INTO reps (rep_id, name, role, hire_date) VALUES (?, ?, 'rep', '2020-01-01')",
            [rep_id, rep_id],
        )
        deals, steps = [], []
        plans = [
            (k, False, True)
            for k, (reached, moved) in enumerate(passed)
            for _ in range(reached - moved)
        ]
        plans += [(len(passed) - 1, True, True)] * passed[-1][1]
        plans += [(FUNNEL.index(stage), False, False) for stage in open_in]
        for last, won, closed in plans:
            number = next(ids)
            deal = f"{rep_id}-{number}"
            created = START + timedelta(hours=number)
            for k in range(last + 1):
                steps.append((deal, FUNNEL[k], created + timedelta(days=5 * k), 10_000.0))
            end = "Won" if won else "Lost"
            closed_at = created + timedelta(days=5 * last + 3) if closed else None
            if closed:
                steps.append((deal, end, closed_at, 10_000.0))
            stage = end if closed else FUNNEL[last]
            deals.append((deal, rep_id, created, closed_at, stage, won if closed else None))
        con.executemany(
            "INSERT INTO opportunities (opportunity_id, owner_rep_id, created_at, closed_at, "
            "stage, is_won, amount, expected_close_date) "
            "VALUES (?, ?, ?, ?, ?, ?, 10000, '2025-03-20')",
            deals,
        )
        con.executemany("INSERT INTO opportunity_stages VALUES (?, ?, ?, ?)", steps)

    return rep


HEALTHY = [(40, 32), (32, 24), (24, 18)]
"""80% pass Qualify, 75% pass Demo, 75% of Negotiate are won."""


def test_rep_losing_most_deals_at_one_stage_is_a_finding_with_the_funnel(
    store: Any, crm: Crm
) -> None:
    crm("R1", [(40, 32), (32, 8), (8, 6)], open_in=("Demo", "Demo"))
    for peer in ("R2", "R3", "R4"):
        crm(peer, HEALTHY)

    [finding] = detect(build_context(store, as_of=AS_OF)).findings

    assert (finding.id, finding.cause) == ("R1", "stage_leakage")
    evidence = finding.evidence
    assert (evidence["stage"], evidence["next_stage"]) == ("Demo", "Negotiate")
    assert (evidence["rep_rate"], evidence["peer_rate"]) == (0.25, 0.75)
    assert evidence["p_value"] < 1e-6
    # Negotiate has only 8 deals (< 15), so two stages are tested: alpha 0.005 / 2.
    assert evidence["alpha_per_stage"] == pytest.approx(0.0025)
    assert [row["stage"] for row in evidence["funnel"]] == list(FUNNEL)
    assert evidence["funnel"][0] == {
        "stage": "Qualify",
        "rep_rate": pytest.approx(34 / 42),  # the two open deals moved on from Qualify
        "rep_n": 42,
        "peer_rate": 0.8,
        "top_rate": None,
    }
    # (0.75 − 0.25) × 20,000 open in Demo × 0.75 of peers' Negotiate deals won.
    assert finding.bookings_at_stake == pytest.approx(0.5 * 20_000 * 0.75)
    assert "25% of this rep's 32 deals that reached Demo" in finding.explanation


def test_rep_weaker_at_every_stage_is_not_read_as_leaking(store: Any, crm: Crm) -> None:
    crm("R1", [(40, 24), (24, 13), (13, 7)])
    for peer in ("R2", "R3", "R4"):
        crm(peer, HEALTHY)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_stage_with_few_deals_is_tested_only_for_a_drop_twice_the_minimum(
    store: Any, crm: Crm
) -> None:
    """Demo: 2 of 12 move on (17%) against 75%. 12 < 15 deals, but at least 15 / 2 and a rate
    under half the expected one, so the stage is tested; with decisive_factor 1 it is not."""
    crm("R1", [(16, 12), (12, 2), (2, 1)])
    for peer in ("R2", "R3", "R4"):
        crm(peer, HEALTHY)
    ctx = build_context(store, as_of=AS_OF)

    [finding] = detect(ctx).findings
    assert finding.evidence["stage"] == "Demo"
    assert detect(ctx, Thresholds(decisive_factor=1.0)).findings == []
    [finding] = detect(ctx, Thresholds(min_deals=10, decisive_factor=1.0)).findings
    assert finding.evidence["stage"] == "Demo"


def test_a_moderate_drop_at_few_deals_is_not_tested(store: Any, crm: Crm) -> None:
    """Demo: 5 of 12 move on (42%) against 75%: below 0.75 of it but not below half."""
    crm("R1", [(16, 12), (12, 5), (5, 4)])
    for peer in ("R2", "R3", "R4"):
        crm(peer, HEALTHY)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_deals_still_in_a_stage_are_not_counted_yet(store: Any, crm: Crm) -> None:
    crm("R1", HEALTHY, open_in=("Demo",) * 30)
    for peer in ("R2", "R3", "R4"):
        crm(peer, HEALTHY)

    assert detect(build_context(store, as_of=AS_OF)).findings == []


def test_skips_without_stage_history(store: Any, con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO reps (rep_id, name, role, hire_date) VALUES ('R1', 'R1', 'rep', '2020-01-01')"
    )

    ctx = build_context(store, as_of=AS_OF)
    detection = detect(ctx)

    assert detection.findings == []
    [skip] = detection.skipped
    assert (skip.cause, skip.reason) == (
        "stage_leakage",
        "no stage history (opportunity_stages) is recorded",
    )
    assert funnel_table(ctx) == skip  # the rep page shows the same reason


def test_funnel_table_has_every_sellers_rates_and_top_performers_leave_the_rep_out(
    store: Any, crm: Crm
) -> None:
    crm("R1", [(40, 32), (32, 8), (8, 6)])
    crm("R2", HEALTHY)
    crm("R3", [(20, 10), (10, 5), (5, 5)])
    crm("R4", HEALTHY)
    ctx = replace(build_context(store, as_of=AS_OF), top_performers=frozenset({"R2", "R3"}))

    table = funnel_table(ctx)

    assert isinstance(table, FunnelTable)
    assert table.stages == FUNNEL
    qualify, demo, negotiate = table.steps("R1")
    assert (demo.stage, demo.rep_n, demo.rep_adv, demo.rep_rate) == ("Demo", 32, 8, 0.25)
    assert (demo.peer_adv, demo.peer_n) == (24 + 5 + 24, 32 + 10 + 32)
    assert demo.peer_rate == pytest.approx(53 / 74)
    assert (demo.top_adv, demo.top_n) == (24 + 5, 32 + 10)
    assert demo.top_rate == pytest.approx(29 / 42)
    # A top performer is compared with the other top performers only.
    r2_demo = table.steps("R2")[1]
    assert (r2_demo.top_adv, r2_demo.top_n, r2_demo.top_rate) == (5, 10, 0.5)
    # R1 beats the top performers at Qualify (0.8 against 0.7); at Demo their rate would have
    # moved (29/42 − 0.25) × 32 ≈ 14 more deals on, at Negotiate (23/29 − 0.75) × 8 ≈ 0.3.
    assert qualify.shortfall == pytest.approx((42 / 60 - 0.8) * 40)
    assert negotiate.shortfall == pytest.approx((23 / 29 - 0.75) * 8)
    assert table.widest_gap("R1") == "Demo"
    assert table.widest_gap("R2") == "Negotiate"  # only R3 is compared there: 5 of 5 won
    assert table.steps("R9") == ()

    [finding] = detect(ctx).findings
    assert finding.evidence["funnel"][1] == {
        "stage": "Demo",
        "rep_rate": demo.rep_rate,
        "rep_n": demo.rep_n,
        "peer_rate": demo.peer_rate,
        "top_rate": demo.top_rate,
    }
