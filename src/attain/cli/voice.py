"""`attain survey`, `attain pairing` and `attain calendar`: the team's voice, reps learning from
each other, and the coaching calendar feed (docs/workflow.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from attain.cli.options import (
    AS_OF,
    AS_USER,
    BY,
    DB,
    FORMAT,
    StoreFacts,
    TextOrJson,
    acting_as,
    app_session,
    command_group,
    diagnose_store,
    echo_json,
    json_or_empty,
    opened_store,
    store_facts,
    user_visibility,
    writer_scope,
)
from attain.cli.users import APP_DB
from attain.errors import InputError
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.diagnosis.finding import Skip
    from attain.diagnosis.stage_leakage import FunnelTable
    from attain.store.handle import Store
    from attain.workflow import pairing

survey_app = command_group(
    "Pulse surveys: send one to a team, see its anonymous results over time."
)
pairing_app = command_group(
    "Peer pairing: suggested peers for each rep's gap, pairings, before/after review."
)
calendar_app = command_group(
    "The coaching calendar feed (iCalendar): a subscription URL or a file."
)

DAY_TIME = ["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


def teams_of(backend: Store) -> dict[str, str | None]:
    """Every rep's team, from the store's roster."""
    from attain.metrics.targets import roster_entries

    return {entry.rep_id: entry.team_id for entry in roster_entries(backend)}


def rep_team(backend: Store, rep_id: str) -> str | None:
    """The team of one rep (None when they have none)."""
    return teams_of(backend).get(rep_id)


# -- surveys ---------------------------------------------------------------------------------
@survey_app.command("send")
def survey_send_command(
    team: str = typer.Option(..., "--team", help="The CRM id of the team asked."),
    template: str = typer.Option(
        ...,
        "--template",
        help="needs (what do you need from me), workload, goal_clarity, coaching or tools.",
    ),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Send a pulse survey to a team; with \\[email] set, each of its reps with an account gets
    the link by e-mail."""
    from attain.access import Resource
    from attain.config import load_settings
    from attain.workflow import surveys

    with opened_store(db, read_only=True) as backend:
        mapping = teams_of(backend)
    known = {t for t in mapping.values() if t}
    settings = load_settings()
    with acting_as(app_db, by) as (session, user):
        scope = writer_scope(user, Resource.COACHING, db)
        if scope is not None and not scope.sees_team(team):
            raise InputError(f"{by} does not manage team {team}")
        survey = surveys.send_survey(session, team, template, by=user, known_teams=known)
        mailed = surveys.invite_team(session, settings.email, survey, mapping)
        typer.echo(
            f"Survey {survey.id} ({surveys.TEMPLATES[survey.template].title}) sent to {team}"
            + (f"; {mailed} e-mails sent." if mailed else "; e-mail is off, share /surveys.")
        )


