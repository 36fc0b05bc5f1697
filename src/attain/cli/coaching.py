"""`attain coaching`, `attain digest`, `attain alignment` and `attain actions`: the management
workflow over the app database (see docs/workflow.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.appdb.kinds import CoachingKind
from attain.cli.options import (
    AS_OF,
    AS_USER,
    BY,
    DB,
    FORMAT,
    OUTPUT,
    TextOrJson,
    acting_as,
    app_session,
    check_rep,
    command_group,
    day_option,
    diagnose_store,
    echo_json,
    json_or_empty,
    opened_store,
    store_facts,
    user_visibility,
    writer_scope,
)
from attain.cli.users import APP_DB
from attain.cli.voice import rep_team
from attain.errors import InputError
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.workflow.digest import DigestScope

coaching_app = command_group(
    "Coaching sessions and agreed actions, the next one-on-one's agenda and coverage."
)
alignment_app = command_group("The sales–marketing alignment meeting: agenda and action items.")
actions_app = command_group("Action items agreed in coaching and meetings.")


DigestFormat = Literal[Format.MARKDOWN, Format.HTML, Format.JSON]
"""Output formats of the digest."""


@coaching_app.command("log")
def log_command(
    rep: str = typer.Option(..., "--rep", help="The CRM id of the rep coached."),
    kind: CoachingKind = typer.Option(CoachingKind.ONE_ON_ONE, "--kind", help="How it was held."),
    at: datetime = typer.Option(
        ..., "--at", formats=["%Y-%m-%d", "%Y-%m-%d %H:%M"], help="When (UTC)."
    ),
    minutes: int = typer.Option(..., "--minutes", min=1, help="How long, in minutes."),
    topic: list[str] = typer.Option([], "--topic", help="A topic discussed (repeatable)."),
    notes: str = typer.Option("", "--notes", help="Notes (the rep can read them)."),
    action: list[str] = typer.Option(
        [],
        "--action",
        help="An agreed action 'title|owner|YYYY-MM-DD' (repeatable).",
    ),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Log a one-on-one, shadowing or training session with the actions agreed in it (for the
    reps `--by` may coach on the web; their teams are read from --db)."""
    from attain.access import Resource
    from attain.workflow.actions import parse_action
    from attain.workflow.coaching import log_session

    agreed = [parse_action(text) for text in action]
    with acting_as(app_db, by) as (session, user):
        record, items = log_session(
            session,
            scope=writer_scope(user, Resource.COACHING, db),
            rep_id=rep,
            coach=user,
            kind=kind,
            held_at=at.replace(tzinfo=UTC),
            duration_minutes=minutes,
            topics=topic,
            notes=notes,
            actions=agreed,
        )
        typer.echo(
            f"Logged {record.kind.value} {record.id} with {rep} on {record.held_at:%Y-%m-%d} "
            f"({record.duration_minutes} min) and {len(items)} action(s)."
        )


