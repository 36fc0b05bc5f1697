"""Reps learning from each other: for a rep with a gap, a peer strong exactly there, a pairing
session recorded as its own kind of coaching, and whether the gap closed.

A gap is one of three kinds, each with its own measure of who is strong:

- **stage**: the rep leaks deals at a funnel stage (a stage-leakage finding). Peers are the
  other sellers with at least `pairing_min_deals` deals through that stage in the window,
  ranked by their conversion there (the funnel-against-top-performers table), most deals
  first among equals.
- **skill**: a skill the rep is scored at or below `training_max_score`. Peers are reps scored
  4 or 5 on it, highest first.
- **activity**: the rep's activity dropped (an activity-drop finding, e.g. calls). Peers are
  the sellers with the most of that activity a week over the diagnosis window.

The suggested peer is the best-ranked one in the rep's own team when that one is among the
three best overall (a teammate is easier to sit with), else the best overall.

A pairing, once the pair met, is a coaching session of kind `pairing` for the learner. Its
review compares the learner's weekly numbers over the `weeks` after the meeting with as many
weeks before it, with the intensive programs' test (`programs.compare_metric`): a stage gap
by the weekly conversion at that stage, a skill by the metric it moves most directly
(`SKILL_METRICS`), an activity by its weekly count. The gap closed when the verdict is
'improved'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import Visibility, check_rep, sees
from attain.appdb import limits
from attain.appdb.limits import checked_text
from attain.appdb.models import (
    CoachingKind,
    CoachingSession,
    Pairing,
    PairingStatus,
    Skill,
    SkillScore,
    User,
)
from attain.diagnosis.finding import Finding
from attain.diagnosis.stage_leakage import FunnelTable
from attain.errors import InputError
from attain.metrics.facts import daily_actuals
from attain.store.handle import Store
from attain.workflow.coaching import log_session
from attain.workflow.programs import (
    TEST_NAME,
    MetricComparison,
    Verdict,
    compare_metric,
    overall_verdict,
    rep_weekly,
)
from attain.workflow.settings import WorkflowSettings

GapKind = Literal["stage", "skill", "activity"]
GAP_KINDS: tuple[GapKind, ...] = ("stage", "skill", "activity")
STRONG_SKILL = 4
"""A peer suggested for a skill is scored at least this."""
TOP = 3
"""A teammate is preferred when among this many best peers."""

SKILL_METRICS: dict[Skill, str] = {
    Skill.PRODUCT_KNOWLEDGE: "bookings",
    Skill.PROSPECTING: "opportunities_created",
    Skill.DISCOVERY: "meetings",
    Skill.OBJECTION_HANDLING: "win_rate",
    Skill.NEGOTIATION: "win_rate",
    Skill.CLOSING: "win_rate",
    Skill.CRM_USE: "activities",
}
"""The weekly metric a pairing on each skill is judged by."""


@dataclass(frozen=True)
class Gap:
    """Where a rep is behind: a stage, a skill or an activity, with their own value."""

    rep_id: str
    kind: GapKind
    name: str
    value: float | None
    """The rep's conversion at the stage, score of the skill or activity a week."""


@dataclass(frozen=True)
class Candidate:
    """A peer strong at a gap, with their value there and its evidence."""

    rep_id: str
    value: float
    deals: int | None = None
    """Deals through the stage behind a stage conversion."""


@dataclass(frozen=True)
class Suggestion:
    """The peer suggested for one rep's gap, and the best three peers it was chosen from."""

    gap: Gap
    peer: Candidate
    same_team: bool
    best: tuple[Candidate, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "rep_id": self.gap.rep_id,
            "gap_kind": self.gap.kind,
            "gap": self.gap.name,
            "rep_value": self.gap.value,
            "peer": asdict(self.peer),
            "same_team": self.same_team,
            "best": [asdict(candidate) for candidate in self.best],
        }


def stage_candidates(funnel: FunnelTable, stage: str, min_deals: int) -> list[Candidate]:
    """Sellers with at least `min_deals` deals through `stage`, best conversion first (pure)."""
    rates = funnel.rates.xs(stage, level="stage")
    enough = rates[(rates["rep_n"] >= min_deals) & rates["rep_rate"].notna()]
    ordered = enough.assign(rep=enough.index.astype(str)).sort_values(
        ["rep_rate", "rep_n", "rep"], ascending=[False, False, True]
    )
    return [
        Candidate(str(rep), float(rate), int(n))
        for rep, rate, n in zip(ordered["rep"], ordered["rep_rate"], ordered["rep_n"], strict=True)
    ]


