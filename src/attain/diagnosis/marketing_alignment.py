"""Sales–marketing misalignment: reps who reject, ignore or sit on the leads marketing hands over.

Per seller over the window, among leads handed to sales (sales-qualified, or marketing-qualified
where the CRM records no SQL step): the share rejected, the share left untouched (no decision and
no sales touch within two weeks), and the hours from MQL to acceptance, each compared with the
top performers. The evidence also breaks the rep's decisions down by lead source and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import (
    Detection,
    DetectorSpec,
    Finding,
    Signal,
    agree,
    share_signal,
    signal_names,
    slow_signal,
)
from attain.diagnosis.settings import MarketingAlignmentThresholds as Thresholds
from attain.metrics.periods import Period

COUNTS = ("n", "accepted", "rejected", "untouched")
SIGNALS = ("rejections", "untouched_leads", "slow_acceptance")
STAKE_METHOD = (
    "Leads rejected or left untouched beyond the benchmark's share, per period, × the "
    "benchmark's bookings from lead-sourced deals per accepted lead."
)
ACTIONS = (
    "Agree with marketing, in writing, what a sales-ready lead is and how fast sales decides "
    "on it; review the rep's rejected leads against it together.",
    "Decide on every handed-over lead within two business days: accept and call, or reject "
    "with a reason marketing can act on.",
    "Hold a monthly lead review with marketing on the sources the rep rejects most.",
)
QUESTIONS = (
    "What makes you reject a lead that marketing has qualified?",
    "How do you decide which new leads to work first, and which to leave?",
    "What feedback do you give marketing on the leads you receive?",
    "How quickly do you accept a new lead, and what slows you down?",
)


SPEC = DetectorSpec("marketing_alignment", STAKE_METHOD, ACTIONS, QUESTIONS)


@dataclass(frozen=True)
class _Measures:
    """Everything compared per seller, computed once for all of them."""

    label: str
    handoff_column: str
    decisions: dict[str, dict[str, int]]
    bench: dict[str, int]
    bench_median: float | None
    speed: dict[str, dict[str, float]]
    by_source: dict[str, Any]
    reasons: dict[str, dict[str, int]]
    per_lead: float
    scale: float
    has_touches: bool
    needed: int


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Flag sellers who reject, ignore or slowly accept the leads handed to them: two signals
    agreeing, or one decisive signal alone."""
    t = thresholds or Thresholds()
    missing = _missing_data(ctx)
    if missing:
        return SPEC.skip(missing)
    m = _measure(ctx, t)
    targets = ctx.targets()
    findings: list[Finding] = []
    for rep in ctx.sellers:
        row = m.decisions.get(rep, dict.fromkeys(COUNTS, 0))
        signals = [
            _share_signal(row, m.bench, "rejected", t.reject_gap, t),
            _share_signal(row, m.bench, "untouched", t.untouched_gap, t),
            _slow_signal(m.speed.get(rep), m.bench_median, t),
        ]
        if not m.has_touches:
            untouched = signals[1]
            signals[1] = Signal(untouched.rep, untouched.benchmark, row["n"], None, False)
        if agree(signals, m.needed):
            findings.append(_finding(rep, row, signals, m, t, targets.get(rep)))
    return Detection(findings=findings)


def _missing_data(ctx: DiagnosisContext) -> str | None:
    """Why the detector cannot run, or None."""
    leads = ctx.backend.table("leads")
    if int(ctx.backend.execute(leads.count())) == 0:
        return "no leads in the store"
    if _handoff_column(ctx) is None:
        return "no lead was marketing- or sales-qualified (mql_at and sql_at are empty)"
    decided = leads.accepted_at.notnull() | leads.rejected_at.notnull()
    if int(ctx.backend.execute(leads.count(where=decided))) == 0:
        return "leads carry no sales accept or reject decisions (accepted_at, rejected_at)"
    if not ctx.sellers:
        return "no selling reps employed through the whole window"
    return None