@coaching_app.command("list")
def list_command(
    rep: str = typer.Option(..., "--rep", help="The rep whose sessions and actions to show."),
    as_user: str | None = AS_USER,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """A rep's coaching sessions (imported and logged, newest first) and their actions."""
    from attain.access import AccessError
    from attain.workflow.actions import action_rows, list_actions
    from attain.workflow.coaching import rep_sessions

    with opened_store(db, read_only=True) as backend, app_session(app_db, None) as (session, _):
        scope = user_visibility(session, backend, as_user)
        try:
            records = rep_sessions(session, backend, rep, scope)
        except AccessError:
            raise InputError(f"no rep {rep} that {as_user} may see") from None
        actions = action_rows(list_actions(session, rep_id=rep, scope=scope), date.today())
    if output_format is Format.JSON:
        echo_json({"sessions": [r.to_dict() for r in records], "actions": actions})
        return
    table = Table(title=f"Coaching sessions of {rep}")
    for header in ("when", "kind", "min", "topics", "origin", "coach", "notes"):
        table.add_column(header)
    for r in records:
        table.add_row(
            f"{r.held_at:%Y-%m-%d}",
            r.kind.value,
            "" if r.duration_minutes is None else str(r.duration_minutes),
            escape("; ".join(r.topics)),
            r.origin,
            escape(r.coach or ""),
            escape(r.notes),
        )
    console = Console(soft_wrap=True)
    console.print(table)
    _print_actions(console, actions, f"Actions of {rep}")


def _print_actions(console: Console, rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        console.print("No actions.")
        return
    table = Table(title=title)
    for header in ("id", "title", "owner", "due", "status", "source"):
        table.add_column(header)
    for row in rows:
        status = row["status"] + (f" (overdue {row['days_overdue']} d)" if row["overdue"] else "")
        table.add_row(
            str(row["id"]),
            escape(row["title"]),
            escape(row["owner"]),
            row["due_date"] or "",
            status,
            escape(row["source"]),
        )
    console.print(table)


@coaching_app.command("agenda")
def agenda_command(
    rep: str = typer.Option(..., "--rep", help="The rep whose next one-on-one it is."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """3–6 questions for the rep's next one-on-one, most important first: from their findings,
    overdue actions and goals behind pace."""
    from attain.metrics.report import HEADLINE_METRIC
    from attain.workflow.agenda import rep_agenda

    with store_facts(db, as_of) as found:
        check_rep(found.backend, rep)
        findings = diagnose_store(found, rep).findings
        pacing = next(
            (
                row
                for row in found.report.pacing
                if row.scope == "rep" and row.id == rep and row.metric == HEADLINE_METRIC
            ),
            None,
        )
        with app_session(app_db, None) as (session, _):
            agenda = rep_agenda(
                session,
                found.backend,
                rep,
                found.report.as_of,
                findings,
                settings=found.settings.workflow,
                zone=found.settings.performance.timezone,
                pacing=pacing,
                team_id=rep_team(found.backend, rep),
            )
    if output_format is Format.JSON:
        echo_json(agenda.to_dict())
        return
    typer.echo(f"Agenda for {rep}'s next one-on-one (as of {agenda.as_of}):")
    for number, item in enumerate(agenda.items, start=1):
        typer.echo(f"{number}. {item.question}  [{item.source}]")
    for line in agenda.team_voice:
        typer.echo(f"Team voice: {line}")


@coaching_app.command("coverage")
def coverage_command(
    team: str | None = typer.Option(None, "--team", help="Only this team's reps."),
    overdue: bool = typer.Option(False, "--overdue", help="Only reps overdue for coaching."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Who is overdue for shadowing or a one-on-one, and coaching minutes against need."""
    from attain.workflow.coverage import store_coverage

    with store_facts(db, as_of) as found:
        classes = {c.rep_id: c.performance_class for c in found.report.classification}
        with app_session(app_db, None) as (session, _):
            rows = store_coverage(
                session,
                found.backend,
                found.report.as_of,
                classes=classes,
                settings=found.settings.workflow,
                team_id=team,
            )
    if overdue:
        rows = [row for row in rows if row.overdue]
    if json_or_empty(rows, output_format):
        return
    table = Table(title=f"Coaching coverage as of {found.report.as_of}")
    for header in (
        "rep",
        "team",
        "need",
        "shadows 12 m",
        "last 1:1",
        "days",
        "minutes",
        "× fair share",
        "overdue",
    ):
        table.add_column(header)
    for row in rows:
        table.add_row(
            escape(f"{row.rep_id} {row.name}"),
            row.team_id or "",
            row.need.replace("_", " "),
            f"{row.shadows_12_months}/{row.shadows_needed}",
            str(row.last_one_on_one or "—"),
            "—" if row.days_since_one_on_one is None else str(row.days_since_one_on_one),
            str(row.minutes),
            "—"
            if row.minutes_ratio is None
            else f"{row.minutes_ratio:.1f}" + (" under" if row.under_coached else ""),
            escape("; ".join(row.reasons)) if row.overdue else "",
        )
    Console(soft_wrap=True).print(table)


def digest_command(
    team: str | None = typer.Option(None, "--team", help="The digest of this team."),
    rep: str | None = typer.Option(None, "--rep", help="The digest of this rep."),
    as_of: datetime | None = AS_OF,
    output_format: DigestFormat = typer.Option(
        Format.MARKDOWN, "--format", "-f", help="Output format (html is e-mail ready)."
    ),
    output: Path | None = OUTPUT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """The weekly digest: pace, wins, people to recognise, risks and a leaderboard (the
    company's unless --team or --rep)."""
    from attain.workflow.delivery.digests import store_inputs
    from attain.workflow.digest import build_digest, render_html, render_markdown

    if team is not None and rep is not None:
        raise InputError("give --team or --rep, not both")
    with store_facts(db, as_of) as found:
        if rep is not None:
            check_rep(found.backend, rep)
        with app_session(app_db, None) as (session, _):
            inputs = store_inputs(found.backend, session, found.settings, report=found.report)
    report, settings = inputs.report, found.settings.workflow
    if team is not None and team not in {r.team_id for r in report.reps}:
        raise InputError(f"no team {team} in the store; `attain report` lists them")
    scope: DigestScope = "team" if team else "rep" if rep else "company"
    digest = build_digest(
        scope,
        team or rep or "company",
        report,
        inputs.findings,
        inputs.wins,
        inputs.goals,
        settings,
    )
    if output_format is Format.JSON:
        text = json.dumps(digest.to_dict(), indent=2, ensure_ascii=False)
    elif output_format is Format.HTML:
        text = render_html(digest)
    else:
        text = render_markdown(digest)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text)
        typer.echo(f"Wrote {output}.")


@alignment_app.command("agenda")
def alignment_agenda_command(
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
) -> None:
    """Topics for the sales–marketing meeting from the alignment findings and channel report."""
    from attain.leads.channels import channel_report
    from attain.workflow.alignment import alignment_agenda

    with store_facts(db, as_of) as found:
        findings = diagnose_store(found).findings
        channels = channel_report(found.backend, found.report.as_of)
    agenda = alignment_agenda(found.report.as_of, findings, channels)
    if output_format is Format.JSON:
        echo_json(agenda.to_dict())
        return
    typer.echo(f"Sales–marketing alignment agenda (as of {agenda.as_of}):")
    if not agenda.topics:
        typer.echo("No alignment findings or channel problems.")
    for number, topic in enumerate(agenda.topics, start=1):
        typer.echo(
            f"{number}. {topic.title}\n   {topic.detail}\n   → {topic.proposed_action} "
            f"({topic.owner})"
        )


@alignment_app.command("add")
def alignment_add_command(
    title: str = typer.Argument(..., help="What was agreed."),
    owner: str = typer.Option(..., "--owner", help="Who does it, as written."),
    due: datetime | None = day_option("--due", "Due date."),
    meeting: datetime | None = typer.Option(
        None, "--meeting", formats=["%Y-%m-%d"], help="Day of the meeting [default: today]."
    ),
    by: str = BY,
    app_db: str | None = APP_DB,
) -> None:
    """Record an action agreed in the alignment meeting."""
    from attain.workflow.actions import AgreedAction
    from attain.workflow.alignment import add_meeting_action

    day = meeting.date() if meeting else date.today()
    with app_session(app_db, by) as (session, _):
        item = add_meeting_action(
            session, day, AgreedAction(title, owner, due.date() if due else None)
        )
        typer.echo(f"Action {item.id}: {item.title} ({item.owner}, due {item.due_date or '—'}).")


@alignment_app.command("actions")
def alignment_actions_command(
    overdue: bool = typer.Option(False, "--overdue", help="Only open actions past due."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    app_db: str | None = APP_DB,
) -> None:
    """Actions agreed in alignment meetings, with owner, due date and status."""
    from attain.workflow.actions import action_rows
    from attain.workflow.alignment import meeting_actions

    today = as_of.date() if as_of else date.today()
    with app_session(app_db, None) as (session, _):
        rows = action_rows(meeting_actions(session, overdue_on=today if overdue else None), today)
    if output_format is Format.JSON:
        echo_json(rows)
        return
    title = "Overdue alignment actions" if overdue else "Alignment actions"
    _print_actions(Console(soft_wrap=True), rows, f"{title} on {today}")


@actions_app.command("done")
def done_command(
    action_id: int = typer.Argument(..., help="The action's id."),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Mark an action done (one `--by` may mark on the web: their own, or their reps')."""
    from attain.access import AccessError, Resource
    from attain.appdb.models import ActionStatus
    from attain.workflow.actions import set_status

    with acting_as(app_db, by) as (session, user):
        scope = writer_scope(user, Resource.COACHING, db, own_records=True)
        try:
            item = set_status(session, action_id, ActionStatus.DONE, scope)
        except AccessError:
            raise InputError(f"no action {action_id}; `attain coaching list` shows them") from None
        typer.echo(f"Action {item.id} done: {item.title}.")