def choose(
    learner: str, ranked: Sequence[Candidate], teams_of: Mapping[str, str | None]
) -> tuple[Candidate, bool] | None:
    """The learner's teammate among the `TOP` best peers, else the best peer (pure)."""
    others = [candidate for candidate in ranked if candidate.rep_id != learner]
    if not others:
        return None
    team = teams_of.get(learner)
    for candidate in others[:TOP]:
        if team is not None and teams_of.get(candidate.rep_id) == team:
            return candidate, True
    return others[0], False


def _suggest(
    gap: Gap, ranked: Sequence[Candidate], teams_of: Mapping[str, str | None]
) -> Suggestion | None:
    chosen = choose(gap.rep_id, ranked, teams_of)
    if chosen is None:
        return None
    others = tuple(candidate for candidate in ranked if candidate.rep_id != gap.rep_id)
    return Suggestion(gap, chosen[0], chosen[1], others[:TOP])


def stage_suggestions(
    funnel: FunnelTable,
    findings: Sequence[Finding],
    teams_of: Mapping[str, str | None],
    settings: WorkflowSettings,
) -> list[Suggestion]:
    """A peer for each rep with a stage-leakage finding, strong at the leaking stage."""
    found = []
    for finding in findings:
        if finding.cause != "stage_leakage" or finding.scope != "rep":
            continue
        stage = str(finding.evidence["stage"])
        gap = Gap(finding.id, "stage", stage, float(finding.evidence["rep_rate"]))
        ranked = stage_candidates(funnel, stage, settings.pairing_min_deals)
        suggestion = _suggest(gap, ranked, teams_of)
        if suggestion is not None:
            found.append(suggestion)
    return found


def current_scores(session: Session) -> dict[tuple[str, Skill], int]:
    """The score in force (the newest) of every rep's scored skill."""
    rows = session.scalars(select(SkillScore).order_by(SkillScore.scored_at, SkillScore.id))
    return {(row.rep_id, row.skill): row.score for row in rows}


def skill_suggestions(
    scores: Mapping[tuple[str, Skill], int],
    teams_of: Mapping[str, str | None],
    settings: WorkflowSettings,
) -> list[Suggestion]:
    """A peer scored 4 or 5 for each skill a rep is scored at or below the training bar."""
    found = []
    for (rep, skill), score in sorted(scores.items()):
        if score > settings.training_max_score:
            continue
        ranked = sorted(
            (
                Candidate(other, float(value))
                for (other, other_skill), value in scores.items()
                if other_skill == skill and value >= STRONG_SKILL
            ),
            key=lambda c: (-c.value, c.rep_id),
        )
        suggestion = _suggest(Gap(rep, "skill", skill.value, float(score)), ranked, teams_of)
        if suggestion is not None:
            found.append(suggestion)
    return found


def activity_metric(finding: Finding) -> tuple[str, float] | None:
    """The activity an activity-drop finding is about and the rep's recent count a week."""
    for key, value in finding.evidence.items():
        if key.endswith("_per_week") and isinstance(value, dict) and "rep" in value:
            return key.removesuffix("_per_week"), float(value["rep"])
    return None


def activity_candidates(
    backend: Store, metric: str, first: date, last: date, sellers: Sequence[str], zone: str = "UTC"
) -> list[Candidate]:
    """Sellers by their count of `metric` a week from `first` to `last`, most first."""
    weeks = max(((last - first).days + 1) / 7, 1 / 7)
    daily = daily_actuals(backend, metric, first, last, zone)
    totals = daily.groupby(daily["rep_id"].astype(str))["value"].sum()
    ranked = [Candidate(rep, float(totals.get(rep, 0.0)) / weeks) for rep in sellers]
    return sorted(ranked, key=lambda c: (-c.value, c.rep_id))


def activity_suggestions(
    backend: Store,
    findings: Sequence[Finding],
    teams_of: Mapping[str, str | None],
    window: tuple[date, date],
    sellers: Sequence[str],
    zone: str = "UTC",
) -> list[Suggestion]:
    """A peer for each rep with an activity-drop finding, busiest at that activity."""
    found = []
    ranked_by: dict[str, list[Candidate]] = {}
    for finding in findings:
        measured = activity_metric(finding) if finding.cause == "activity_drop" else None
        if measured is None or finding.scope != "rep":
            continue
        metric, value = measured
        if metric not in ranked_by:
            ranked_by[metric] = activity_candidates(backend, metric, *window, sellers, zone)
        suggestion = _suggest(
            Gap(finding.id, "activity", metric, value), ranked_by[metric], teams_of
        )
        if suggestion is not None:
            found.append(suggestion)
    return found


# Pairings as records.


