"""What the management-workflow pages and API objects show: coaching sessions (imported and
logged), the next one-on-one's agenda, action items, the activity plan, coaching coverage,
digests and the sales–marketing alignment meeting.

Like `attain.web.view_models`, every function asks `attain.access` first and returns JSON-ready
data that the API returns as is and the templates render. Store results come from the cached
services; app-database records are read afresh on every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from attain.access import (
    Principal,
    Resource,
    Visibility,
    can_write,
    digest_subject,
)
from attain.appdb import limits
from attain.appdb.database import session_scope
from attain.appdb.models import ActionStatus, CoachingKind, Goal
from attain.metrics.report import HEADLINE_METRIC
from attain.plan.overrides import live_overrides, who_and_why
from attain.web.services import Services
from attain.web.view_models import known_teams, scope
from attain.web.writing import rep_write
from attain.workflow.actions import AgreedAction, action_row, action_rows, list_actions, set_status
from attain.workflow.agenda import GoalProgress, build_agenda, current_goals, goal_progress
from attain.workflow.alignment import AlignmentAgenda, alignment_agenda, meeting_actions
from attain.workflow.coaching import app_records, log_session, merged
from attain.workflow.coverage import coverage_table
from attain.workflow.digest import Digest, DigestScope, build_digest
from attain.workflow.surveys import team_voice

MAX_ACTIONS = 20
"""Agreed actions one logged session may carry."""


class AgreedActionIn(BaseModel):
    """An action agreed in a coaching session: what, who does it, by when."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=limits.TITLE)
    owner: str = Field(min_length=1, max_length=limits.NAME)
    due_date: date | None = Field(None, ge=date(1900, 1, 1), le=date(2199, 12, 31))


class CoachingSessionIn(BaseModel):
    """A coaching session to log, with the actions agreed in it."""

    model_config = ConfigDict(extra="forbid")

    rep_id: str = Field(min_length=1, max_length=64, description="The CRM id of the rep coached.")
    kind: CoachingKind = CoachingKind.ONE_ON_ONE
    held_at: datetime = Field(
        ge=datetime(1900, 1, 1, tzinfo=UTC),
        le=datetime(2199, 12, 31, tzinfo=UTC),
        description="When it took place (a time without a zone is UTC).",
    )
    duration_minutes: int = Field(ge=1, le=24 * 60)
    topics: list[Annotated[str, Field(max_length=limits.NAME)]] = Field(
        default_factory=list, max_length=limits.TOPICS
    )
    notes: str = Field("", max_length=limits.NOTES)
    actions: list[AgreedActionIn] = Field(default_factory=list, max_length=MAX_ACTIONS)


def _goal_progress(services: Services, goals: Sequence[Goal], day: date) -> list[GoalProgress]:
    """Goals' progress from the store, cached per data version and the goals' own values."""
    key = tuple(
        (g.id, g.rep_id, g.metric, g.target, g.period_start, g.period_end, g.description)
        for g in goals
    )
    zone = services.settings.performance.timezone
    return services.with_store(
        ("goal_progress", day, key), lambda backend: goal_progress(backend, goals, day, zone)
    )


# -- coaching sessions and action items ------------------------------------------------------
def coaching_sessions(
    services: Services, engine: Engine, user: Principal, rep_id: str | None = None
) -> list[dict[str, Any]]:
    """Coaching sessions imported from the CRM and logged in Attain, newest first, of the reps
    the user may see (one rep when `rep_id` is given; NotFound outside the scope)."""
    allowed = scope(services, user, Resource.COACHING)
    if rep_id is not None:
        allowed.rep(rep_id, services.roster())
    imported = [
        record for record in services.imported_coaching(rep_id) if allowed.sees_rep(record.rep_id)
    ]
    with session_scope(engine) as session:
        logged = app_records(session, None if rep_id is None else [rep_id], scope=allowed)
    return [record.to_dict() for record in merged(imported, logged)]


