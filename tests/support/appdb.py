"""App-database helpers for the tests of every layer that stores records (appdb, web, workflow).

- `postgres_url()`: a PostgreSQL server for this test run: ATTAIN_TEST_POSTGRES_URL when set,
  else one that scripts/postgres.sh starts in its own folder and stops when the run ends. If
  the script fails, the error carries its message, so PostgreSQL tests fail rather than skip.
- `app_engine(url)`: an engine on the database at `url`, migrated to the newest schema.
- `fresh_database(server_url, hint)` and `fresh_schema(database_url)`: a new, empty PostgreSQL
  database or schema, dropped afterwards.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from attain.appdb.database import make_engine, upgrade

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
INSTALL_TIMEOUT_S = 900
"""Long enough for the script to apt-get install PostgreSQL on a fresh machine."""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be had for the tests; the message says why."""


_server: dict[str, str | PostgresUnavailable] = {}


def postgres_url() -> str:
    """URL of the test run's PostgreSQL server (its `attain_test` database), started once."""
    if "url" not in _server:
        try:
            _server["url"] = os.environ.get("ATTAIN_TEST_POSTGRES_URL") or start_postgres(SCRIPT)
        except PostgresUnavailable as error:
            _server["url"] = error
    found = _server["url"]
    if isinstance(found, PostgresUnavailable):
        raise found
    return found


def start_postgres(script: Path) -> str:
    """Run the start script with a folder of this process's own, and stop it at exit."""
    folder = f"/tmp/attain-postgres-{os.getuid()}-{os.getpid()}"
    environment = {**os.environ, "ATTAIN_PG_DIR": folder}
    try:
        started = subprocess.run(
            ["bash", str(script)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise PostgresUnavailable(f"{script} did not finish in {error.timeout:.0f} s") from error
    if started.returncode != 0:
        raise PostgresUnavailable(
            f"{script} failed (exit {started.returncode}): "
            f"{started.stderr.strip() or started.stdout.strip() or 'no message'}"
        )
    atexit.register(
        subprocess.run,
        ["bash", str(script), "stop"],
        env=environment,
        capture_output=True,
        check=False,
    )
    return started.stdout.strip().splitlines()[-1]


@contextmanager
def app_engine(url: str) -> Iterator[Engine]:
    """An engine on `url` after migrating it to the newest schema; disposed afterwards."""
    upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def fresh_database(server_url: str, hint: str) -> Iterator[str]:
    """A new empty database on the server of `server_url`, named after `hint`; its URL."""
    name = _identifier(hint)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def fresh_schema(database_url: str) -> Iterator[str]:
    """A new empty schema in the database of `database_url`; a URL whose connections use it."""
    name = _identifier("t")
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        url = make_url(database_url).update_query_dict({"options": f"-csearch_path={name}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        admin.dispose()


def _identifier(hint: str) -> str:
    """A PostgreSQL name from `hint`: lower-case letters, digits and _, plus a random tail."""
    stem = re.sub(r"[^a-z0-9_]+", "_", hint.lower()).strip("_")[:40] or "test"
    return f"{stem}_{secrets.token_hex(4)}"


# Fixtures the app-database suites import into their conftest (one definition for all).


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of the test run's PostgreSQL server; a failure says why there is none."""
    try:
        return postgres_url()
    except PostgresUnavailable as error:
        reason = str(error)
    pytest.fail(f"no PostgreSQL for the tests: {reason}", pytrace=False)


@pytest.fixture(scope="module")
def postgres_database(request: pytest.FixtureRequest, postgres_server: str) -> Iterator[str]:
    """A database of this test module's own on the PostgreSQL server."""
    with fresh_database(postgres_server, request.module.__name__) as url:
        yield url