def _measure(ctx: DiagnosisContext, t: Thresholds) -> _Measures:
    """Decisions, acceptance speed and value per lead of every seller and the benchmark."""
    handoff_column = _handoff_column(ctx) or "mql_at"
    judged = Period(ctx.window.start, ctx.as_of - timedelta(days=t.untouched_days + 1))
    handed = _handed_over(ctx, handoff_column, judged, t)
    decisions = _decisions(ctx, handed)
    benchmark, label = _benchmark(ctx, decisions, t)
    latency = _accept_hours(ctx)
    bench_median = _median(latency.filter(latency.rep_id.isin(benchmark)))
    leads = ctx.backend.table("leads")
    has_touches = int(ctx.backend.execute(leads.first_sales_touch_at.count())) > 0
    available = 1 + int(has_touches) + int(bench_median is not None)
    return _Measures(
        label=label,
        handoff_column=handoff_column,
        decisions=decisions,
        bench=_pooled(decisions, benchmark),
        bench_median=bench_median,
        speed=_speed(ctx, latency, bench_median),
        by_source=_by_source(ctx, handed, benchmark),
        reasons=_reasons(ctx, handed),
        per_lead=_bookings_per_accepted_lead(ctx, benchmark),
        scale=ctx.report.period.days / judged.days,
        has_touches=has_touches,
        needed=min(t.min_signals, available),
    )


def _finding(
    rep: str,
    row: dict[str, int],
    signals: list[Signal],
    m: _Measures,
    t: Thresholds,
    target: float | None,
) -> Finding:
    """The finding of one rep, valued at the leads lost beyond the benchmark's share."""
    rejected, untouched, slow = signals
    n = row["n"]
    lost_share = (rejected.rep or 0.0) + (untouched.rep or 0.0)
    bench_lost = (rejected.benchmark or 0.0) + (untouched.benchmark or 0.0)
    excess = max(0.0, lost_share - bench_lost) * n * m.scale
    accepted = row["accepted"] / n if n else None
    evidence: dict[str, Any] = {
        "benchmark": m.label,
        "handed_over_leads": n,
        "handoff": "sql_at" if m.handoff_column == "sql_at" else "mql_at",
        "accepted_share": {
            "rep": accepted,
            "top": m.bench["accepted"] / m.bench["n"] if m.bench["n"] else None,
        },
        "rejected_share": rejected.shares(),
        "untouched_share": {**untouched.shares(), "after_days": t.untouched_days},
        "mql_to_accepted_hours": slow.shares(),
        "rejection_reasons": m.reasons.get(rep, {}),
        "by_source": m.by_source.get(rep, {}),
        "excess_lost_leads_per_period": round(excess, 1),
        "bookings_per_accepted_lead": round(m.per_lead, 2),
        **signal_names(SIGNALS, signals),
    }
    return SPEC.finding(
        rep,
        stake=excess * m.per_lead,
        target=target,
        evidence=evidence,
        explanation=_explanation(accepted, rejected, untouched, slow, m.label),
    )


def _handoff_column(ctx: DiagnosisContext) -> str | None:
    """sql_at when the CRM records sales qualification, else mql_at, else None."""
    leads = ctx.backend.table("leads")
    for column in ("sql_at", "mql_at"):
        if int(ctx.backend.execute(leads[column].count())) > 0:
            return column
    return None


