"""What the team's-voice pages show and change: pulse surveys, feedback on coaching, peer
pairings and the calendar feed (`attain.workflow.surveys`, `.pairing`, `.calendar`).

As in `attain.web.management`, every function asks `attain.access` first (the coaching
resource: marketing 403; a team or rep outside the scope 404) and returns JSON-ready data
for the templates. A survey's answers are never read here one by one: only the aggregate
that `surveys.team_results` gives, hidden below the minimum of answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from attain.access import (
    NotFound,
    Principal,
    Resource,
    Visibility,
    can_write,
    check_rep_writer,
    check_writer,
    visibility_for,
)
from attain.appdb.database import session_scope
from attain.appdb.models import SurveyTemplate
from attain.diagnosis.stage_leakage import FunnelTable
from attain.errors import InputError
from attain.metrics.targets import rep_roster
from attain.store.handle import Store
from attain.web.services import Services
from attain.web.view_models import known_teams, scope
from attain.web.writing import acting_session, acting_user
from attain.workflow import calendar, pairing, surveys
from attain.workflow.coaching import app_records, store_records
from attain.workflow.coverage import coached_reps


def _teams_of(services: Services) -> dict[str, str | None]:
    return {rep: entry.team_id for rep, entry in services.roster().items()}


def _name(services: Services, rep_id: str) -> str:
    entry = services.roster().get(rep_id)
    return entry.name if entry else rep_id


# -- pulse surveys and feedback --------------------------------------------------------------
def _visible_teams(services: Services, allowed: Visibility) -> list[str]:
    return sorted(team for team in known_teams(services) if allowed.sees_team(team))


def _writer_sections(
    services: Services, session: Session, user: Principal, allowed: Visibility
) -> dict[str, Any]:
    """What a manager or admin sees: each team's surveys over time, their coaching feedback
    trend and whether they have a calendar feed."""
    settings = services.settings.workflow
    teams = _visible_teams(services, allowed)
    return {
        "teams": teams,
        "results": {
            team: [r.to_dict() for r in surveys.team_results(session, team, settings)]
            for team in teams
        },
        "feedback": [week.to_dict() for week in surveys.feedback_trend(session, user.id, settings)],
        "has_feed": calendar.has_feed(session, acting_user(session, user)),
    }


def surveys_page(services: Services, engine: Engine, user: Principal) -> dict[str, Any]:
    """The team's-voice page: for managers and admins the send form and results; for reps the
    surveys to answer and their coaching sessions awaiting feedback."""
    allowed = scope(services, user, Resource.COACHING)
    can_send = can_write(user, Resource.COACHING)
    with session_scope(engine) as session:
        me = acting_user(session, user)
        data: dict[str, Any] = {
            "can_send": can_send,
            "templates": [
                {"value": t.value, "title": surveys.TEMPLATES[t].title} for t in SurveyTemplate
            ],
            "min_answers": services.settings.workflow.survey_min_answers,
            "open": [
                _survey_row(survey)
                for survey in surveys.open_surveys(session, me, _teams_of(services))
            ],
            "awaiting_feedback": [
                {"id": s.id, "held_on": s.held_at.date().isoformat(), "kind": s.kind.value}
                for s in surveys.sessions_awaiting_feedback(session, me)
            ],
            "teams": [],
            "results": {},
            "feedback": [],
            "has_feed": False,
        }
        if can_send:
            data.update(_writer_sections(services, session, user, allowed))
        return data


def _survey_row(survey: Any) -> dict[str, Any]:
    template = surveys.TEMPLATES[survey.template]
    return {
        "id": survey.id,
        "team_id": survey.team_id,
        "template": survey.template.value,
        "title": template.title,
        "question": template.question,
        "low": template.low,
        "high": template.high,
        "words_prompt": template.words_prompt,
        "sent_on": survey.sent_at.date().isoformat(),
    }


def send_survey_view(
    services: Services, engine: Engine, user: Principal, team_id: str, template: str
) -> dict[str, Any]:
    """Send a survey to a team (NotFound for a team outside the scope, Forbidden for a role
    that may not write coaching records) and e-mail its link when [email] is set."""
    allowed = scope(services, user, Resource.COACHING)
    allowed.team(team_id, known_teams(services))
    check_writer(user, Resource.COACHING)
    with acting_session(engine, user) as (session, by):
        survey = surveys.send_survey(
            session,
            team_id,
            template,
            by=by,
            known_teams=known_teams(services),
            scope=allowed,
        )
        mailed = surveys.invite_team(session, services.settings.email, survey, _teams_of(services))
        return {**_survey_row(survey), "mailed": mailed}


def survey_view(
    services: Services, engine: Engine, user: Principal, survey_id: int
) -> dict[str, Any]:
    """One survey: the answer form for a rep of its team, the aggregate for a manager or admin
    who sees the team; NotFound for anyone else."""
    allowed = scope(services, user, Resource.COACHING)
    settings = services.settings.workflow
    with session_scope(engine) as session:
        survey = surveys.get_survey(session, survey_id)
        me = acting_user(session, user)
        respondent = surveys.respondent_team(me, _teams_of(services)) == survey.team_id
        reader = can_write(user, Resource.COACHING) and allowed.sees_team(survey.team_id)
        if not respondent and not reader:
            raise NotFound(f"no survey {survey_id}")
        result = surveys.survey_result(session, survey_id, settings) if reader else None
        return {
            **_survey_row(survey),
            "can_answer": respondent and not surveys.has_answered(session, survey_id, me.id),
            "answered": respondent and surveys.has_answered(session, survey_id, me.id),
            "result": result.to_dict() if result else None,
            "min_answers": settings.survey_min_answers,
        }


def answer_survey_view(
    services: Services, engine: Engine, user: Principal, survey_id: int, score: str, words: str
) -> None:
    """Store a rep's anonymous answer (NotFound for a survey not sent to their team)."""
    scope(services, user, Resource.COACHING)
    # A score that is no number is out of range (0): the survey is checked for access first.
    value = int(score) if score.strip().isdigit() else 0
    # No user in this transaction's audit context: answers are kept out of the audit log.
    with session_scope(engine) as session:
        surveys.answer_survey(
            session, survey_id, acting_user(session, user), value, words, _teams_of(services)
        )


