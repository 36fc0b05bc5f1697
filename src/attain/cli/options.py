"""Options and store helpers shared by several commands: the store and app database, the
day, the output, and for the management-workflow commands (`attain coaching`, `digest`,
`alignment`, `actions`, `program`, `skills`, `ramp`, `products`, `comp`) who acts and as whom."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from attain.errors import InputError
from attain.reports.formats import Format

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from attain.access import Resource, Visibility
    from attain.appdb.models import User
    from attain.config import Settings
    from attain.diagnosis.finding import Diagnosis
    from attain.forecast.forecast import Overrides
    from attain.metrics.report import PerformanceReport
    from attain.store.handle import Store


def command_group(help: str) -> typer.Typer:
    """A command with subcommands (`attain program start`, ...): run bare, it shows its help."""
    return typer.Typer(help=help, no_args_is_help=True)


def optional_option(*flags: str, help: str, **more: Any) -> Any:
    """An option that may be left out: `help` says what its absence means, so Typer's
    "[default: None]" is not shown (`more`: Typer's other settings, such as `metavar`)."""
    return typer.Option(None, *flags, help=help, show_default=False, **more)


DB = optional_option(
    "--db",
    help="Store: DuckDB path, postgresql:// or spark:// URL "
    "\\[default: $ATTAIN_DB or attain.duckdb].",
)


def day_option(flag: str, help: str) -> Any:
    """An optional YYYY-MM-DD option such as --as-of; `help` says what its absence means."""
    return optional_option(flag, help=help, formats=["%Y-%m-%d"])


AS_OF = day_option(
    "--as-of", "As of this day \\[default: the data's last day, shown as 'data through D']."
)
TARGET = optional_option(
    "--target", min=0, help="Quarterly bookings target per selling rep, for data without quotas."
)
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of the terminal.")


def open_store(
    db: str | None, *, read_only: bool = False, as_of: datetime | date | None = None
) -> tuple[Store, str]:
    """The store backend and its name: --db if given, else ATTAIN_DB, attain.toml, attain.duckdb.

    With `as_of`, open deals in other currencies convert at that day's rate (default today)."""
    from attain.config import load_settings
    from attain.store import connect

    settings = load_settings()
    target = db or settings.db
    backend = connect(
        target,
        read_only=read_only,
        memory_limit=settings.memory_limit,
        currency=settings.currency,
    )
    backend.open_deals_day = as_of.date() if isinstance(as_of, datetime) else as_of
    # A command imports its modules when it runs (attain starts without them); by the time it
    # opens the store they are in, and frozen, the cyclic garbage collector stops rescanning
    # their objects (see attain.cli.main.main and docs/scaling.md).
    gc.freeze()
    return backend, target


@contextmanager
def opened_store(
    db: str | None, *, read_only: bool = False, as_of: datetime | date | None = None
) -> Iterator[Store]:
    """The store backend as `open_store` opens it, closed when the block ends."""
    backend, _ = open_store(db, read_only=read_only, as_of=as_of)
    try:
        yield backend
    finally:
        backend.disconnect()


def read_overrides(app_db: str | None) -> Overrides:
    """The live overrides; none when the app database is a SQLite file not yet created."""
    from attain.config import load_settings
    from attain.forecast.forecast import Overrides

    settings = load_settings()
    if _sqlite_file_missing((app_db or settings.app_db).strip()):
        return Overrides()  # known without loading SQLAlchemy and Alembic (0.5 s)
    from sqlalchemy.engine import make_url

    from attain.appdb.database import app_db_url
    from attain.plan.overrides import live_overrides

    url = app_db_url(settings, app_db)
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database
        if not database or database == ":memory:" or not Path(database).exists():
            return Overrides()
    with app_session(app_db) as (session, _):
        return live_overrides(session)


def _sqlite_file_missing(target: str) -> bool:
    """Whether the app database `target` (a --app-db or ATTAIN_APP_DB) is plainly a SQLite
    file that does not exist: a bare path or sqlite:///path, with no query; other URLs are
    left to SQLAlchemy."""
    path = target.removeprefix("sqlite:///") if target.startswith("sqlite:///") else target
    if not path or "://" in path or "?" in path:
        return False
    return path == ":memory:" or not Path(path).exists()


@contextmanager
def app_session(
    app_db: str | None, email: str | None = None
) -> Iterator[tuple[Session, User | None]]:
    """A session on the app database (migrated to the newest schema first), acting as the user
    with e-mail `email` when given: the one way every command opens the app database."""
    from attain.appdb.database import app_db_url, make_engine, session_scope, upgrade
    from attain.appdb.users import get_user
    from attain.config import load_settings

    url = app_db_url(load_settings(), app_db)
    upgrade(url)
    engine = make_engine(url)
    try:
        user = None
        if email is not None:
            with session_scope(engine) as lookup:
                user = get_user(lookup, email)
                lookup.expunge(user)
        with session_scope(engine, user_id=user.id if user else None) as session:
            if user is not None:
                user = session.merge(user)
            yield session, user
    finally:
        engine.dispose()


@contextmanager
def acting_as(app_db: str | None, email: str) -> Iterator[tuple[Session, User]]:
    """`app_session` acting as the user with e-mail `email` (a command's `--by`): what the
    session changes is credited to them in the audit log."""
    with app_session(app_db, email) as (session, user):
        assert user is not None  # app_session finds the user of a given e-mail, or raises
        yield session, user


TextOrJson = Literal[Format.TEXT, Format.JSON]
"""The output formats of the management-workflow commands' tables."""

BY = typer.Option(
    ..., "--by", help="E-mail of the Attain user doing this (credited in the audit log)."
)
AS_USER = optional_option(
    "--as-user", help="Show only what this Attain user may see (a rep sees only their own records)."
)
FORMAT = typer.Option(Format.TEXT, "--format", "-f", help="Output format.")
"""`--format text|json` of the management-workflow commands (with `TextOrJson`)."""


def user_visibility(session: Session, backend: Store, email: str | None) -> Visibility | None:
    """What the Attain user `email` may see of coaching records (None: everything)."""
    from attain.access import AccessError, coaching_visibility
    from attain.appdb.users import get_user
    from attain.metrics.targets import roster_entries

    if email is None:
        return None
    user = get_user(session, email)
    teams = {entry.rep_id: entry.team_id for entry in roster_entries(backend)}
    try:
        return coaching_visibility(user, teams)
    except AccessError as error:
        raise InputError(f"{email} may not see coaching records: {error}") from error


def writer_scope(
    user: User, resource: Resource, db: str | None, *, own_records: bool = False
) -> Visibility | None:
    """Which reps `--by` may write `resource` about, by the web app's rules (attain.access):
    None for an admin (every rep; no store is opened); otherwise the reps of their teams, or
    themselves, read from the store `db`. InputError when the role may not write `resource`
    at all, unless `own_records` (marking one's own action done). A consistency check for
    operators, not a security boundary: whoever runs the CLI already holds the databases."""
    from attain.access import AccessError, can_write, principal, visibility_for
    from attain.appdb.models import Role
    from attain.metrics.targets import roster_entries

    if user.role is Role.ADMIN:
        return None
    acting = principal(user)
    if not own_records and not can_write(acting, resource):
        raise InputError(f"{user.email} is a {user.role}: the role cannot change {resource}")
    with opened_store(db, read_only=True) as backend:
        teams = {entry.rep_id: entry.team_id for entry in roster_entries(backend)}
    try:
        return visibility_for(acting, resource, teams)
    except AccessError as error:
        raise InputError(f"{user.email}: {error}") from error


@dataclass
class StoreFacts:
    """The settings, the open store and its performance report, for one command."""

    settings: Settings
    backend: Store
    report: PerformanceReport


@contextmanager
def store_facts(db: str | None, as_of: datetime | None) -> Iterator[StoreFacts]:
    """Open the store read-only with its performance report as of `as_of`; closed on exit."""
    from attain.config import load_settings
    from attain.metrics.report import performance_report

    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        report = performance_report(
            backend, settings.performance, as_of=as_of.date() if as_of else None
        )
        yield StoreFacts(settings, backend, report)


def diagnose_store(found: StoreFacts, rep: str | None = None) -> Diagnosis:
    """The diagnosis of the store (or one rep) with the configured thresholds."""
    from attain.diagnosis.run import diagnose

    s = found.settings
    return diagnose(
        found.backend,
        as_of=found.report.as_of,
        performance=s.performance,
        icp=s.icp,
        thresholds=s.diagnosis,
        rep=rep,
    )


def check_rep(backend: Store, rep: str) -> None:
    """Refuse a rep id the store does not know, with a clear message."""
    from attain.metrics.targets import rep_roster

    if rep not in set(rep_roster(backend)["rep_id"].astype(str)):
        raise InputError(f"no rep {rep} in the store; `attain report` lists them")


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON (dates and decimals as text)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def json_or_empty(rows: Sequence[Any], output_format: Format, empty: str | None = None) -> bool:
    """Answer with `rows` as JSON (each row's `to_dict()`) when JSON is asked for, or with
    `empty` when there are no rows; True when that was the answer and no table should follow."""
    if output_format is Format.JSON:
        echo_json([row.to_dict() for row in rows])
        return True
    if not rows and empty is not None:
        typer.echo(empty)
        return True
    return False
