"""Follow-up: a rep who lets follow-ups and tasks go overdue and lets open deals go dark.

The signature is the share of follow-ups and tasks due in the window that were still not done
at as_of, tested against all other sellers pooled (one-sided Fisher exact test). Open deals
gone dark, touches per closed deal against the top performers, and lost deals that ended on
a meeting with nothing after it are evidence beside it; the gone-dark pipeline values it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import pandas as pd
from scipy.stats import fisher_exact

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import (
    Detection,
    DetectorSpec,
    Finding,
    ratio,
)
from attain.diagnosis.settings import FollowUpThresholds as Thresholds

SPEC = DetectorSpec(
    cause="follow_up",
    stake_method=(
        "amount of the rep's open deals gone dark × the top performers' win rate on deals "
        "closed in the window"
    ),
    actions=(
        "Go through the overdue follow-ups together this week and close or reschedule each.",
        "Agree a next step and a date on every open deal, starting with those gone dark.",
        "Make a follow-up within a day of every meeting part of the rep's routine.",
    ),
    questions=(
        "What is your follow-up process after a first meeting?",
        "How do you decide which follow-ups to do first when you are busy?",
        "Which of your open deals have gone quiet, and what would restart them?",
        "What happened after the last meeting on the deals you lost?",
    ),
)
OWED_TYPES = ("follow_up", "task")
MEETING_TYPES = ("meeting", "demo")


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Findings for sellers whose follow-ups and tasks go overdue far more than their peers'."""
    thresholds = thresholds or Thresholds()
    owed = _owed(ctx)
    if not owed:
        return SPEC.skip("no follow-ups or tasks with a due date in the last 6 months")
    totals = (_total(owed, list(owed), "owed"), _total(owed, list(owed), "overdue"))
    tests = {rep: _overdue_test(owed, rep, totals, thresholds) for rep in owed}
    flagged = sorted(rep for rep, test in tests.items() if test["flagged"])
    if not flagged:
        return Detection()
    opened, closed = _open_deals(ctx, thresholds), _closed_deals(ctx)
    reps = {rep: {**opened.get(rep, {}), **closed.get(rep, {}), **row} for rep, row in owed.items()}
    examples = _dark_examples(ctx, flagged, thresholds)
    top = sorted(ctx.top_performers & set(reps)) or sorted(reps)
    top_win_rate = ratio(_total(reps, top, "won"), _total(reps, top, "closed"))
    top_touches = ratio(_total(reps, top, "touches"), _total(reps, top, "closed"))
    targets = ctx.targets()
    findings = [
        _finding(
            rep,
            reps,
            tests[rep],
            examples.get(rep, []),
            (top_win_rate, top_touches),
            thresholds,
            targets.get(rep),
        )
        for rep in flagged
    ]
    return Detection(findings=findings)


Counts = dict[str, dict[str, float]]
"""Per rep: named counts and amounts."""


def _by_rep(frame: pd.DataFrame) -> Counts:
    """A per-rep frame (rep_id and numeric columns) as plain numbers by rep."""
    columns = [c for c in frame.columns if c != "rep_id"]
    return {
        str(row["rep_id"]): {c: float(row[c] or 0) for c in columns}
        for row in frame.to_dict("records")
    }


def _total(reps: Counts, names: list[str], field: str) -> float:
    return sum(reps[name].get(field, 0.0) for name in names)


def _owed(ctx: DiagnosisContext) -> Counts:
    """Per seller: follow-ups and tasks due in the window, and how many were not done by as_of."""
    start, stop = ctx.instants
    acts = ctx.backend.table("activities")
    due = acts.filter(
        acts.type.isin(OWED_TYPES),
        acts.due_at >= start,
        acts.due_at < stop,
        acts.occurred_at < stop,
    )
    late = due.completed_at.isnull() | (due.completed_at >= stop)
    expr = due.group_by(rep_id=due.rep_id).aggregate(
        owed=due.count(), overdue=due.count(where=late)
    )
    frame: pd.DataFrame = ctx.backend.execute(expr)
    return _by_rep(frame[frame["rep_id"].isin(ctx.sellers)])


