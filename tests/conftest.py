"""Shared fixtures: hand-built CRM files and fresh stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from attain.store import connect, raw_duckdb


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """A new, empty DuckDB store in a temporary folder (an Ibis backend)."""
    backend = connect(str(tmp_path / "store.duckdb"))
    yield backend
    backend.disconnect()


@pytest.fixture
def con(store: Any) -> duckdb.DuckDBPyConnection:
    """The raw DuckDB connection of the `store` fixture."""
    return raw_duckdb(store)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write CSV text (header first) to a file under a folder of the temporary directory."""

    def write(name: str, text: str, folder: str = "in") -> Path:
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.strip() + "\n")
        return path

    return write