def log_coaching_session(
    services: Services, engine: Engine, user: Principal, asked: CoachingSessionIn
) -> dict[str, Any]:
    """Log a session and its agreed actions, credited to `user` in the audit log (NotFound
    for a rep outside the coaching scope, Forbidden for a role that may not log)."""
    today = date.today()
    with rep_write(services, engine, user, Resource.COACHING, asked.rep_id) as write:
        record, items = log_session(
            write.session,
            rep_id=write.rep_id,
            coach=write.by,
            kind=asked.kind,
            held_at=asked.held_at,
            duration_minutes=asked.duration_minutes,
            topics=asked.topics,
            notes=asked.notes,
            actions=[AgreedAction(a.title, a.owner, a.due_date) for a in asked.actions],
            scope=write.allowed,
        )
        logged = app_records(write.session, [write.rep_id])
        (found,) = [r for r in logged if r.id == str(record.id)]
        return {"session": found.to_dict(), "action_items": action_rows(items, today)}


def complete_action(
    services: Services, engine: Engine, user: Principal, action_id: int, day: date | None = None
) -> dict[str, Any]:
    """Mark an action item done (NotFound when the user cannot see it)."""
    allowed = scope(services, user, Resource.COACHING)
    with session_scope(engine, user_id=user.id) as session:
        item = set_status(session, action_id, ActionStatus.DONE, allowed)
        return action_row(item, day or date.today())


# -- the rep page's coaching panel -----------------------------------------------------------
def rep_agenda(
    services: Services, engine: Engine, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any]:
    """The questions for the rep's next one-on-one, most important first."""
    allowed = scope(services, user, Resource.COACHING)
    allowed.rep(rep_id, services.roster())
    day = services.as_of(asked).day
    with session_scope(engine) as session:
        return _agenda(services, session, rep_id, day)


def _agenda(services: Services, session: Session, rep_id: str, day: date) -> dict[str, Any]:
    report = services.report(day)
    pacing = next(
        (
            row
            for row in report.pacing
            if row.scope == "rep" and row.id == rep_id and row.metric == HEADLINE_METRIC
        ),
        None,
    )
    actions = list_actions(session, rep_id=rep_id, status=ActionStatus.OPEN)
    goals = _goal_progress(services, current_goals(session, day, [rep_id]), day)
    agenda = build_agenda(
        rep_id,
        day,
        services.diagnosis(day).findings,
        actions,
        goals,
        services.settings.workflow,
        pacing,
        _team_voice(services, session, rep_id, day),
    )
    return agenda.to_dict()


def _team_voice(services: Services, session: Session, rep_id: str, day: date) -> list[str]:
    """The rep's team's pulse-survey themes for the one-on-one (aggregates only)."""
    entry = services.roster().get(rep_id)
    if entry is None or entry.team_id is None:
        return []
    return team_voice(session, entry.team_id, day, services.settings.workflow)


def coaching_panel(
    services: Services, engine: Engine, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any]:
    """The rep page's coaching section: sessions, agenda, action items and who may act."""
    allowed = scope(services, user, Resource.COACHING)
    allowed.rep(rep_id, services.roster())
    day = services.as_of(asked).day
    sessions = coaching_sessions(services, engine, user, rep_id)
    with session_scope(engine) as session:
        agenda = _agenda(services, session, rep_id, day)
        actions = action_rows(list_actions(session, rep_id=rep_id, scope=allowed), day)
    return {
        "rep_id": rep_id,
        "as_of": day.isoformat(),
        "sessions": sessions,
        "agenda": agenda,
        "action_items": actions,
        "can_log": can_write(user, Resource.COACHING),
        # A pairing session is recorded from its pairing (/pairings), with the peer it names.
        "kinds": [kind.value for kind in CoachingKind if kind is not CoachingKind.PAIRING],
        "today": date.today().isoformat(),
    }


def rep_plan(
    services: Services, engine: Engine, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any] | None:
    """The rep's activity plan this quarter (None when they have no bookings target)."""
    scope(services, user, Resource.PERFORMANCE).rep(rep_id, services.roster())
    day = services.as_of(asked).day
    with session_scope(engine) as session:
        overrides = live_overrides(session)
        explained = who_and_why(session)
    report = services.plan(day, overrides)
    plan = next((p for p in report.plans if p.rep_id == rep_id), None)
    if plan is None:
        return None
    data: dict[str, Any] = plan.to_dict()
    for shown in data["overridden"]:  # each override beside the model's value, with who and why
        shown["reason"], shown["by"] = explained.get((shown["kind"], shown["target_id"]), ("", ""))
    data["window"] = {
        "start": report.window.start.isoformat(),
        "end": report.window.end.isoformat(),
    }
    data["method"] = report.method
    return data