def propose_pairing(
    session: Session,
    *,
    learner: str,
    peer: str,
    gap_kind: str,
    gap: str,
    planned_at: datetime,
    by: User,
    weeks: int | None = None,
    settings: WorkflowSettings | None = None,
    scope: Visibility | None = None,
) -> Pairing:
    """Record a proposed pairing (audited); both reps must be in the scope."""
    settings = settings or WorkflowSettings()
    learner = check_rep(scope, learner.strip())
    peer = check_rep(scope, peer.strip())
    if not learner or not peer or learner == peer:
        raise InputError("a pairing needs two different reps (--rep and --peer)")
    if gap_kind not in GAP_KINDS:
        raise InputError(f"a gap is one of {', '.join(GAP_KINDS)}, not {gap_kind!r}")
    gap = checked_text(gap, "the gap", limits.NAME)
    if not gap:
        raise InputError("name the gap: the stage, skill or activity (--gap)")
    weeks = settings.pairing_weeks if weeks is None else weeks
    if weeks < 1:
        raise InputError(f"a pairing is judged over at least one week, not {weeks}")
    pairing = Pairing(
        learner_rep_id=learner,
        peer_rep_id=peer,
        gap_kind=gap_kind,
        gap=gap,
        planned_at=planned_at if planned_at.tzinfo else planned_at.replace(tzinfo=UTC),
        weeks=weeks,
        created_by=by.id,
    )
    session.add(pairing)
    session.flush()
    return pairing


def get_pairing(session: Session, pairing_id: int, scope: Visibility | None = None) -> Pairing:
    """The pairing with this id; InputError when there is none (or the scope cannot see its
    learner)."""
    pairing = session.get(Pairing, pairing_id)
    if pairing is None or not sees(scope, pairing.learner_rep_id):
        raise InputError(f"no pairing {pairing_id}; `attain pairing list` shows their ids")
    return pairing


def record_meeting(
    session: Session,
    pairing_id: int,
    *,
    by: User,
    held_at: datetime,
    duration_minutes: int,
    notes: str = "",
    scope: Visibility | None = None,
) -> Pairing:
    """The pair met: a coaching session of kind `pairing` for the learner, and the pairing
    marked met."""
    pairing = get_pairing(session, pairing_id, scope)
    if pairing.status is PairingStatus.MET:
        raise InputError(f"pairing {pairing_id} is already recorded as met")
    record, _ = log_session(
        session,
        rep_id=pairing.learner_rep_id,
        coach=by,
        kind=CoachingKind.PAIRING,
        held_at=held_at,
        duration_minutes=duration_minutes,
        topics=[
            f"pairing {pairing.id} with {pairing.peer_rep_id}",
            f"{pairing.gap_kind} {pairing.gap}",
        ],
        notes=notes,
        scope=scope,
    )
    pairing.status = PairingStatus.MET
    pairing.coaching_session_id = record.id
    session.flush()
    return pairing


def list_pairings(session: Session, scope: Visibility | None = None) -> list[Pairing]:
    """Pairings whose learner the scope sees, newest plan first."""
    rows = session.scalars(select(Pairing).order_by(Pairing.planned_at.desc(), Pairing.id.desc()))
    return [row for row in rows if sees(scope, row.learner_rep_id)]


def pairing_row(pairing: Pairing) -> dict[str, Any]:
    """A pairing as JSON-ready values."""
    return {
        "id": pairing.id,
        "learner_rep_id": pairing.learner_rep_id,
        "peer_rep_id": pairing.peer_rep_id,
        "gap_kind": pairing.gap_kind,
        "gap": pairing.gap,
        "planned_at": pairing.planned_at.isoformat(),
        "weeks": pairing.weeks,
        "status": pairing.status.value,
        "coaching_session_id": pairing.coaching_session_id,
    }


# Did the gap close?


def stage_weekly_rates(
    backend: Store,
    rep_id: str,
    stage: str,
    funnel: Sequence[str],
    first: date,
    weeks: int,
) -> list[float | None]:
    """The rep's conversion at `stage` per week from `first`: of their deals that left the
    stage that week, the share that moved to a later funnel stage or were won (None in a week
    when none left it)."""
    if stage not in funnel:
        raise InputError(f"{stage!r} is not a funnel stage ({', '.join(funnel)})")
    history = backend.table("opportunity_stages")
    deals = backend.table("opportunities")
    mine = deals.filter(deals.owner_rep_id == rep_id).select(
        "opportunity_id", "closed_at", "is_won"
    )
    frame: pd.DataFrame = backend.execute(
        history.join(mine, "opportunity_id").select(
            "opportunity_id", "stage", "entered_at", "closed_at", "is_won"
        )
    )
    rank = {name: k for k, name in enumerate(funnel)}
    advanced, resolved = [0] * weeks, [0] * weeks
    for _, rows in frame.groupby("opportunity_id"):
        outcome = _stage_outcome(rows, stage, rank)
        if outcome is None:
            continue
        index = (outcome[0] - first).days // 7
        if 0 <= index < weeks:
            resolved[index] += 1
            advanced[index] += outcome[1]
    return [a / n if n else None for a, n in zip(advanced, resolved, strict=True)]


