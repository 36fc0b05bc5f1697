"""Every app-database test runs twice: on a SQLite file and on a real PostgreSQL server.

The PostgreSQL server comes from `tests.support.appdb.postgres_url()` (started once per test run);
each test module gets a database of its own and each test an empty schema in it, all dropped
afterwards. Deselect the PostgreSQL half with `-m "not postgres"`; when the server cannot be
started, those tests fail with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.support.appdb import app_engine, fresh_schema, postgres_database, postgres_server  # noqa: F401 (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty app database, never migrated: a SQLite file, or a PostgreSQL
    schema of the test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'attain-app.db'}"
        return
    with fresh_schema(request.getfixturevalue("postgres_database")) as url:
        yield url


@pytest.fixture
def engine(engine_url: str) -> Iterator[Engine]:
    """An engine on an app database migrated to the newest schema."""
    with app_engine(engine_url) as migrated:
        yield migrated
