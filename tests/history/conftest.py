"""The hand-built history store (history_support.py), built once per module that asks."""

from __future__ import annotations

import pytest
from history_support import build_store


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The store of three weekly data versions described in history_support.py."""
    return build_store(tmp_path_factory.mktemp("history") / "store.duckdb")
