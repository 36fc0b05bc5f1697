"""No lead warming: reps who reach their leads late in the buying journey.

Three behaviours show it, each compared with the top performers over the window: the first
sales touch comes days, not hours, after a lead is handed over; many leads arrive cold, with no
marketing touch; and new deals are first recorded past the opening stages, so the rep met
the buyer when the decision was already half made.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    pooled_share,
    share_signal,
    signal_names,
    slow_signal,
)
from attain.diagnosis.settings import LeadWarmingThresholds as Thresholds
from attain.metrics.coverage import open_pipeline
from attain.metrics.pacing import business_calendar
from attain.metrics.periods import active_calendar, business_hours_between
from attain.metrics.targets import rep_time_zones

POOLED = "*"
"""rep_id under which the benchmark's leads are pooled."""
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
SIGNALS = ("slow_response", "cold_leads", "late_entry")
SPEC = DetectorSpec(
    cause="lead_warming",
    stake_method=(
        "(benchmark win rate − rep's win rate over the window) × rep's open pipeline expected "
        "to close this period."
    ),
    actions=(
        "Call every newly assigned lead the same business day; agree a response target with "
        "the manager and review the slowest leads weekly.",
        "Send leads with no marketing history back to marketing for nurturing instead of "
        "calling them cold.",
        "Open the opportunity at the first qualified conversation, not when a proposal is due.",
    ),
    questions=(
        "How do you learn that a new lead was assigned to you, and how soon do you call?",
        "What do you look at in a lead's marketing history before your first call?",
        "At what point do you create an opportunity in the CRM, and why then?",
        "Which leads do you leave for later, and what happens to them meanwhile?",
    ),
)


