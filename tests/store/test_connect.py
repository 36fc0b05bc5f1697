"""The store opens from paths and URLs, creates the canonical tables, and fails clearly."""

from pathlib import Path

import pytest

from attain.errors import StoreError
from attain.schema import TABLES
from attain.store import connect, raw_duckdb
from attain.store.dialects import Target, parse_target, postgres_url


def test_a_new_store_has_every_canonical_table_with_its_columns(tmp_path: Path) -> None:
    backend = connect(f"duckdb://{tmp_path / 'a.duckdb'}")
    try:
        for name, spec in TABLES.items():
            assert tuple(backend.stored_table(name).columns) == spec.column_names
    finally:
        backend.disconnect()


def test_each_table_is_looked_up_once_per_connection(tmp_path: Path) -> None:
    backend = connect(str(tmp_path / "a.duckdb"))
    try:
        leads = backend.table("leads")
        assert backend.table("leads") is leads
        assert backend.table("quotas") is not leads
    finally:
        backend.disconnect()


def test_reading_a_store_that_does_not_exist_says_to_import_first(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `attain import` first"):
        connect(str(tmp_path / "missing.duckdb"), read_only=True)


def test_unknown_store_urls_are_refused_with_the_supported_ones() -> None:
    with pytest.raises(StoreError, match=r"unknown store URL; use a DuckDB path, postgresql"):
        connect("mysql://attain@localhost/attain")


@pytest.mark.parametrize(
    ("db", "kind", "location"),
    [
        ("attain.duckdb", "duckdb", "attain.duckdb"),
        ("duckdb:///data/a.duckdb", "duckdb", "/data/a.duckdb"),
        ("postgresql+psycopg://u@h:5/d", "postgres", "postgresql+psycopg://u@h:5/d"),
        ("spark://local[*]", "spark", "spark://local[*]"),
        ("sc://spark-host:15002", "spark", "sc://spark-host:15002"),
    ],
)
def test_a_store_url_names_its_backend(db: str, kind: str, location: str) -> None:
    assert parse_target(db) == Target(kind, location)


def test_sqlalchemy_postgres_urls_become_ibis_urls() -> None:
    assert postgres_url("postgresql+psycopg://a:b@h:5432/d") == "postgres://a:b@h:5432/d"


def test_a_memory_limit_is_applied_and_a_bad_one_is_named(tmp_path: Path) -> None:
    backend = connect(str(tmp_path / "m.duckdb"), memory_limit="1GB")
    try:
        (limit,) = raw_duckdb(backend).execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit.replace(" ", "") in ("953.6MiB", "1.0GiB", "1GB")
    finally:
        backend.disconnect()
    with pytest.raises(StoreError, match="memory limit 'lots'"):
        connect(str(tmp_path / "n.duckdb"), memory_limit="lots")
