"""A demo organisation generated once per test session, loaded into DuckDB tables."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from demo_support import Demo

from attain.demo import DemoSpec, generate
from attain.schema import TABLES

SPEC = DemoSpec(reps=60, quarters=4, seed=11)
"""60 selling reps (so every cause is planted on at least two) over four quarters."""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("demo")
    truth = generate(SPEC, path)
    con = duckdb.connect()
    for name in TABLES:
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path / name}.csv', header = true)"
        )
    yield Demo(path=path, truth=truth, con=con)
    con.close()
