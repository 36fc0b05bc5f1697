"""Run every detector, add team and company findings, and rank by bookings at stake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from attain.diagnosis import (
    activity_drop,
    coaching,
    follow_up,
    lead_criteria,
    lead_warming,
    marketing_alignment,
    product_mix,
    stage_leakage,
    target_setting,
)
from attain.diagnosis.checked import rep_checks
from attain.diagnosis.context import DiagnosisContext, build_context
from attain.diagnosis.finding import Cause, Detection, Diagnosis, Finding, Skip, severity
from attain.diagnosis.settings import DiagnosisSettings
from attain.leads.icp import IcpSettings
from attain.metrics.facts import shared_scans
from attain.metrics.report import PerformanceReport
from attain.metrics.settings import PerformanceSettings

if TYPE_CHECKING:
    from attain.config import Settings

Detector = Callable[[DiagnosisContext, DiagnosisSettings], Detection]

DETECTORS: dict[Cause, Detector] = {
    "lead_warming": lambda ctx, s: lead_warming.detect(ctx, s.lead_warming),
    "marketing_alignment": lambda ctx, s: marketing_alignment.detect(ctx, s.marketing_alignment),
    "lead_criteria": lambda ctx, s: lead_criteria.detect(ctx, s.lead_criteria),
    "follow_up": lambda ctx, s: follow_up.detect(ctx, s.follow_up),
    "coaching": lambda ctx, s: coaching.detect(ctx, s.coaching),
    "stage_leakage": lambda ctx, s: stage_leakage.detect(ctx, s.stage_leakage),
    "activity_drop": lambda ctx, s: activity_drop.detect(ctx, s.activity_drop),
    "product_mix": lambda ctx, s: product_mix.detect(ctx, s.product_mix),
    "target_setting": lambda ctx, s: target_setting.detect(ctx, s.target_setting),
}
"""One detector per cause, in the documented order."""


def diagnose(
    backend: Any,
    *,
    as_of: date | None = None,
    performance: PerformanceSettings | None = None,
    icp: IcpSettings | None = None,
    target: float | None = None,
    rep: str | None = None,
    team: str | None = None,
    thresholds: DiagnosisSettings | None = None,
    report: PerformanceReport | None = None,
) -> Diagnosis:
    """Find why reps and teams miss target as of `as_of`, most bookings at stake first.

    `rep` keeps that rep's findings; `team` keeps the team's findings and its reps'. `report`
    is the performance report as of `as_of` when the caller has it already (see build_context).
    """
    with shared_scans():  # the report inside and the detectors read the same activities
        return _diagnose(backend, as_of, performance, icp, target, rep, team, thresholds, report)


def configured_diagnosis(backend: Any, settings: Settings, report: PerformanceReport) -> Diagnosis:
    """The diagnosis as of `report`'s day, reusing that report, with attain.toml's
    [performance], [icp] and [diagnosis] settings: what the digests, the Monday view and the
    web app show."""
    return diagnose(
        backend,
        as_of=report.as_of,
        performance=settings.performance,
        icp=settings.icp,
        thresholds=settings.diagnosis,
        report=report,
    )


def _diagnose(
    backend: Any,
    as_of: date | None,
    performance: PerformanceSettings | None,
    icp: IcpSettings | None,
    target: float | None,
    rep: str | None,
    team: str | None,
    thresholds: DiagnosisSettings | None,
    report: PerformanceReport | None,
) -> Diagnosis:
    thresholds = thresholds or DiagnosisSettings()
    ctx = build_context(
        backend,
        as_of=as_of,
        performance=performance,
        icp=icp,
        target=target,
        window_days=thresholds.window_days,
        report=report,
    )
    findings: list[Finding] = []
    skipped: list[Skip] = []
    for detector in DETECTORS.values():
        detection = detector(ctx, thresholds)
        findings.extend(detection.findings)
        skipped.extend(detection.skipped)
    findings.extend(rollups(ctx, findings, thresholds))
    findings.sort(key=lambda f: (-f.bookings_at_stake, _SCOPE_RANK[f.scope], f.id, f.cause))
    shown = _filtered(ctx, findings, rep, team)
    checks = rep_checks(tuple(DETECTORS), ctx.sellers, ctx.report.pacing, findings, skipped)
    return Diagnosis(
        as_of=ctx.report.as_of,
        window=ctx.window,
        findings=shown,
        skipped=skipped,
        notes=list(ctx.report.notes),
        sellers=ctx.sellers,
        checks=[c for c in checks if _shown_rep(ctx, c.rep_id, rep, team)],
    )


_SCOPE_RANK = {"company": 0, "team": 1, "rep": 2}


def rollups(
    ctx: DiagnosisContext, findings: list[Finding], thresholds: DiagnosisSettings
) -> list[Finding]:
    """Team and company findings for causes shared by enough of their sellers.

    A team has a cause when at least `team_share` of its sellers (and two or more) do; the
    company when `company_share` of all sellers do. Stakes add up the reps' stakes.
    """
    rep_findings = [f for f in findings if f.scope == "rep"]
    teams = ctx.roster.set_index("rep_id")["team_id"].to_dict()
    sellers_by_team: dict[str, list[str]] = {}
    for seller in ctx.sellers:
        if teams.get(seller):
            sellers_by_team.setdefault(str(teams[seller]), []).append(seller)
    targets = ctx.targets()
    produced = {(f.scope, f.id, f.cause) for f in findings}
    extra: list[Finding] = []
    for cause in DETECTORS:
        flagged = [f for f in rep_findings if f.cause == cause and f.id in ctx.sellers]
        if not flagged:
            continue
        groups = [
            ("team", team_id, members, thresholds.team_share)
            for team_id, members in sorted(sellers_by_team.items())
        ]
        groups.append(("company", "company", list(ctx.sellers), thresholds.company_share))
        for scope, group_id, members, share_needed in groups:
            mine = [f for f in flagged if f.id in members]
            if (scope, group_id, cause) in produced or len(mine) < 2:
                continue
            share = len(mine) / len(members)
            if share < share_needed:
                continue
            stake = sum(f.bookings_at_stake for f in mine)
            target = sum(targets.get(member, 0.0) for member in members)
            extra.append(
                Finding(
                    scope=scope,  # type: ignore[arg-type]
                    id=group_id,
                    cause=cause,
                    severity=severity(stake, target),
                    bookings_at_stake=stake,
                    stake_method="sum of the stakes of the reps with this cause",
                    evidence={
                        "reps": sorted(f.id for f in mine),
                        "share_of_sellers": share,
                        "sellers": len(members),
                    },
                    explanation=(
                        f"{len(mine)} of {len(members)} sellers ({share:.0%}) show "
                        f"{cause.replace('_', ' ')}: it is a {scope} pattern, not one rep's."
                    ),
                    actions=_group_actions(mine),
                    questions=mine[0].questions[:2],
                )
            )
    return extra


def _group_actions(findings: list[Finding]) -> tuple[str, ...]:
    """The reps' most common actions, as the group's."""
    counts: dict[str, int] = {}
    for finding in findings:
        for action in finding.actions:
            counts[action] = counts.get(action, 0) + 1
    return tuple(sorted(counts, key=lambda action: -counts[action])[:3])


def _shown_rep(ctx: DiagnosisContext, rep_id: str, rep: str | None, team: str | None) -> bool:
    """Whether a rep's lines are shown under the --rep and --team filters."""
    if rep is not None:
        return rep_id == rep
    if team is not None:
        return bool((ctx.roster.loc[ctx.roster["team_id"] == team, "rep_id"] == rep_id).any())
    return True


def _filtered(
    ctx: DiagnosisContext, findings: list[Finding], rep: str | None, team: str | None
) -> list[Finding]:
    if rep is not None:
        return [f for f in findings if f.scope == "rep" and f.id == rep]
    if team is not None:
        members = set(ctx.roster.loc[ctx.roster["team_id"] == team, "rep_id"].astype(str))
        return [
            f
            for f in findings
            if (f.scope == "team" and f.id == team) or (f.scope == "rep" and f.id in members)
        ]
    return findings
