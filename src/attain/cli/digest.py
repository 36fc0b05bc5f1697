"""`attain digest`: the weekly digest on screen (as before), and its delivery: `send` what is
due (or everything `--now`), each user's `schedule`, and the `alerts` they subscribe to
(see docs/workflow.md, The week)."""

from __future__ import annotations

import functools
import inspect
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from attain.appdb.kinds import AlertKind, Channel
from attain.cli import coaching
from attain.cli.options import DB, app_session, opened_store
from attain.cli.users import APP_DB
from attain.errors import AttainError

if TYPE_CHECKING:
    from attain.workflow.delivery.sender import RunReport


def _unless_subcommand(command: Callable[..., None]) -> Callable[..., None]:
    """`command` as the group's callback: it runs only when no subcommand is named, so
    `attain digest --team T` keeps showing a digest."""

    @functools.wraps(command)
    def run(ctx: typer.Context, **options: Any) -> None:
        if ctx.invoked_subcommand is None:
            command(**options)

    own = inspect.signature(command, eval_str=True)
    context = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )
    run.__signature__ = own.replace(  # type: ignore[attr-defined]
        parameters=[context, *own.parameters.values()]
    )
    return run


app = typer.Typer(
    help="The weekly digest, and its delivery by e-mail and chat on each user's schedule.",
)
app.callback(invoke_without_command=True)(_unless_subcommand(coaching.digest_command))

USER = typer.Option(..., "--user", help="The Attain user (e-mail address).")
CHANNEL = typer.Option(
    Channel.EMAIL, "--channel", help="email, slack (incoming webhook) or teams (Workflows)."
)
WEBHOOK = typer.Option(
    "", "--webhook", help="The Slack or Teams webhook's https:// address (chat channels)."
)


@app.command("send")
def send_command(
    to: str | None = typer.Option(None, "--to", help="Only this user's (e-mail address)."),
    now: bool = typer.Option(
        False,
        "--now",
        help="Send each user's digests now on each of their channels (e-mail when they have "
        "no schedule), not only those due; once per data version and channel.",
    ),
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Send the digests that are due and the alerts of a new data version, as `attain serve`
    does every \\[delivery] poll_seconds; nothing already sent is sent again."""
    from attain.appdb.database import app_db_url, make_engine, upgrade
    from attain.config import load_settings
    from attain.workflow.delivery.sender import Sender

    settings = load_settings()
    url = app_db_url(settings, app_db)
    upgrade(url)
    engine = make_engine(url)
    holder = f"cli:{socket.gethostname()}:{os.getpid()}"
    try:
        sender = Sender(
            engine, settings, functools.partial(opened_store, db, read_only=True), holder
        )
        report = sender.send_now(to) if now else sender.run(only=to)
    finally:
        engine.dispose()
    _echo(report)


def _echo(report: RunReport) -> None:
    if not report.lease:
        typer.echo("Another process holds the sender lease (attain serve?); nothing sent.")
        return
    typer.echo(
        f"Sent {len(report.sent)}, already sent {len(report.already)}, "
        f"failed {len(report.failed)}; {report.alerts} change(s) found since the last data version."
    )
    for key in report.sent:
        typer.echo(f"  sent {key}")
    for key, reason in report.failed:
        typer.echo(f"  failed {key}: {reason}")
    if report.failed:
        raise AttainError(f"{len(report.failed)} message(s) failed; they are tried on the next run")


@app.command("schedule")
def schedule_command(
    user: str = USER,
    channel: Channel = CHANNEL,
    webhook: str = WEBHOOK,
    weekday: str = typer.Option("Monday", "--weekday", help="Day of the week it goes out."),
    at: str = typer.Option("08:00", "--at", help="Time of day HH:MM on the user's clock."),
    time_zone: str = typer.Option(
        "UTC", "--time-zone", help="The user's IANA time zone, e.g. Europe/Paris."
    ),
    off: bool = typer.Option(False, "--off", help="Stop this channel's digest."),
    app_db: str | None = APP_DB,
) -> None:
    """Set when and where a user's weekly digest goes (default Monday 08:00 by e-mail)."""
    from attain.appdb.users import get_user
    from attain.workflow.delivery.schedule import WEEKDAYS, parse_clock, parse_weekday, set_schedule

    day = parse_weekday(weekday)
    hour, minute = parse_clock(at)
    with app_session(app_db) as (session, _):
        schedule = set_schedule(
            session,
            get_user(session, user).id,
            channel,
            now=datetime.now(UTC),
            weekday=day,
            hour=hour,
            minute=minute,
            time_zone=time_zone,
            webhook_url=webhook,
            enabled=not off,
        )
        next_at = schedule.next_run_at
    if next_at is None:
        typer.echo(f"{user}'s {channel} digest is off.")
    else:
        typer.echo(
            f"{user}'s digest goes by {channel} every {WEEKDAYS[day]} at {hour:02d}:{minute:02d} "
            f"{time_zone}; next {next_at:%Y-%m-%d %H:%M} UTC."
        )


@app.command("alerts")
def alerts_command(
    user: str = USER,
    kind: list[AlertKind] = typer.Option(
        [], "--kind", help="An alert to get (repeatable); none: every kind."
    ),
    channel: Channel = CHANNEL,
    webhook: str = WEBHOOK,
    off: bool = typer.Option(False, "--off", help="Stop these alerts instead."),
    app_db: str | None = APP_DB,
) -> None:
    """Choose which alerts on change a user gets, and where."""
    from sqlalchemy import delete

    from attain.appdb.delivery import AlertSubscription
    from attain.appdb.users import get_user
    from attain.workflow.delivery.schedule import check_webhook

    kinds = kind or list(AlertKind)
    check_webhook(channel, webhook)
    with app_session(app_db) as (session, _):
        found = get_user(session, user)
        session.execute(
            delete(AlertSubscription).where(
                AlertSubscription.user_id == found.id,
                AlertSubscription.channel == channel,
                AlertSubscription.kind.in_(kinds),
            )
        )
        if not off:
            session.add_all(
                AlertSubscription(user_id=found.id, kind=k, channel=channel, webhook_url=webhook)
                for k in kinds
            )
    names = ", ".join(k.value for k in kinds)
    typer.echo(f"{user} {'no longer gets' if off else 'gets'} {names} by {channel}.")
