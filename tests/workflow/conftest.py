"""App databases (SQLite and PostgreSQL, as in tests/appdb) and one small demo organisation
shared by the workflow tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from workflow_support import Demo

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb
from tests.support.appdb import app_engine, fresh_schema, postgres_database, postgres_server  # noqa: F401 (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated app database: a SQLite file, or a PostgreSQL schema of the test's own."""
    if request.param == "sqlite":
        with app_engine(f"sqlite:///{tmp_path / 'attain-app.db'}") as migrated:
            yield migrated
        return
    with (
        fresh_schema(request.getfixturevalue("postgres_database")) as url,
        app_engine(url) as migrated,
    ):
        yield migrated


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """40 reps over 5 quarters (seed 2), every cause planted on 10% of eligible sellers."""
    folder = tmp_path_factory.mktemp("workflow-demo")
    truth = generate(DemoSpec(reps=40, quarters=5, seed=2, plant_share=0.1), folder)
    store = folder / "store.duckdb"
    backend = connect(str(store))
    try:
        import_files(raw_duckdb(backend), [folder])
    finally:
        backend.disconnect()
    return Demo(store, truth)
