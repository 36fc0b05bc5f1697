"""A demo organisation shared by the lead tests that need realistic history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from leads_support import Demo

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder: Path = tmp_path_factory.mktemp("leads_demo")
    truth = generate(DemoSpec(reps=60, quarters=4, seed=1), folder)
    backend = connect(str(folder / "store.duckdb"))
    import_files(raw_duckdb(backend), [folder])
    yield Demo(backend, truth)
    backend.disconnect()