def feedback_view(
    services: Services, engine: Engine, user: Principal, session_id: int, useful: str, word: str
) -> None:
    """Store a rep's anonymous feedback on one of their coaching sessions."""
    scope(services, user, Resource.COACHING)
    with session_scope(engine) as session:
        surveys.give_feedback(
            session, session_id, acting_user(session, user), useful == "yes", word
        )


def team_surveys_view(
    services: Services, engine: Engine, user: Principal, team_id: str
) -> dict[str, Any]:
    """A team's surveys over time for a manager or admin who sees the team (NotFound
    otherwise: a rep reads no team's results)."""
    allowed = scope(services, user, Resource.COACHING)
    allowed.team(team_id, known_teams(services))
    settings = services.settings.workflow
    with session_scope(engine) as session:
        results = surveys.team_results(session, team_id, settings, allowed)
    return {
        "team_id": team_id,
        "min_answers": settings.survey_min_answers,
        "surveys": [result.to_dict() for result in results],
    }


def suggestions_view(
    services: Services, engine: Engine, user: Principal, asked: date | None
) -> dict[str, Any]:
    """Suggested peers for the reps the user may see."""
    page = pairings_page(services, engine, user, asked)
    return {"as_of": page["as_of"], "items": page["suggestions"]}


# -- peer pairing ----------------------------------------------------------------------------
def _suggestions(services: Services, engine: Engine, day: date) -> list[pairing.Suggestion]:
    """Every rep's suggested peers as of `day`: stage, skill and activity gaps."""
    settings = services.settings.workflow
    teams_of = _teams_of(services)
    found = services.diagnosis(day)
    funnel = services.funnel(day)
    suggested: list[pairing.Suggestion] = []
    if isinstance(funnel, FunnelTable):
        suggested += pairing.stage_suggestions(funnel, found.findings, teams_of, settings)
    with session_scope(engine) as session:
        scores = pairing.current_scores(session)
    suggested += pairing.skill_suggestions(scores, teams_of, settings)
    window = (found.window.start, found.window.end)
    zone = services.settings.performance.timezone
    suggested += services.with_store(
        ("pairing_activity", day),
        lambda backend: pairing.activity_suggestions(
            backend, found.findings, teams_of, window, found.sellers, zone
        ),
    )
    return suggested


def _suggestion_row(services: Services, suggestion: pairing.Suggestion) -> dict[str, Any]:
    row = suggestion.to_dict()
    row["name"] = _name(services, suggestion.gap.rep_id)
    row["peer_name"] = _name(services, suggestion.peer.rep_id)
    return row


def _pairing_row(services: Services, made: Any) -> dict[str, Any]:
    row = pairing.pairing_row(made)
    row["learner_name"] = _name(services, made.learner_rep_id)
    row["peer_name"] = _name(services, made.peer_rep_id)
    return row


def pairings_page(
    services: Services, engine: Engine, user: Principal, asked: date | None
) -> dict[str, Any]:
    """Suggested peers for the reps the user sees, and their pairings."""
    allowed = scope(services, user, Resource.COACHING)
    day = services.as_of(asked).day
    suggestions = [
        _suggestion_row(services, s)
        for s in _suggestions(services, engine, day)
        if allowed.sees_rep(s.gap.rep_id)
    ]
    with session_scope(engine) as session:
        made = [_pairing_row(services, p) for p in pairing.list_pairings(session, allowed)]
    return {
        "as_of": day.isoformat(),
        "suggestions": suggestions,
        "pairings": made,
        "can_propose": can_write(user, Resource.COACHING),
        "today": date.today().isoformat(),
    }


