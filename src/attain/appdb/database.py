"""Where the app database is, how to connect to it, and how its schema is migrated.

SQLite by default (`attain-app.db`); PostgreSQL with `ATTAIN_APP_DB=postgresql+psycopg://…`.
The schema is only ever created by the packaged Alembic migrations, never by
`metadata.create_all`, so every database goes through the same steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from attain.appdb.audit import AuditedSession
from attain.config import Settings
from attain.errors import ConfigError, StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
"""The Alembic script directory, inside the package so an installed wheel can migrate."""

_DRIVERLESS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def app_db_url(settings: Settings, override: str | None = None) -> str:
    """The app database's SQLAlchemy URL: `override` (a --app-db option) or ATTAIN_APP_DB.

    A bare path means a SQLite file; `postgresql://` gets the psycopg 3 driver Attain ships.
    """
    target = (override or settings.app_db).strip()
    if not target:
        raise ConfigError("the app database is empty: set ATTAIN_APP_DB or --app-db")
    if "://" not in target:
        return f"sqlite:///{target}"
    scheme, rest = target.split("://", 1)
    url = f"{_DRIVERLESS.get(scheme, scheme)}://{rest}"
    _parse(url)
    return url


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as error:
        raise ConfigError(
            f"app database {url!r} is not a database URL, e.g. sqlite:///attain-app.db or "
            "postgresql+psycopg://user@host/db"
        ) from error


def display_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    return _parse(url).render_as_string(hide_password=True)


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for the app database.

    SQLite connections enforce foreign keys and use write-ahead logging, so the web app's
    readers never wait for a writer and a commit costs no disk flush (a power cut can lose
    the last commits, never corrupt the file).
    """
    try:
        engine = create_engine(_parse(url), **options)
    except ArgumentError as error:  # an unknown dialect or driver
        raise ConfigError(f"app database {display_url(url)}: {error}") from error
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_FACTORIES: WeakKeyDictionary[Engine, sessionmaker[Session]] = WeakKeyDictionary()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose changes are written to the audit log (see `attain.appdb.audit`).

    One factory per engine: each new `sessionmaker` makes a new session class, whose event
    dispatch SQLAlchemy then builds afresh; a web page opens several sessions, so a factory per
    call cost about a tenth of a warm page's time in the server."""
    found = _FACTORIES.get(engine)
    if found is None:
        found = sessionmaker(bind=engine, class_=AuditedSession, expire_on_commit=False)
        _FACTORIES[engine] = found
    return found


@contextmanager
def session_scope(engine: Engine, user_id: int | None = None) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises.

    `user_id` is who acts: the audit log credits every change in the block to them.
    """
    session = session_factory(engine)()
    session.info["user_id"] = user_id
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the packaged migrations, aimed at `url`.

    The URL travels in `config.attributes`, not the ini options, so a `%` in a password
    needs no escaping.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (default: the newest); idempotent."""
    _run_migrations(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" removes every table)."""
    _run_migrations(url, lambda config: command.downgrade(config, revision))


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        raise _unreachable(url, error) from error
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision the packaged migrations know."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the packaged migrations have no revision"
    return head


def _run_migrations(url: str, step: Any) -> None:
    try:
        step(alembic_config(url))
    except OperationalError as error:
        raise _unreachable(url, error) from error
    except CommandError as error:
        raise ConfigError(f"app database {display_url(url)}: {error}") from error


def _unreachable(url: str, error: OperationalError) -> StoreError:
    reason = str(error.orig or error).strip().splitlines()[0]
    return StoreError(
        f"cannot open the app database {display_url(url)}: {reason} "
        "(check --app-db or ATTAIN_APP_DB)"
    )
