"""Product mix: a rep whose new deals lean on loss-leader products instead of the priorities.

Counts the deals each rep created in the window by product tier (products.priority; an empty
tier is standard) and compares the rep's loss-leader and priority shares with all other
sellers pooled. A share is far off when it differs by at least `min_share_gap` and a binomial
test at the peers' share says chance is unlikely; amounts and bookings by tier are evidence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy.stats import binomtest

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import Detection, DetectorSpec, Finding
from attain.diagnosis.settings import ProductMixThresholds as Thresholds

SPEC = DetectorSpec(
    cause="product_mix",
    stake_method="(average new-deal value at the peers' product mix − at the rep's, with company "
    "average amounts per tier) × deals the rep wins in a period at their recent rate",
    actions=(
        "Review the rep's open deals together and pick those where a priority product "
        "fits the customer's need.",
        "Pair the rep with a peer who sells the priority products well for a few discovery calls.",
        "Check that pricing, incentives and demo material do not steer the rep to the entry "
        "products.",
    ),
    questions=(
        "How do you decide which product to propose in a first meeting?",
        "Which of your current customers would benefit from a priority product, and what "
        "stops you from proposing it?",
        "What objections do you hear when you present the priority products?",
        "What would make you more confident demonstrating them?",
    ),
)
TIERS = ("priority", "standard", "loss_leader")


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Findings for sellers whose new deals are far more loss-leader or far less priority."""
    thresholds = thresholds or Thresholds()
    products = ctx.backend.table("products")
    tiered = products.filter(products.priority.notnull() & (products.priority != "standard"))
    tiers = int(ctx.backend.execute(tiered.count()))
    if not tiers:
        return SPEC.skip("products have no priority or loss-leader tiers to compare")
    created = _by_tier(ctx, "created_at", won_only=False)
    created = created[created["rep_id"].isin(ctx.sellers)]
    if created.empty:
        return SPEC.skip("no deals with a product were created in the diagnosed window")
    won = _by_tier(ctx, "closed_at", won_only=True)
    won = won[won["rep_id"].isin(ctx.sellers)]
    average = _tier_average(created)
    targets = ctx.targets()
    window_days = (ctx.window.end - ctx.window.start).days + 1
    period_days = (ctx.report.period.end - ctx.report.period.start).days + 1
    findings = []
    for rep in _candidates(created, thresholds):
        mine = created[created["rep_id"] == rep]
        peers = created[created["rep_id"] != rep]
        if int(mine["deals"].sum()) < thresholds.min_deals or peers.empty:
            continue
        tests = _tests(mine, peers, thresholds)
        if not any(t["flagged"] for t in tests.values()):
            continue
        findings.append(
            _finding(
                str(rep),
                created,
                won,
                tests,
                average,
                (window_days, period_days),
                targets.get(str(rep)),
            )
        )
    return Detection(findings=findings)


def _candidates(created: pd.DataFrame, thresholds: Thresholds) -> list[str]:
    """Reps with enough new deals whose tier shares are off by at least the minimum gap.

    A cheap screen over all reps at once; only these get the exact binomial tests.
    """
    counts = created.pivot_table(
        index="rep_id", columns="tier", values="deals", aggfunc="sum", fill_value=0
    ).reindex(columns=list(TIERS), fill_value=0)
    deals = counts.sum(axis=1)
    peers = counts.sum(axis=0) - counts
    peer_deals = peers.sum(axis=1).where(lambda total: total > 0)
    shares = counts.div(deals.where(deals > 0), axis=0)
    peer_shares = peers.div(peer_deals, axis=0)
    off = (shares["loss_leader"] - peer_shares["loss_leader"] >= thresholds.min_share_gap) | (
        peer_shares["priority"] - shares["priority"] >= thresholds.min_share_gap
    )
    chosen = off & (deals >= thresholds.min_deals) & peer_deals.notna()
    return sorted(str(rep) for rep in counts.index[chosen.to_numpy()])


def _by_tier(ctx: DiagnosisContext, moment: str, *, won_only: bool) -> pd.DataFrame:
    """Per rep and tier: deals with a product whose `moment` falls in the window, and amount."""
    deals = ctx.backend.table("opportunities")
    products = ctx.backend.table("products")
    start, stop = ctx.instants
    when = deals[moment]
    chosen = deals.filter(deals.product_id.notnull(), when >= start, when < stop)
    if won_only:
        chosen = chosen.filter(chosen.is_won)
    joined = chosen.join(products, chosen.product_id == products.product_id)
    tier = joined.priority.fill_null("standard")
    summary = joined.group_by(rep_id=joined.owner_rep_id, tier=tier).aggregate(
        deals=joined.count(), amount=joined.amount.sum().coalesce(0.0)
    )
    frame: pd.DataFrame = ctx.backend.execute(summary)
    return frame.astype({"rep_id": str, "tier": str, "deals": int, "amount": float})


