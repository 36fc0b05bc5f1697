"""Activity drop: a rep whose meetings, new deals or calls fell far below their own usual week.

The performance report's early warnings already compare the last 7 days with the rep's
8-week median; this detector turns each warned rep into a finding with the bookings the
drop is likely to cost. Thin pipeline coverage is shown beside the drop as evidence but is
never a finding on its own: on the demo about half of all reps are below the healthy ratio
at any moment, so it says too little about activity to single a rep out.
"""

from __future__ import annotations

from typing import Any

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import Detection, DetectorSpec, Finding
from attain.diagnosis.settings import ActivityDropThresholds as Thresholds
from attain.metrics.coverage import CoverageRow
from attain.metrics.early_warnings import EarlyWarning
from attain.metrics.targets import SELLING_ROLE

SPEC = DetectorSpec(
    cause="activity_drop",
    stake_method=(
        "pipeline the last 7 days did not create (the largest of the warned activities' "
        "shortfall × pipeline per unit) × {weeks_left:.1f} weeks left in the period, if "
        "the drop lasts, × the {rate_source} over the last {window_days} days"
    ),
    actions=(
        "Talk with the rep this week: find out what changed (leave, a large deal, "
        "admin work, motivation) before the gap reaches the pipeline.",
        "Agree a daily minimum of calls and meetings for the next two weeks and review it "
        "at each one-on-one.",
        "Book prospecting blocks in the calendar to rebuild next quarter's pipeline.",
    ),
    questions=(
        "What has taken your time over the last two weeks?",
        "Which meetings or calls did you plan that did not happen, and why?",
        "What would help you get back to your usual week?",
        "Which deals will fill your pipeline for next quarter?",
    ),
)
"""The stake method is a template: each finding fills in its weeks left and win rate."""
UNITS = {"meetings": "meetings", "opportunities_created": "new deals", "calls": "calls"}


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """One finding per selling rep with an early warning, valued at the pipeline not created."""
    thresholds = thresholds or Thresholds()
    if not _has_leading_facts(ctx):
        return SPEC.skip("no activities or new opportunities to compare week by week")
    selling = set(ctx.roster.loc[ctx.roster["role"] == SELLING_ROLE, "rep_id"].astype(str))
    by_rep: dict[str, list[EarlyWarning]] = {}
    for warning in ctx.report.early_warnings:
        if warning.rep_id in selling:
            by_rep.setdefault(warning.rep_id, []).append(warning)
    if not by_rep:
        return Detection()
    rates = _win_rates(ctx, thresholds)
    coverage = {row.id: row for row in ctx.report.coverage if row.scope == "rep"}
    weeks_left = ((ctx.report.period.end - ctx.as_of).days + 1) / 7
    targets = ctx.targets()
    findings = [
        _finding(
            rep,
            warnings,
            rates.get(rep, rates[""]),
            coverage.get(rep),
            weeks_left,
            (ctx.window.end - ctx.window.start).days + 1,
            targets.get(rep),
        )
        for rep, warnings in sorted(by_rep.items())
    ]
    return Detection(findings=findings)


def _has_leading_facts(ctx: DiagnosisContext) -> bool:
    activities = ctx.backend.table("activities")
    deals = ctx.backend.table("opportunities")
    count = ctx.backend.execute(activities.count()) + ctx.backend.execute(
        deals.filter(deals.created_at.notnull()).count()
    )
    return bool(count)


def _win_rates(ctx: DiagnosisContext, thresholds: Thresholds) -> dict[str, tuple[float, str]]:
    """Win rate of deals closed in the window per rep (own if enough deals), '' = company."""
    counts = ctx.won_and_closed()
    total_won = sum(won for won, _ in counts.values())
    total = sum(count for _, count in counts.values())
    company = (total_won / total if total else 0.0, "company win rate")
    rates: dict[str, tuple[float, str]] = {"": company}
    for rep, (won, count) in counts.items():
        if count >= thresholds.min_closed_deals:
            rates[rep] = (won / count, "rep's win rate")
    return rates


def _finding(
    rep: str,
    warnings: list[EarlyWarning],
    win_rate: tuple[float, str],
    cover: CoverageRow | None,
    weeks_left: float,
    window_days: int,
    target: float | None,
) -> Finding:
    rate, rate_source = win_rate
    valued = [w.pipeline_at_risk for w in warnings if w.pipeline_at_risk is not None]
    weekly_pipeline = max(valued, default=0.0)
    stake = max(weekly_pipeline, 0.0) * weeks_left * rate
    drops = "; ".join(
        f"{UNITS.get(w.metric, w.metric.replace('_', ' '))} {w.this_week:,.0f} in the last "
        f"7 days against a usual {w.median:,.0f} a week"
        for w in warnings
    )
    explanation = f"Activity fell well below this rep's own usual week: {drops}."
    if weekly_pipeline > 0:
        explanation += (
            f" That is about {weekly_pipeline:,.0f} of pipeline a week not created"
            f"{_thin_coverage(cover)}."
        )
    return SPEC.finding(
        rep,
        stake=stake,
        target=target,
        stake_method=SPEC.stake_method.format(
            weeks_left=weeks_left, rate_source=rate_source, window_days=window_days
        ),
        evidence={
            **{f"{w.metric}_per_week": _warning_evidence(w) for w in warnings},
            "last_7_days": f"{warnings[0].week_start} to {warnings[0].week_end}",
            "pipeline_not_created_per_week": weekly_pipeline,
            "weeks_left_in_period": weeks_left,
            "win_rate": rate,
            "win_rate_source": rate_source,
            "coverage": _coverage_evidence(cover),
        },
        explanation=explanation,
    )


def _thin_coverage(cover: CoverageRow | None) -> str:
    """', with coverage already at 1.2× against a healthy 3.0×' when coverage is thin."""
    if cover is None or cover.healthy or cover.coverage is None:
        return ""
    return (
        f", with coverage already at {cover.coverage:.1f}× against a healthy "
        f"{cover.healthy_coverage:.1f}×"
    )


def _warning_evidence(warning: EarlyWarning) -> dict[str, Any]:
    """The week against the rep's usual week (the median of the weeks before)."""
    return {
        "rep": warning.this_week,
        "usual": warning.median,
        "previous_weeks": list(warning.previous_weeks),
        "ratio": warning.ratio,
        "chance": warning.chance,
        "pipeline_at_risk": warning.pipeline_at_risk,
    }


def _coverage_evidence(cover: CoverageRow | None) -> dict[str, Any] | None:
    """Open pipeline closing this period ÷ the target still to book, against the healthy ratio."""
    if cover is None:
        return None
    return {
        "rep": cover.coverage,
        "healthy": cover.healthy_coverage,
        "open_pipeline": cover.open_pipeline,
        "open_deals": cover.open_deals,
        "remaining_target": cover.remaining_target,
    }