@dataclass(frozen=True)
class _Measures:
    """Everything compared per seller, computed once for all of them."""

    label: str
    """Who the benchmark is: top performers, or all selling reps."""
    rep_hours: dict[str, dict[str, float]]
    bench_hours: dict[str, float] | None
    slower: dict[str, int]
    """Per seller: leads touched later than the benchmark's median."""
    cold: dict[str, tuple[int, int]]
    late: dict[str, tuple[int, int]]
    early: list[str]
    wins: dict[str, tuple[int, int]]
    benchmark: list[str]
    pipeline: pd.Series
    needed: int
    """Signals that must agree: min_signals, or fewer when the data has fewer."""

    @property
    def bench_median(self) -> float:
        return self.bench_hours["median"] if self.bench_hours else 0.0


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Flag sellers whose leads are reached slowly, arrive cold or become deals late: two
    signals agreeing, or one decisive signal alone."""
    t = thresholds or Thresholds()
    missing = _missing_data(ctx)
    if missing:
        return SPEC.skip(missing)
    m = _measure(ctx, t)
    cold_bench = pooled_share(m.cold, m.benchmark)
    late_bench = pooled_share(m.late, m.benchmark)
    targets = ctx.targets()
    findings: list[Finding] = []
    for rep in ctx.sellers:
        signals = [
            _slow_signal(m.rep_hours.get(rep), m.slower.get(rep, 0), m.bench_median, t),
            _share_signal(m.cold.get(rep, (0, 0)), cold_bench, t.min_leads, t),
            _share_signal(m.late.get(rep, (0, 0)), late_bench, t.min_deals, t),
        ]
        if agree(signals, m.needed):
            findings.append(_finding(rep, signals, m, targets.get(rep)))
    return Detection(findings=findings)


def _missing_data(ctx: DiagnosisContext) -> str | None:
    """Why the detector cannot run, or None."""
    leads = ctx.backend.table("leads")
    if int(ctx.backend.execute(leads.count())) == 0:
        return "no leads in the store"
    if int(ctx.backend.execute(leads.first_sales_touch_at.count())) == 0:
        return "leads have no first sales touch times (first_sales_touch_at)"
    if not ctx.sellers:
        return "no selling reps employed through the whole window"
    return None


def _measure(ctx: DiagnosisContext, t: Thresholds) -> _Measures:
    """Response times, cold leads, late entries and wins of every seller and the benchmark."""
    backend = ctx.backend
    response = _response_hours(ctx)
    benchmark, label = _benchmark(ctx, response, t)
    pooled = response.filter(response.rep_id.isin(benchmark)).mutate(rep_id=ibis.literal(POOLED))
    bench_hours = _hour_quantiles(pooled).get(POOLED)
    bench_median = bench_hours["median"] if bench_hours else 0.0
    leads = backend.table("leads")
    has_marketing = int(backend.execute(leads.first_marketing_touch_at.count())) > 0
    late, early = _late_entries(ctx, t)
    pipeline = open_pipeline(backend, ctx.as_of, ctx.report.period.end, ctx.performance.timezone)
    available = 1 + int(has_marketing) + int(bool(early))
    return _Measures(
        label=label,
        rep_hours=_hour_quantiles(response.filter(response.rep_id.isin(ctx.sellers))),
        bench_hours=bench_hours,
        slower=_slower_counts(ctx, response, bench_median),
        cold=_cold_leads(ctx) if has_marketing else {},
        late=late,
        early=early,
        wins=_win_counts(ctx),
        benchmark=benchmark,
        pipeline=pipeline.set_index("rep_id")["open_pipeline"],
        needed=min(t.min_signals, available),
    )


def _finding(rep: str, signals: list[Signal], m: _Measures, target: float | None) -> Finding:
    """The finding of one rep, valued at the win-rate gap on their open pipeline."""
    slow, cold, late = signals
    bench_win = pooled_share(m.wins, m.benchmark)
    won = m.wins.get(rep, (0, 0))
    rep_win = won[1] / won[0] if won[0] else None
    gap = max(0.0, (bench_win or 0.0) - rep_win) if rep_win is not None else 0.0
    rep_pipeline = float(m.pipeline.get(rep, 0.0))
    evidence = {
        "benchmark": m.label,
        "first_touch_hours": {
            "rep": _distribution(m.rep_hours.get(rep)),
            "top": _distribution(m.bench_hours),
        },
        "slow_response_p_value": slow.p_value,
        "no_marketing_touch_share": cold.shares(),
        "late_entry_share": {**late.shares(), "early_stages": m.early},
        "win_rate": {"rep": rep_win, "top": bench_win},
        "open_pipeline_this_period": rep_pipeline,
        **signal_names(SIGNALS, signals),
    }
    return SPEC.finding(
        rep,
        stake=gap * rep_pipeline,
        target=target,
        evidence=evidence,
        explanation=_explanation(slow, cold, late, m.early, m.label),
    )


def _response_hours(ctx: DiagnosisContext) -> ir.Table:
    """Per touched lead handed over in the window: owner and hours to the first sales touch.

    The clock starts when marketing qualified the lead, or when it was created if it never was.
    """
    leads = ctx.backend.table("leads")
    start = leads.mql_at.coalesce(leads.created_at)
    touched = leads.filter(
        leads.first_sales_touch_at.notnull(), leads.owner_rep_id.notnull(), ctx.in_window(start)
    )
    hours = active_calendar().business_hours
    if hours is not None:
        return _business_response_hours(ctx, touched, start, hours)
    seconds = leads.first_sales_touch_at.epoch_seconds() - start.epoch_seconds()
    return touched.select(
        rep_id=leads.owner_rep_id, hours=ibis.greatest(seconds, 0).cast("float64") / 3600.0
    )


def _business_response_hours(
    ctx: DiagnosisContext, touched: ir.Table, start: ir.Value, hours: tuple[int, int]
) -> ir.Table:
    """Hours to the first sales touch counted in working hours of the owner's own time zone
    (`[calendar] business_hours`): a lead that arrives at night is answered first thing in the
    morning without the night counting against the rep (docs/calendars.md)."""
    frame = ctx.backend.execute(
        touched.select(rep_id=touched.owner_rep_id, start=start, touch="first_sales_touch_at")
    )
    zones = frame["rep_id"].map(rep_time_zones(ctx.backend, ctx.performance.timezone))
    counted = business_hours_between(
        frame["start"], frame["touch"], zones, hours, business_calendar(ctx.performance)
    )
    table: ir.Table = ibis.memtable(
        pd.DataFrame({"rep_id": frame["rep_id"].astype(str), "hours": counted}),
        schema={"rep_id": "string", "hours": "float64"},
    )
    return table


def _benchmark(ctx: DiagnosisContext, response: ir.Table, t: Thresholds) -> tuple[list[str], str]:
    """The top performers when they have enough leads between them, else all sellers."""

    def leads(top: list[str]) -> int:
        if not top:
            return 0
        return int(ctx.backend.execute(response.filter(response.rep_id.isin(top)).count()))

    return ctx.benchmark(leads, t.min_benchmark)


def _hour_quantiles(response: ir.Table) -> dict[str, dict[str, float]]:
    """Per rep: quartiles, p90 and count of first-response hours."""
    metrics = {name: response.hours.quantile(q) for name, q in QUANTILES.items()}
    expr = response.group_by("rep_id").aggregate(n=response.count(), **metrics)
    return {
        str(row["rep_id"]): {name: float(row[name]) for name in ("n", *QUANTILES)}
        for row in expr.execute().to_dict("records")
    }


def _cold_leads(ctx: DiagnosisContext) -> dict[str, tuple[int, int]]:
    """Per owner: leads created in the window (n) and those with no marketing touch (k)."""
    leads = ctx.backend.table("leads")
    recent = leads.filter(leads.owner_rep_id.notnull(), ctx.in_window(leads.created_at))
    expr = recent.group_by(rep_id=recent.owner_rep_id).aggregate(
        n=recent.count(), k=recent.count(where=recent.first_marketing_touch_at.isnull())
    )
    return ctx.counts(expr)


def _late_entries(
    ctx: DiagnosisContext, t: Thresholds
) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per owner: new deals of the window (n) first recorded past the early stages (k).

    Also returns the early stages; none (and no counts) without enough stage history.
    """
    order = _stage_order(ctx)
    if len(order) <= t.early_stages:
        return {}, []
    early = order[: t.early_stages]
    stages = ctx.backend.table("opportunity_stages")
    deals = ctx.backend.table("opportunities")
    first = stages.group_by("opportunity_id").aggregate(
        first_at=stages.entered_at.min(), first_stage=stages.stage.argmin(stages.entered_at)
    )
    first = first.filter(ctx.in_window(first.first_at))
    first = first.join(deals, first.opportunity_id == deals.opportunity_id).select(
        rep_id=deals.owner_rep_id, first_stage=first.first_stage
    )
    expr = first.group_by("rep_id").aggregate(
        n=first.count(), k=first.count(where=~first.first_stage.isin(early))
    )
    return ctx.counts(expr), early