def _overdue_test(
    owed: Counts, rep: str, totals: tuple[float, float], thresholds: Thresholds
) -> dict[str, Any]:
    """The rep's overdue share against all other sellers pooled (`totals`: everyone's owed and
    overdue), with the Fisher test."""
    mine, late = int(owed[rep]["owed"]), int(owed[rep]["overdue"])
    peer_owed, peer_late = int(totals[0]) - mine, int(totals[1]) - late
    share, peer_share = ratio(late, mine), ratio(peer_late, peer_owed)
    p_value = 1.0
    judged = mine >= thresholds.min_owed and peer_owed > 0
    if judged:
        table = [[late, mine - late], [peer_late, peer_owed - peer_late]]
        p_value = float(fisher_exact(table, alternative="greater")[1])
    return {
        "owed": mine,
        "overdue": late,
        "share": share,
        "peer_share": peer_share,
        "p_value": p_value,
        "flagged": judged
        and share >= thresholds.min_overdue_share
        and share >= thresholds.min_ratio * peer_share
        and p_value < thresholds.max_p_value,
    }


def _open_at_as_of(ctx: DiagnosisContext, thresholds: Thresholds) -> Any:
    """Open deals at as_of, opened at least `dark_days` before it, with their last activity."""
    _, stop = ctx.instants
    quiet_since = stop - timedelta(days=thresholds.dark_days)
    deals = ctx.backend.table("opportunities")
    acts = ctx.backend.table("activities")
    open_deals = deals.filter(
        deals.closed_at.isnull() | (deals.closed_at >= stop),
        deals.created_at.isnull() | (deals.created_at < quiet_since),
    )
    touched = acts.filter(acts.opportunity_id.notnull(), acts.occurred_at < stop)
    last = touched.group_by(deal=touched.opportunity_id).aggregate(last=touched.occurred_at.max())
    joined = open_deals.left_join(last, open_deals.opportunity_id == last.deal)
    dark = joined.last.isnull() | (joined.last < quiet_since)
    return joined.mutate(dark=dark)


def _open_deals(ctx: DiagnosisContext, thresholds: Thresholds) -> Counts:
    """Per rep: open deals old enough to go dark, those gone dark and their amount."""
    joined = _open_at_as_of(ctx, thresholds)
    expr = joined.group_by(rep_id=joined.owner_rep_id).aggregate(
        open_deals=joined.count(),
        dark_deals=joined.count(where=joined.dark),
        dark_amount=joined.amount.sum(where=joined.dark).coalesce(0.0),
    )
    return _by_rep(ctx.backend.execute(expr))


def _dark_examples(
    ctx: DiagnosisContext, reps: list[str], thresholds: Thresholds
) -> dict[str, list[str]]:
    """The largest gone-dark deals of each of `reps`."""
    joined = _open_at_as_of(ctx, thresholds)
    chosen = joined.filter(joined.dark, joined.owner_rep_id.isin(reps))
    order = ibis.row_number().over(
        group_by=chosen.owner_rep_id, order_by=[chosen.amount.desc(), chosen.opportunity_id]
    )
    ranked = chosen.mutate(rank=order)
    rows = ranked.filter(ranked["rank"] < thresholds.examples)
    frame: pd.DataFrame = ctx.backend.execute(
        rows.select("owner_rep_id", "opportunity_id", "rank").order_by(["owner_rep_id", "rank"])
    )
    return {
        str(rep): group["opportunity_id"].astype(str).tolist()
        for rep, group in frame.groupby("owner_rep_id")
    }