def propose_view(
    services: Services, engine: Engine, user: Principal, form: dict[str, str]
) -> dict[str, Any]:
    """Propose a pairing of two reps the user may coach (NotFound outside the scope,
    Forbidden for a role that may not write)."""
    allowed = scope(services, user, Resource.COACHING)
    roster = services.roster()
    learner = check_rep_writer(user, allowed, form.get("learner", ""), roster)
    peer = form.get("peer", "")
    if peer not in roster:
        raise NotFound(f"no rep {peer}")
    try:
        planned = datetime.fromisoformat(form.get("planned_at", ""))
    except ValueError:
        raise InputError("give the pairing's date and time (YYYY-MM-DDTHH:MM)") from None
    with acting_session(engine, user) as (session, by):
        made = pairing.propose_pairing(
            session,
            learner=learner,
            peer=peer,
            gap_kind=form.get("gap_kind", ""),
            gap=form.get("gap", ""),
            planned_at=planned if planned.tzinfo else planned.replace(tzinfo=UTC),
            by=by,
            settings=services.settings.workflow,
        )
        return _pairing_row(services, made)


def pairing_view(
    services: Services, engine: Engine, user: Principal, pairing_id: int, asked: date | None
) -> dict[str, Any]:
    """A pairing and whether its gap closed (NotFound when its learner is outside the scope)."""
    allowed = scope(services, user, Resource.COACHING)
    day = services.as_of(asked).day
    funnel = services.funnel(day)
    stages = funnel.stages if isinstance(funnel, FunnelTable) else ()
    settings = services.settings
    with session_scope(engine) as session:
        made = _visible_pairing(session, pairing_id, allowed)
        key = ("pairing_review", made.id, made.status.value, made.coaching_session_id, day)
        review = services.with_store(
            key,
            lambda backend: pairing.review_pairing(
                session,
                backend,
                made.id,
                day,
                funnel=stages,
                settings=settings.workflow,
                zone=settings.performance.timezone,
            ),
        )
        return {
            **_pairing_row(services, made),
            "review": review.to_dict(),
            "as_of": day.isoformat(),
            "can_record": can_write(user, Resource.COACHING) and made.status.value == "proposed",
        }


def _visible_pairing(session: Session, pairing_id: int, allowed: Visibility) -> Any:
    try:
        return pairing.get_pairing(session, pairing_id, allowed)
    except InputError:
        raise NotFound(f"no pairing {pairing_id}") from None


def met_view(
    services: Services, engine: Engine, user: Principal, pairing_id: int, form: dict[str, str]
) -> None:
    """Record that the pair met, as a coaching session of kind pairing."""
    allowed = scope(services, user, Resource.COACHING)
    with session_scope(engine) as session:
        made = _visible_pairing(session, pairing_id, allowed)
        check_rep_writer(user, allowed, made.learner_rep_id, services.roster())
    held = form.get("held_on", "")
    try:
        held_at = datetime.fromisoformat(held).replace(tzinfo=UTC)
        minutes = int(form.get("minutes", "60") or 60)
    except ValueError:
        raise InputError("give the day the pair met (YYYY-MM-DD) and the minutes") from None
    with acting_session(engine, user) as (session, by):
        pairing.record_meeting(
            session,
            pairing_id,
            by=by,
            held_at=held_at,
            duration_minutes=minutes,
            notes=form.get("notes", ""),
            scope=allowed,
        )


# -- the calendar feed -----------------------------------------------------------------------
def new_feed_view(services: Services, engine: Engine, user: Principal) -> dict[str, Any]:
    """A new feed URL for a manager or admin (the old one stops working)."""
    scope(services, user, Resource.COACHING)
    check_writer(user, Resource.COACHING)
    with acting_session(engine, user) as (session, by):
        token = calendar.new_feed_token(session, by)
    return {"token": token, "path": f"/calendar/{token}.ics"}


def feed_document(services: Services, engine: Engine, token: str) -> bytes:
    """The iCalendar feed of the token's user (NotFound for an unknown or replaced token)."""
    with session_scope(engine) as session:
        owner = calendar.feed_user(session, token)
        if owner is None:
            raise NotFound("no such calendar feed")
        who = Principal(
            owner.id, owner.email, owner.name, owner.role, owner.rep_id, tuple(owner.team_ids)
        )
        allowed = visibility_for(who, Resource.COACHING, _teams_of(services))
        today = date.today()
        reps = [
            rep
            for rep in services.with_store(
                ("calendar_reps", today), lambda backend: coached_reps(rep_roster(backend), today)
            )
            if allowed.sees_rep(rep.rep_id)
        ]
        ids = [rep.rep_id for rep in reps]
        records = [*_store_records(services, ids, today), *app_records(session, ids)]
        events = calendar.cadence_events(reps, records, today, services.settings.workflow)
        names = {rep: entry.name for rep, entry in services.roster().items()}
        events += calendar.pairing_events(pairing.list_pairings(session, allowed), names)
        return calendar.render_feed(owner.name, events, datetime.now(UTC))


def _store_records(services: Services, ids: list[str], today: date) -> list[Any]:
    def compute(backend: Store) -> list[Any]:
        return store_records(backend, ids, until=today)

    return services.with_store(("calendar_records", tuple(ids), today), compute)
