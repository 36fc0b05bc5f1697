"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from attain.appdb.database import app_db_url, make_engine, session_scope, upgrade
from attain.appdb.models import User
from attain.appdb.users import get_user
from attain.config import load_settings
from attain.forecast.forecast import Overrides
from attain.plan.overrides import live_overrides
from attain.store import connect

DB = typer.Option(
    None,
    "--db",
    help="Store: DuckDB path, postgresql:// or spark:// URL "
    "\\[default: $ATTAIN_DB or attain.duckdb].",
    show_default=False,
)


AS_OF = typer.Option(
    None,
    "--as-of",
    formats=["%Y-%m-%d"],
    help="As of this day \\[default: the data's last day, shown as 'data through D'].",
    show_default=False,
)
TARGET = typer.Option(
    None,
    "--target",
    min=0,
    help="Quarterly bookings target per selling rep, for data without quotas.",
    show_default=False,
)
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of the terminal.")


def open_store(
    db: str | None, *, read_only: bool = False, as_of: datetime | date | None = None
) -> tuple[Any, str]:
    """The store backend and its name: --db if given, else ATTAIN_DB, attain.toml, attain.duckdb.

    With `as_of`, open deals in other currencies convert at that day's rate (default today)."""
    settings = load_settings()
    target = db or settings.db
    backend = connect(
        target,
        read_only=read_only,
        memory_limit=settings.memory_limit,
        currency=settings.currency,
    )
    backend.open_deals_day = as_of.date() if isinstance(as_of, datetime) else as_of
    return backend, target


def read_overrides(app_db: str | None) -> Overrides:
    """The live overrides; none when the app database is a SQLite file not yet created."""
    url = app_db_url(load_settings(), app_db)
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database
        if not database or database == ":memory:" or not Path(database).exists():
            return Overrides()
    with app_session(app_db) as (session, _):
        return live_overrides(session)


@contextmanager
def app_session(
    app_db: str | None, email: str | None = None
) -> Iterator[tuple[Session, User | None]]:
    """A session on the app database (migrated to the newest schema first), acting as the user
    with e-mail `email` when given: the one way every command opens the app database."""
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