def _shares(rows: pd.DataFrame, column: str) -> dict[str, float]:
    """Share of `column` (deals or amount) in each tier; zeros when there is nothing."""
    total = float(rows[column].sum())
    sums = rows.groupby("tier")[column].sum()
    return {tier: float(sums.get(tier, 0.0)) / total if total else 0.0 for tier in TIERS}


def _tier_average(created: pd.DataFrame) -> dict[str, float]:
    """Company-wide average amount of a new deal in each tier."""
    deals = created.groupby("tier")["deals"].sum()
    amounts = created.groupby("tier")["amount"].sum()
    return {
        tier: float(amounts[tier]) / float(deals[tier]) if tier in deals.index else 0.0
        for tier in TIERS
    }


def _tests(mine: pd.DataFrame, peers: pd.DataFrame, thresholds: Thresholds) -> dict[str, Any]:
    """Loss-leader share too high and priority share too low, each with its binomial test."""
    deals = int(mine["deals"].sum())
    counts = mine.groupby("tier")["deals"].sum()
    peer_shares = _shares(peers, "deals")
    tests = {}
    for tier, direction in (("loss_leader", "greater"), ("priority", "less")):
        count = int(counts.get(tier, 0))
        expected = peer_shares[tier]
        share = count / deals
        gap = share - expected if direction == "greater" else expected - share
        p_value = (
            float(binomtest(count, deals, expected, alternative=direction).pvalue)
            if 0.0 < expected < 1.0
            else 1.0
        )
        tests[tier] = {
            "deals": count,
            "n": deals,
            "share": share,
            "peer_share": expected,
            "p_value": p_value,
            "flagged": gap >= thresholds.min_share_gap and p_value < thresholds.max_p_value,
        }
    return tests


def _finding(
    rep: str,
    created: pd.DataFrame,
    won: pd.DataFrame,
    tests: dict[str, Any],
    average: dict[str, float],
    days: tuple[int, int],
    target: float | None,
) -> Finding:
    """`days`: the window's and the current period's length, to scale wins to a period."""
    window_days, period_days = days
    mine, peers = created[created["rep_id"] == rep], created[created["rep_id"] != rep]
    rep_won, peers_won = won[won["rep_id"] == rep], won[won["rep_id"] != rep]
    rep_mix, peer_mix = _shares(mine, "deals"), _shares(peers, "deals")
    value_rep = sum(rep_mix[t] * average[t] for t in TIERS)
    value_peer = sum(peer_mix[t] * average[t] for t in TIERS)
    wins_per_period = int(rep_won["deals"].sum()) * period_days / window_days
    stake = max(value_peer - value_rep, 0.0) * wins_per_period
    loss, prio = tests["loss_leader"], tests["priority"]
    return SPEC.finding(
        rep,
        stake=stake,
        target=target,
        evidence={
            "loss_leader_share_of_new_deals": _test_evidence(loss),
            "priority_share_of_new_deals": _test_evidence(prio),
            "new_deal_mix": {"rep": rep_mix, "peers": peer_mix},
            "new_pipeline_mix": {"rep": _shares(mine, "amount"), "peers": _shares(peers, "amount")},
            "bookings_mix": {
                "rep": _shares(rep_won, "amount"),
                "peers": _shares(peers_won, "amount"),
            },
            "average_new_deal_value": {"rep": value_rep, "peers": value_peer},
            "average_deal_by_tier": average,
            "new_deals": int(mine["deals"].sum()),
            "won_deals": int(rep_won["deals"].sum()),
        },
        explanation=(
            f"{loss['share']:.0%} of this rep's {int(mine['deals'].sum())} new deals in the "
            f"last {window_days} days are loss-leader products and {prio['share']:.0%} "
            f"priority products, against {loss['peer_share']:.0%} and "
            f"{prio['peer_share']:.0%} for peers. At the peers' mix an average new deal would "
            f"be worth {value_peer:,.0f} instead of {value_rep:,.0f}."
        ),
    )


def _test_evidence(test: dict[str, Any]) -> dict[str, Any]:
    """A tier's share of the rep's new deals beside the peers', with the binomial test."""
    return {
        "rep": test["share"],
        "peers": test["peer_share"],
        "deals": test["deals"],
        "n": test["n"],
        "p_value": test["p_value"],
    }