def _handed_over(ctx: DiagnosisContext, column: str, judged: Period, t: Thresholds) -> ir.Table:
    """Sellers' leads handed over on the `judged` days: the window, less the last few days
    whose leads may still be untouched without being neglected.

    Columns rep_id, source, rejection_reason and flags accepted, rejected, untouched (never
    decided, and no sales touch within `untouched_days` of the handoff).
    """
    leads = ctx.backend.table("leads")
    handoff = leads[column]
    deadline = handoff + ibis.interval(days=t.untouched_days)
    handed = leads.filter(
        leads.owner_rep_id.isin(ctx.sellers), ctx.between(handoff, judged.start, judged.end)
    )
    accepted = leads.accepted_at.notnull()
    rejected = leads.rejected_at.notnull() & ~accepted
    touched = (leads.first_sales_touch_at < deadline).fill_null(False)
    return handed.select(
        rep_id=leads.owner_rep_id,
        source=leads.source.fill_null("unknown"),
        rejection_reason=leads.rejection_reason.fill_null("no reason given"),
        accepted=accepted,
        rejected=rejected,
        untouched=~accepted & leads.rejected_at.isnull() & ~touched,
    )


def _decisions(ctx: DiagnosisContext, handed: ir.Table) -> dict[str, dict[str, int]]:
    """Per rep: handed-over leads (n), accepted, rejected and untouched counts."""
    expr = handed.group_by("rep_id").aggregate(
        n=handed.count(),
        accepted=handed.count(where=handed.accepted),
        rejected=handed.count(where=handed.rejected),
        untouched=handed.count(where=handed.untouched),
    )
    return {
        str(row["rep_id"]): {name: int(row[name]) for name in COUNTS}
        for row in ctx.backend.execute(expr).to_dict("records")
    }


def _pooled(counts: dict[str, dict[str, int]], reps: list[str]) -> dict[str, int]:
    """The counts of `reps` added up."""
    return {name: sum(counts[rep][name] for rep in reps if rep in counts) for name in COUNTS}


def _benchmark(
    ctx: DiagnosisContext, decisions: dict[str, dict[str, int]], t: Thresholds
) -> tuple[list[str], str]:
    """The top performers when they have enough leads between them, else all sellers."""
    return ctx.benchmark(lambda top: _pooled(decisions, top)["n"], t.min_benchmark)


def _accept_hours(ctx: DiagnosisContext) -> ir.Table:
    """Per lead marketing-qualified in the window and accepted: owner and MQL → accepted hours."""
    leads = ctx.backend.table("leads")
    seconds = leads.accepted_at.epoch_seconds() - leads.mql_at.epoch_seconds()
    return leads.filter(
        leads.accepted_at.notnull(),
        leads.owner_rep_id.notnull(),
        ctx.in_window(leads.mql_at),
    ).select(rep_id=leads.owner_rep_id, hours=ibis.greatest(seconds, 0).cast("float64") / 3600.0)


def _median(latency: ir.Table) -> float | None:
    value = latency.hours.median().execute()
    return None if pd.isna(value) else float(value)


def _speed(
    ctx: DiagnosisContext, latency: ir.Table, bench_median: float | None
) -> dict[str, dict[str, float]]:
    """Per seller: accepted leads (n), median hours, and leads slower than the benchmark median."""
    mine = latency.filter(latency.rep_id.isin(ctx.sellers))
    threshold = bench_median if bench_median is not None else 0.0
    expr = mine.group_by("rep_id").aggregate(
        n=mine.count(),
        median=mine.hours.median(),
        slower=(mine.hours > threshold).sum().cast("int64"),
    )
    return {
        str(row["rep_id"]): {name: float(row[name]) for name in ("n", "median", "slower")}
        for row in ctx.backend.execute(expr).to_dict("records")
    }


def _by_source(
    ctx: DiagnosisContext, handed: ir.Table, benchmark: list[str]
) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """Per rep and source: handed-over count, accepted and rejected shares, and the benchmark's."""
    expr = handed.group_by(["rep_id", "source"]).aggregate(
        n=handed.count(),
        accepted=handed.count(where=handed.accepted),
        rejected=handed.count(where=handed.rejected),
    )
    frame = ctx.backend.execute(expr)
    bench = (
        frame[frame["rep_id"].isin(benchmark)]
        .groupby("source")[["n", "accepted", "rejected"]]
        .sum()
    )
    result: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for row in frame.itertuples(index=False):
        top = bench.loc[row.source] if row.source in bench.index else None
        result.setdefault(str(row.rep_id), {})[str(row.source)] = {
            "n": int(row.n),
            "accepted": round(int(row.accepted) / int(row.n), 3),
            "rejected": round(int(row.rejected) / int(row.n), 3),
            "top_accepted": _ratio(top, "accepted"),
            "top_rejected": _ratio(top, "rejected"),
        }
    return result


