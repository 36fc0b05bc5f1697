"""Target setting: a rep whose quota was ratcheted, with the quota history as evidence.

The performance report flags ratcheting (raised again and again within a period, or raised
sharply right after a hit); each flagged selling rep becomes a finding. Goals failing the
SMART check and the team's own ratcheting are shown beside it, but are never a finding on
their own: a target out of reach after a poor quarter (the Achievable letter) is common and
says more about the quarter than about how targets are set.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import Detection, DetectorSpec, Finding
from attain.diagnosis.settings import TargetSettingThresholds as Thresholds
from attain.metrics.ratcheting import QuotaRevision, RatchetSignal, RepRatcheting, TeamRatcheting
from attain.metrics.report import HEADLINE_METRIC
from attain.metrics.targets import SELLING_ROLE

SPEC = DetectorSpec(
    cause="target_setting",
    stake_method="current period's bookings target (latest raise included) − the rep's usual "
    "bookings (average per day over their last completed full periods × the period's "
    "days): plan the record does not support",
    actions=(
        "Reset the target to what the rep's record and pipeline support, and tell the rep "
        "why it changed.",
        "Set targets once, before the period starts; change them mid-period only by a "
        "documented exception.",
        "Tie the next raise to evidence (territory, pipeline, ramp), not to last period's result.",
    ),
    questions=(
        "How do you feel about your target for this quarter?",
        "What pipeline would you need to reach it, and do you have it?",
        "Has a raised target changed how you work your deals or plan your quarter?",
    ),
)


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """One finding per employed selling rep whose quota history shows ratcheting."""
    thresholds = thresholds or Thresholds()
    attainment = ctx.report.attainment
    if attainment is None:
        return SPEC.skip("no quotas or targets to check for ratcheting")
    roster = ctx.roster.assign(rep_id=ctx.roster["rep_id"].astype(str))
    ended = pd.to_datetime(roster["end_date"])
    employed = roster[
        (roster["role"] == SELLING_ROLE) & (ended.isna() | (ended >= pd.Timestamp(ctx.as_of)))
    ].set_index("rep_id")
    by_rep: dict[str, list[RepRatcheting]] = {}
    for ratcheting in ctx.report.ratcheted_reps:
        if ratcheting.rep_id in employed.index:
            by_rep.setdefault(ratcheting.rep_id, []).append(ratcheting)
    teams = {t.team_id: t for t in ctx.report.ratcheted_teams if t.metric == HEADLINE_METRIC}
    record = _record(attainment.frame, ctx, thresholds)
    targets = ctx.targets()
    findings = []
    for rep, ratchetings in sorted(by_rep.items()):
        team = employed.at[rep, "team_id"]
        team_id = str(team) if isinstance(team, str) else None
        findings.append(
            _finding(
                rep,
                ratchetings,
                _latest_target(ratchetings, ctx) or targets.get(rep),
                targets.get(rep),
                record.get(rep),
                _failed_letters(ctx, rep),
                teams.get(team_id) if team_id else None,
            )
        )
    return Detection(findings=findings)


def _record(
    frame: pd.DataFrame, ctx: DiagnosisContext, thresholds: Thresholds
) -> dict[str, dict[str, float]]:
    """Per rep: mean bookings and mean attainment over their last completed full periods,
    scaled to the length of the current period."""
    rows = frame[
        (frame["metric"] == HEADLINE_METRIC) & ~frame["prorated"].fillna(False).astype(bool)
    ]
    start = pd.to_datetime(rows["period_start"]).dt.date
    end = pd.to_datetime(rows["period_end"]).dt.date
    rows = rows.assign(
        start=start, days=[(e - s).days + 1 for s, e in zip(start, end, strict=True)]
    )
    rows = rows[end < ctx.as_of].sort_values(["rep_id", "start"])
    recent = rows.groupby("rep_id").tail(thresholds.record_periods)
    current_days = (ctx.report.period.end - ctx.report.period.start).days + 1
    found = {}
    for rep, periods in recent.groupby("rep_id"):
        per_day = float(periods["actual"].sum()) / float(periods["days"].sum())
        found[str(rep)] = {
            "usual_bookings": per_day * current_days,
            "mean_attainment": float(pd.to_numeric(periods["attainment"]).mean()),
            "periods": float(len(periods)),
        }
    return found


def _latest_target(ratchetings: list[RepRatcheting], ctx: DiagnosisContext) -> float | None:
    """The last bookings target set for the current period by as_of (raises included)."""
    period = ctx.report.period
    stop = datetime.combine(ctx.as_of + timedelta(days=1), time.min)
    latest = [
        revision.target
        for ratcheting in ratchetings
        if ratcheting.metric == HEADLINE_METRIC
        for revision in ratcheting.history
        if revision.period == period and (revision.set_at is None or revision.set_at < stop)
    ]
    return latest[-1] if latest else None


def _failed_letters(ctx: DiagnosisContext, rep: str) -> list[dict[str, str]]:
    """The rep's goals that fail a SMART letter, one entry per failing letter."""
    return [
        {"goal": check.goal.label, "letter": letter.letter, "reason": letter.reason}
        for check in ctx.report.goals
        if rep in check.goal.owners
        for letter in check.letters
        if letter.passed is False
    ]