# -- coverage, digests, alignment ------------------------------------------------------------
def coverage_view(
    services: Services, engine: Engine, user: Principal, asked: date | None, team: str | None
) -> dict[str, Any]:
    """Coaching coverage of the reps the user may see, overdue first, with the reasons."""
    allowed = scope(services, user, Resource.COACHING)
    if team is not None:
        allowed.team(team, known_teams(services))
    day = services.as_of(asked).day
    reps = [r for r in services.coached_reps(day) if team is None or r.team_id == team]
    ids = {rep.rep_id for rep in reps}
    imported = [r for r in services.imported_coaching() if r.rep_id in ids]
    with session_scope(engine) as session:
        logged = app_records(session, ids)
    rows = coverage_table(reps, [*imported, *logged], day, services.settings.workflow)
    visible = [row.to_dict() for row in rows if allowed.sees_rep(row.rep_id)]
    teams = sorted(t for t in known_teams(services) if allowed.all_teams or t in allowed.team_ids)
    return {
        "as_of": day.isoformat(),
        "team": team,
        "teams": teams if user.role.value != "rep" else [],
        "rows": visible,
        "overdue": sum(1 for row in visible if row["overdue"]),
    }


@dataclass(frozen=True)
class DigestView:
    """A digest and the teams and reps the user could ask for instead."""

    digest: Digest
    teams: list[str]


def digest_view(
    services: Services,
    engine: Engine,
    user: Principal,
    asked: date | None,
    team: str | None = None,
    rep: str | None = None,
) -> DigestView:
    """The weekly digest of the company, a team or a rep, as far as the user may see it."""
    allowed = scope(services, user, Resource.PERFORMANCE)
    teams = known_teams(services)
    kind, subject = digest_subject(user, allowed, team, rep, services.roster(), teams)
    day = services.as_of(asked).day
    report = services.report(day)
    settings = services.settings.workflow
    since = day - timedelta(days=settings.digest_days - 1)
    wins = services.wins(since, day)
    with session_scope(engine) as session:
        goals = _goal_progress(
            services, current_goals(session, day, recent_days=settings.digest_days), day
        )
    digest_scope: DigestScope = (
        "company" if kind == "company" else "team" if kind == "team" else "rep"
    )
    findings = services.diagnosis(day).findings
    digest = build_digest(digest_scope, subject, report, findings, wins, goals, settings, allowed)
    choices = [] if user.role.value == "rep" else sorted(t for t in teams if allowed.sees_team(t))
    return DigestView(digest, choices)


def _topic_visible(allowed: Visibility, source: str) -> bool:
    """Channel and company topics are everyone's; team and rep topics follow the scope."""
    parts = source.split(":")
    if parts[0] != "finding" or len(parts) < 4:
        return True
    what, id = parts[2], ":".join(parts[3:])
    if what == "company":
        return True
    if what == "team":
        return allowed.all_teams or id in allowed.team_ids
    return allowed.sees_rep(id)


def alignment_view(
    services: Services, engine: Engine, user: Principal, asked: date | None
) -> dict[str, Any]:
    """The alignment meeting's agenda and the actions agreed in its meetings (overdue
    flagged on the as-of day)."""
    allowed = scope(services, user, Resource.ALIGNMENT)
    day = services.as_of(asked).day

    def build() -> AlignmentAgenda:
        return alignment_agenda(day, services.diagnosis(day).findings, services.channels(day))

    agenda: AlignmentAgenda = services.derived(("alignment_agenda", day), build)
    topics = [t for t in agenda.to_dict()["topics"] if _topic_visible(allowed, t["source"])]
    with session_scope(engine) as session:
        actions = [
            row
            for row in action_rows(meeting_actions(session), day)
            if row["rep_id"] is None or allowed.sees_rep(row["rep_id"])
        ]
    return {
        "as_of": day.isoformat(),
        "topics": topics,
        "actions": actions,
        "overdue": sum(1 for row in actions if row["overdue"]),
    }