def _closed_deals(ctx: DiagnosisContext) -> Counts:
    """Per rep, of deals closed in the window: won, closed, touches logged on them before the
    close, lost deals and lost deals whose last activity was a meeting or demo."""
    acts = ctx.backend.table("activities")
    closed = ctx.closed_deals()
    linked = acts.filter(acts.opportunity_id.notnull())
    ends = closed.select("opportunity_id", "closed_at")
    linked = linked.select(deal=linked.opportunity_id, type=linked.type, at=linked.occurred_at)
    joined = ends.join(linked, (ends.opportunity_id == linked.deal) & (linked.at <= ends.closed_at))
    is_meeting = joined.type.isin(MEETING_TYPES)
    per_deal = joined.group_by(opportunity_id=joined.opportunity_id).aggregate(
        touches=joined.count(),
        last=joined.at.max(),
        last_meeting=joined.at.max(where=is_meeting),
    )
    both = closed.left_join(per_deal, closed.opportunity_id == per_deal.opportunity_id)
    lost = ~both.is_won
    ended_on_meeting = lost & both.last_meeting.notnull() & (both.last_meeting >= both.last)
    expr = both.group_by(rep_id=both.owner_rep_id).aggregate(
        closed=both.count(),
        won=both.count(where=both.is_won),
        touches=both.touches.sum().coalesce(0),
        lost=both.count(where=lost),
        lost_on_meeting=both.count(where=ended_on_meeting),
    )
    return _by_rep(ctx.backend.execute(expr))


def _finding(
    rep: str,
    reps: Counts,
    test: dict[str, Any],
    examples: list[str],
    top: tuple[float, float],
    thresholds: Thresholds,
    target: float | None,
) -> Finding:
    top_win_rate, top_touches = top
    mine = reps[rep]
    peers = [name for name in reps if name != rep]
    dark_amount = mine.get("dark_amount", 0.0)
    dark, opened = int(mine.get("dark_deals", 0)), int(mine.get("open_deals", 0))
    closed, lost = int(mine.get("closed", 0)), int(mine.get("lost", 0))
    touches = ratio(mine.get("touches", 0.0), closed)
    ended = int(mine.get("lost_on_meeting", 0))
    stake = dark_amount * top_win_rate
    explanation = (
        f"{test['share']:.0%} of the {test['owed']} follow-ups and tasks due from this rep in "
        f"the last 6 months are overdue (not done), against {test['peer_share']:.1%} for peers"
    )
    if dark:
        explanation += (
            f"; {dark} of {opened} open deals ({dark_amount:,.0f}) have had no activity for "
            f"{thresholds.dark_days} days or more"
        )
    explanation += (
        f". They logged {touches:.1f} activities per deal closed in the window against "
        f"{top_touches:.1f} for top performers, and {ratio(ended, lost):.0%} of their lost "
        "deals ended on a meeting with nothing after it."
    )
    return SPEC.finding(
        rep,
        stake=stake,
        target=target,
        evidence=_evidence(mine, reps, peers, test, examples, top, thresholds),
        explanation=explanation,
    )


def _evidence(
    mine: dict[str, float],
    reps: Counts,
    peers: list[str],
    test: dict[str, Any],
    examples: list[str],
    top: tuple[float, float],
    thresholds: Thresholds,
) -> dict[str, Any]:
    """The overdue test beside gone-dark deals, touches and lost deals, against the peers'."""
    top_win_rate, top_touches = top
    dark, opened = int(mine.get("dark_deals", 0)), int(mine.get("open_deals", 0))
    closed, lost = int(mine.get("closed", 0)), int(mine.get("lost", 0))
    ended = int(mine.get("lost_on_meeting", 0))
    return {
        "owed": test["owed"],
        "overdue": test["overdue"],
        "overdue_share": test["share"],
        "peer_overdue_share": test["peer_share"],
        "p_value": test["p_value"],
        "open_deals": opened,
        "gone_dark_deals": dark,
        "gone_dark_amount": mine.get("dark_amount", 0.0),
        "gone_dark_share": ratio(dark, opened),
        "peer_gone_dark_share": ratio(
            _total(reps, peers, "dark_deals"), _total(reps, peers, "open_deals")
        ),
        "gone_dark_examples": examples,
        "dark_days": thresholds.dark_days,
        "closed_deals": closed,
        "touches_per_closed_deal": ratio(mine.get("touches", 0.0), closed),
        "top_touches_per_closed_deal": top_touches,
        "lost_deals": lost,
        "lost_ending_on_meeting": ended,
        "lost_ending_on_meeting_share": ratio(ended, lost),
        "peer_lost_ending_on_meeting_share": ratio(
            _total(reps, peers, "lost_on_meeting"), _total(reps, peers, "lost")
        ),
        "top_win_rate": top_win_rate,
    }