def _finding(
    rep: str,
    ratchetings: list[RepRatcheting],
    target: float | None,
    in_force: float | None,
    record: dict[str, float] | None,
    failed: list[dict[str, str]],
    team: TeamRatcheting | None,
) -> Finding:
    usual = record["usual_bookings"] if record else None
    stake = max(target - usual, 0.0) if target is not None and usual is not None else 0.0
    reasons = [s.reason for r in ratchetings for s in r.signals]
    explanation = f"This rep's quota was ratcheted: {reasons[0]}."
    if target is not None and usual is not None and stake > 0:
        explanation += (
            f" The current bookings target of {target:,.0f} is {stake:,.0f} above the "
            f"{usual:,.0f} the rep usually sells in a period."
        )
    elif target is not None and usual is not None:
        explanation += (
            f" The current target of {target:,.0f} is still within the {usual:,.0f} the rep "
            "usually sells, so the risk is to motivation and retention more than to bookings."
        )
    return SPEC.finding(
        rep,
        stake=stake,
        target=in_force,
        evidence={
            "bookings_target": {
                "rep": target,
                "usual": usual,
                "at_period_start": in_force,
                "mean_attainment": record["mean_attainment"] if record else None,
                "periods": int(record["periods"]) if record else 0,
            },
            "ratchet_signals": [
                _signal_evidence(r.metric, s) for r in ratchetings for s in r.signals
            ],
            "quota_history": [
                _revision_evidence(r.metric, v) for r in ratchetings for v in r.history
            ],
            "goal_checks_failed": failed,
            "team_ratcheting": _team_evidence(team),
        },
        explanation=explanation,
    )


def _signal_evidence(metric: str, signal: RatchetSignal) -> dict[str, Any]:
    return {
        "metric": metric,
        "kind": signal.kind,
        "period": signal.period.label,
        "raises": signal.raises,
        "growth": signal.growth,
        "reason": signal.reason,
    }


def _revision_evidence(metric: str, revision: QuotaRevision) -> dict[str, Any]:
    return {
        "metric": metric,
        "period": revision.period.label,
        "set_at": revision.set_at.isoformat(sep=" ") if revision.set_at else None,
        "target": revision.target,
    }


def _team_evidence(team: TeamRatcheting | None) -> dict[str, Any] | None:
    if team is None:
        return None
    return {
        "team_id": team.team_id,
        "target_growth": team.target_growth,
        "actual_growth": team.actual_growth,
        "gap": team.gap,
        "reason": team.reason,
    }