def _ratio(row: pd.Series | None, column: str) -> float | None:
    if row is None or not int(row["n"]):
        return None
    return round(int(row[column]) / int(row["n"]), 3)


def _reasons(ctx: DiagnosisContext, handed: ir.Table) -> dict[str, dict[str, int]]:
    """Per rep: how many handed-over leads they rejected for each reason."""
    rejected = handed.filter(handed.rejected)
    expr = rejected.group_by(["rep_id", "rejection_reason"]).aggregate(n=rejected.count())
    frame = ctx.backend.execute(expr).sort_values("n", ascending=False)
    result: dict[str, dict[str, int]] = {}
    for row in frame.itertuples(index=False):
        result.setdefault(str(row.rep_id), {})[str(row.rejection_reason)] = int(row.n)
    return result


def _bookings_per_accepted_lead(ctx: DiagnosisContext, benchmark: list[str]) -> float:
    """Benchmark bookings won in the window from lead-sourced deals ÷ leads it accepted then."""
    deals = ctx.backend.table("opportunities")
    leads = ctx.backend.table("leads")
    won = deals.filter(
        deals.owner_rep_id.isin(benchmark),
        deals.is_won.fill_null(False),
        deals.lead_id.notnull(),
        ctx.in_window(deals.closed_at),
    ).amount.sum()
    accepted = leads.filter(
        leads.owner_rep_id.isin(benchmark),
        ctx.in_window(leads.accepted_at),
    ).count()
    bookings = ctx.backend.execute(won)
    count = int(ctx.backend.execute(accepted))
    return float(bookings) / count if count and not pd.isna(bookings) else 0.0


def _share_signal(
    row: dict[str, int], bench: dict[str, int], column: str, gap: float, t: Thresholds
) -> Signal:
    """The rep's share of `column` well above the benchmark's, by a one-sided binomial test."""
    share = bench[column] / bench["n"] if bench["n"] else None
    decisive = (t.decisive_factor, len(SIGNALS))
    return share_signal((row["n"], row[column]), share, t.min_leads, gap, t.alpha, decisive)


def _slow_signal(row: dict[str, float] | None, bench_median: float | None, t: Thresholds) -> Signal:
    """Median MQL → accepted far above the benchmark's, most leads slower than its median
    (`slow_signal`, with min_accepted and three signals); hours rounded for the evidence."""
    if row is None or bench_median is None:
        return Signal(None, bench_median, 0, None, False)
    n, median = int(row["n"]), row["median"]
    slow = slow_signal(int(row["slower"]), n, median, bench_median, t.min_accepted, t, len(SIGNALS))
    return replace(slow, rep=round(median, 2), benchmark=round(bench_median, 2))


def _explanation(
    accepted: float | None, rejected: Signal, untouched: Signal, slow: Signal, label: str
) -> str:
    """Two sentences with the rep's numbers beside the benchmark's."""
    first = (
        f"Of the leads marketing handed over, the rep accepted {accepted or 0:.0%}, rejected "
        f"{rejected.rep or 0:.0%} ({label}: {rejected.benchmark or 0:.0%}) and left "
        f"{untouched.rep or 0:.0%} untouched ({untouched.benchmark or 0:.0%})."
    )
    if slow.rep is None or slow.benchmark is None:
        return first
    return (
        f"{first} Accepted leads waited a median {slow.rep:.0f} h from MQL "
        f"({label}: {slow.benchmark:.0f} h)."
    )