def _stage_outcome(
    rows: pd.DataFrame, stage: str, rank: Mapping[str, int]
) -> tuple[date, bool] | None:
    """When one deal left `stage` and whether it moved on; None while it is still there."""
    entered = pd.to_datetime(rows.loc[rows["stage"] == stage, "entered_at"])
    if entered.empty:
        return None
    start = entered.min()
    later = rows[
        rows["stage"].map(lambda s: rank.get(str(s), -1) > rank[stage])
        & (pd.to_datetime(rows["entered_at"]) >= start)
    ]
    if not later.empty:
        return pd.to_datetime(later["entered_at"]).min().date(), True
    closed = rows["closed_at"].iloc[0]
    if closed is None or pd.isna(closed):
        return None
    return pd.Timestamp(closed).date(), bool(rows["is_won"].iloc[0])


@dataclass(frozen=True)
class PairingReview:
    """Whether a pairing's gap closed: the learner's weekly values before and after the
    meeting, compared with the intensive programs' test."""

    pairing_id: int
    learner_rep_id: str
    peer_rep_id: str
    gap_kind: str
    gap: str
    met_on: date | None
    weeks_done: int
    comparisons: list[MetricComparison]
    verdict: Verdict
    gap_closed: bool
    test: str = TEST_NAME
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            **{k: v for k, v in asdict(self).items() if k != "met_on"},
            "met_on": self.met_on.isoformat() if self.met_on else None,
        }


def review_metric(pairing: Pairing) -> str:
    """The weekly measure a pairing's gap is judged by."""
    if pairing.gap_kind == "stage":
        return f"conversion at {pairing.gap}"
    if pairing.gap_kind == "skill":
        return SKILL_METRICS[Skill(pairing.gap)]
    return pairing.gap


def _weekly(
    backend: Store, pairing: Pairing, first: date, weeks: int, funnel: Sequence[str], zone: str
) -> list[float | None]:
    if pairing.gap_kind == "stage":
        return stage_weekly_rates(
            backend, pairing.learner_rep_id, pairing.gap, funnel, first, weeks
        )
    return rep_weekly(backend, pairing.learner_rep_id, review_metric(pairing), first, weeks, zone)


def met_on(session: Session, pairing: Pairing) -> date | None:
    """The day (UTC) the pair met: their pairing session's; None before they met."""
    if pairing.status is not PairingStatus.MET:
        return None
    held = (
        session.get(CoachingSession, pairing.coaching_session_id)
        if pairing.coaching_session_id
        else None
    )
    return (held.held_at if held is not None else pairing.planned_at).astimezone(UTC).date()


def review_pairing(
    session: Session,
    backend: Store,
    pairing_id: int,
    as_of: date,
    *,
    funnel: Sequence[str] = (),
    settings: WorkflowSettings | None = None,
    zone: str = "UTC",
    scope: Visibility | None = None,
) -> PairingReview:
    """The learner's weekly values over the completed weeks after the meeting against as many
    weeks before it, and the verdict; `funnel` is the open stages in order (for stage gaps)."""
    settings = settings or WorkflowSettings()
    pairing = get_pairing(session, pairing_id, scope)
    met = met_on(session, pairing)
    comparisons: list[MetricComparison] = []
    notes: list[str] = []
    done = 0
    if met is None:
        notes.append("the pair has not met yet")
    else:
        start = met + timedelta(days=1)
        done = min(max(((as_of - start).days + 1) // 7, 0), pairing.weeks)
        if done == 0:
            notes.append(f"no full week has passed since the pair met on {met}")
        else:
            before = _weekly(backend, pairing, met - timedelta(days=7 * done), done, funnel, zone)
            after = _weekly(backend, pairing, start, done, funnel, zone)
            comparisons.append(
                compare_metric(review_metric(pairing), before, after, settings.program_max_p_value)
            )
    verdict = overall_verdict(comparisons)
    return PairingReview(
        pairing_id=pairing.id,
        learner_rep_id=pairing.learner_rep_id,
        peer_rep_id=pairing.peer_rep_id,
        gap_kind=pairing.gap_kind,
        gap=pairing.gap,
        met_on=met,
        weeks_done=done,
        comparisons=comparisons,
        verdict=verdict,
        gap_closed=verdict == "improved",
        notes=notes,
    )
