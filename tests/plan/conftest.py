"""App databases for the override tests: a SQLite file or a PostgreSQL schema, made with the
helpers of tests/appdb (the PostgreSQL server is started once per test run)."""

from __future__ import annotations

from tests.support.appdb import postgres_database, postgres_server  # noqa: F401 (fixtures)
