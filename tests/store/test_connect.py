"""The store opens from paths and URLs, creates the canonical tables, and fails clearly."""

from pathlib import Path

import pytest

from attain.errors import StoreError
from attain.schema import TABLES
from attain.store import connect, raw_duckdb


def test_a_new_store_has_every_canonical_table_with_its_columns(tmp_path: Path) -> None:
    backend = connect(f"duckdb://{tmp_path / 'a.duckdb'}")
    try:
        for name, spec in TABLES.items():
            assert tuple(backend.table(name).columns) == spec.column_names
    finally:
        backend.disconnect()


def test_reading_a_store_that_does_not_exist_says_to_import_first(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `attain import` first"):
        connect(str(tmp_path / "missing.duckdb"), read_only=True)


def test_unsupported_store_urls_are_refused_with_the_reason() -> None:
    with pytest.raises(StoreError, match="not supported yet"):
        connect("spark://local[*]")


def test_a_memory_limit_is_applied_and_a_bad_one_is_named(tmp_path: Path) -> None:
    backend = connect(str(tmp_path / "m.duckdb"), memory_limit="1GB")
    try:
        (limit,) = raw_duckdb(backend).execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit.replace(" ", "") in ("953.6MiB", "1.0GiB", "1GB")
    finally:
        backend.disconnect()
    with pytest.raises(StoreError, match="memory limit 'lots'"):
        connect(str(tmp_path / "n.duckdb"), memory_limit="lots")