def _stage_order(ctx: DiagnosisContext) -> list[str]:
    """Stages in the order deals move through them, earliest first.

    A stage comes before another when deals that entered both more often entered it first;
    stages are ranked by how many others they come before, so deals that skip stages do not
    change the order.
    """
    stages = ctx.backend.table("opportunity_stages")
    before = stages.select(deal=stages.opportunity_id, first=stages.stage, at=stages.entered_at)
    after = stages.select(deal_b=stages.opportunity_id, then=stages.stage, at_b=stages.entered_at)
    pairs = before.join(after, [before.deal == after.deal_b, before.at < after.at_b])
    counts = ctx.backend.execute(
        pairs.group_by(["first", "then"]).aggregate(n=pairs.count())
    ).set_index(["first", "then"])["n"]
    names = sorted({str(s) for pair in counts.index for s in pair})
    precedes = {
        name: sum(
            int(counts.get((name, other), 0)) > int(counts.get((other, name), 0)) for other in names
        )
        for name in names
    }
    return sorted(names, key=lambda name: -precedes[name])


def _win_counts(ctx: DiagnosisContext) -> dict[str, tuple[int, int]]:
    """Per owner: deals closed in the window (n) and those won (k)."""
    deals = ctx.backend.table("opportunities")
    closed = deals.filter(deals.is_won.notnull(), ctx.in_window(deals.closed_at))
    expr = closed.group_by(rep_id=closed.owner_rep_id).aggregate(
        n=closed.count(), k=closed.count(where=closed.is_won)
    )
    return ctx.counts(expr)


def _slower_counts(ctx: DiagnosisContext, response: ir.Table, median: float) -> dict[str, int]:
    """Per seller: leads first touched later than the benchmark median."""
    mine = response.filter(response.rep_id.isin(ctx.sellers))
    expr = mine.group_by("rep_id").aggregate(
        n=mine.count(), k=mine.count(where=mine.hours > median)
    )
    return {rep: k for rep, (_, k) in ctx.counts(expr).items()}


def _share_signal(
    counts: tuple[int, int], bench: float | None, minimum: int, t: Thresholds
) -> Signal:
    """A share (cold leads, late entries) at least min_share_gap above the benchmark's."""
    decisive = (t.decisive_factor, len(SIGNALS))
    return share_signal(counts, bench, minimum, t.min_share_gap, t.alpha, decisive)


def _slow_signal(
    hours: dict[str, float] | None, slower: int, bench_median: float, t: Thresholds
) -> Signal:
    """Median first response far above the benchmark's, and most leads slower than its median
    (`slow_signal`, with min_leads and three signals)."""
    if hours is None:
        return Signal(None, bench_median, 0, None, False)
    n, median = int(hours["n"]), hours["median"]
    return slow_signal(slower, n, median, bench_median, t.min_leads, t, len(SIGNALS))


def _distribution(hours: dict[str, float] | None) -> dict[str, float | int | None]:
    """p25, median, p75, p90 (hours) and n, for a chart of the two distributions."""
    if hours is None:
        return {**dict.fromkeys(QUANTILES), "n": 0}
    return {**{name: round(hours[name], 2) for name in QUANTILES}, "n": int(hours["n"])}


def _explanation(slow: Signal, cold: Signal, late: Signal, early: list[str], label: str) -> str:
    """Two sentences with the rep's numbers beside the benchmark's."""
    first = (
        f"First sales touch comes a median {slow.rep:.0f} h after a lead is handed over "
        f"({label}: {slow.benchmark:.0f} h)."
        if slow.rep is not None and slow.benchmark is not None
        else "First sales touch times are missing for this rep's leads."
    )
    parts = []
    if cold.rep is not None and cold.benchmark is not None:
        parts.append(f"{cold.rep:.0%} of leads had no marketing touch ({cold.benchmark:.0%})")
    if late.rep is not None and late.benchmark is not None and early:
        parts.append(
            f"{late.rep:.0%} of new deals were first recorded after {early[-1]} "
            f"({late.benchmark:.0%})"
        )
    return f"{first} {'; '.join(parts)}." if parts else first