@survey_app.command("results")
def survey_results_command(
    team: str = typer.Option(..., "--team", help="The CRM id of the team."),
    as_user: str | None = AS_USER,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """The team's surveys over time: answers, mean, change and themes, each hidden below the
    minimum of answers (`survey_min_answers`)."""
    from attain.config import load_settings
    from attain.workflow import surveys

    settings = load_settings()
    with opened_store(db, read_only=True) as backend, app_session(app_db) as (session, _):
        scope = user_visibility(session, backend, as_user)
        results = surveys.team_results(session, team, settings.workflow, scope)
    if json_or_empty(results, output_format, f"No surveys sent to {team} yet."):
        return
    for r in results:
        head = f"{r.survey_id} {r.sent_at.date()} {r.title}: {r.answers} answers"
        if not r.shown:
            typer.echo(f"{head}; hidden until {r.min_answers} answers")
            continue
        change = f" ({r.change:+.1f})" if r.change is not None else ""
        words = ", ".join(f"{word} ({n})" for word, n in r.themes) or "none shared"
        typer.echo(f"{head}; mean {r.mean_score:.1f}/5{change}; themes: {words}")


# -- peer pairing ----------------------------------------------------------------------------
def store_funnel(found: StoreFacts) -> FunnelTable | Skip:
    """The funnel-against-top-performers table of the store, as the stage-leakage detector
    computes it with the configured settings."""
    from attain.diagnosis.context import build_context
    from attain.diagnosis.stage_leakage import funnel_table

    s = found.settings
    context = build_context(
        found.backend,
        as_of=found.report.as_of,
        performance=s.performance,
        icp=s.icp,
        window_days=s.diagnosis.window_days,
        report=found.report,
    )
    return funnel_table(context, s.diagnosis.stage_leakage)


def _all_suggestions(db: str | None, as_of: datetime | None, app_db: str | None) -> list[Any]:
    """Suggested peers for every rep's stage, skill and activity gaps."""
    from attain.diagnosis.stage_leakage import FunnelTable
    from attain.workflow import pairing

    with store_facts(db, as_of) as found:
        s = found.settings
        findings = diagnose_store(found)
        table = store_funnel(found)
        mapping = teams_of(found.backend)
        suggested: list[Any] = []
        if isinstance(table, FunnelTable):
            suggested += pairing.stage_suggestions(table, findings.findings, mapping, s.workflow)
        window = (findings.window.start, findings.window.end)
        suggested += pairing.activity_suggestions(
            found.backend,
            findings.findings,
            mapping,
            window,
            findings.sellers,
            s.performance.timezone,
        )
    with app_session(app_db) as (session, _):
        suggested += pairing.skill_suggestions(pairing.current_scores(session), mapping, s.workflow)
    return suggested


@pairing_app.command("suggest")
def pairing_suggest_command(
    rep: str | None = typer.Option(None, "--rep", help="Only this rep's gaps."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """For each rep with a gap (a leaking stage, a weak skill, an activity drop), the peer
    strong exactly there: a teammate when one is among the three best."""
    found = [s for s in _all_suggestions(db, as_of, app_db) if rep is None or s.gap.rep_id == rep]
    if json_or_empty(found, output_format, "No gap with a stronger peer."):
        return
    for s in found:
        best = ", ".join(c.rep_id for c in s.best)
        mate = " (teammate)" if s.same_team else ""
        typer.echo(
            f"{s.gap.rep_id} {s.gap.kind} {s.gap.name}: pair with {s.peer.rep_id}{mate} "
            f"({s.peer.value:.2f} against {s.gap.value:.2f}; best three: {best})"
        )


@pairing_app.command("propose")
def pairing_propose_command(
    rep: str = typer.Option(..., "--rep", help="The rep who learns."),
    peer: str = typer.Option(..., "--peer", help="The rep strong where the learner is behind."),
    gap_kind: str = typer.Option(..., "--gap-kind", help="stage, skill or activity."),
    gap: str = typer.Option(..., "--gap", help="The stage name, skill or activity metric."),
    at: datetime = typer.Option(..., "--at", formats=DAY_TIME, help="When they meet (UTC)."),
    weeks: int | None = typer.Option(
        None, "--weeks", min=1, help="Weeks judged after the meeting \\[default: pairing_weeks]."
    ),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Propose a pairing session of two reps (it shows in the calendar feed)."""
    from attain.access import Resource
    from attain.config import load_settings
    from attain.workflow import pairing

    settings = load_settings()
    with acting_as(app_db, by) as (session, user):
        made = pairing.propose_pairing(
            session,
            learner=rep,
            peer=peer,
            gap_kind=gap_kind,
            gap=gap,
            planned_at=at.replace(tzinfo=UTC),
            by=user,
            weeks=weeks,
            settings=settings.workflow,
            scope=writer_scope(user, Resource.COACHING, db),
        )
        typer.echo(f"Pairing {made.id}: {rep} learns {gap_kind} {gap} from {peer} on {at}.")


@pairing_app.command("met")
def pairing_met_command(
    pairing_id: int = typer.Argument(..., help="The pairing's id."),
    at: datetime = typer.Option(..., "--at", formats=DAY_TIME, help="When they met (UTC)."),
    minutes: int = typer.Option(60, "--minutes", min=1, help="How long, in minutes."),
    notes: str = typer.Option("", "--notes", help="What they worked on."),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Record that the pair met: a coaching session of kind pairing for the learner."""
    from attain.access import Resource
    from attain.workflow import pairing

    with acting_as(app_db, by) as (session, user):
        made = pairing.record_meeting(
            session,
            pairing_id,
            by=user,
            held_at=at.replace(tzinfo=UTC),
            duration_minutes=minutes,
            notes=notes,
            scope=writer_scope(user, Resource.COACHING, db),
        )
        typer.echo(f"Pairing {made.id} met; coaching session {made.coaching_session_id}.")


@pairing_app.command("review")
def pairing_review_command(
    pairing_id: int = typer.Argument(..., help="The pairing's id."),
    as_of: datetime | None = AS_OF,
    as_user: str | None = AS_USER,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Whether the pairing's gap closed: the learner's weekly values after the meeting
    against as many weeks before, by the intensive programs' Mann–Whitney U test."""
    from attain.diagnosis.stage_leakage import FunnelTable
    from attain.workflow import pairing

    with store_facts(db, as_of) as found, app_session(app_db) as (session, _):
        s = found.settings
        table = store_funnel(found)
        review = pairing.review_pairing(
            session,
            found.backend,
            pairing_id,
            found.report.as_of,
            funnel=table.stages if isinstance(table, FunnelTable) else (),
            settings=s.workflow,
            zone=s.performance.timezone,
            scope=user_visibility(session, found.backend, as_user),
        )
    if output_format is Format.JSON:
        echo_json(review.to_dict())
        return
    _print_review(review)


def _print_review(review: pairing.PairingReview) -> None:
    typer.echo(
        f"Pairing {review.pairing_id}: {review.learner_rep_id} learns {review.gap_kind} "
        f"{review.gap} from {review.peer_rep_id}; met {review.met_on or 'not yet'}."
    )
    for c in review.comparisons:
        p = f"{c.p_value:.3f}" if c.p_value is not None else "—"
        typer.echo(f"  {c.metric}: before {list(c.before)} after {list(c.after)}, p = {p}")
    for note in review.notes:
        typer.echo(f"  {note}")
    closed = "yes" if review.gap_closed else "not yet"
    typer.echo(f"Verdict: {review.verdict}; gap closed: {closed} ({review.test}).")


# -- the calendar feed -----------------------------------------------------------------------
@calendar_app.command("token")
def calendar_token_command(
    user_email: str = typer.Option(..., "--user", help="E-mail of the manager or admin."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="The web app's address \\[default: [email] base_url]."
    ),
    app_db: str | None = APP_DB,
) -> None:
    """Make a new feed URL for a user (the old one stops working); shown only now."""
    from attain.config import load_settings
    from attain.workflow import calendar

    base = base_url or load_settings().email.base_url
    with acting_as(app_db, user_email) as (session, user):
        token = calendar.new_feed_token(session, user)
    typer.echo(f"{base.rstrip('/')}/calendar/{token}.ics")


@calendar_app.command("export")
def calendar_export_command(
    user_email: str = typer.Option(..., "--user", help="Whose coaching calendar."),
    output: Path = typer.Option(..., "--output", "-o", help="The .ics file to write."),
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Write a user's feed (one-on-one cadence, shadowing plan, pairings) to an .ics file."""
    from attain.appdb.users import get_user
    from attain.config import load_settings
    from attain.metrics.targets import rep_roster, roster_entries
    from attain.workflow import calendar, pairing
    from attain.workflow.coaching import app_records, store_records
    from attain.workflow.coverage import coached_reps

    settings = load_settings()
    today = date.today()
    with opened_store(db, read_only=True) as backend, app_session(app_db) as (session, _):
        scope = user_visibility(session, backend, user_email)
        reps = [
            r
            for r in coached_reps(rep_roster(backend), today)
            if scope is None or scope.sees_rep(r.rep_id)
        ]
        ids = [r.rep_id for r in reps]
        records = [*store_records(backend, ids, until=today), *app_records(session, ids)]
        names = {entry.rep_id: entry.name for entry in roster_entries(backend)}
        events = calendar.cadence_events(reps, records, today, settings.workflow)
        events += calendar.pairing_events(pairing.list_pairings(session, scope), names)
        owner = get_user(session, user_email)
        document = calendar.render_feed(owner.name, events, datetime.now(UTC))
    output.write_bytes(document)
    typer.echo(f"{len(events)} events written to {output}.")
