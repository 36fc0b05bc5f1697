"""Attain's attainment, channel funnel and follow-up counts equal an independent plain-pandas
computation from the CSV files (the baseline benchmarks/scale.py times Attain against)."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.diagnosis import follow_up
from attain.diagnosis.context import build_context
from attain.ingest.importer import import_files
from attain.leads.channels import channel_report
from attain.metrics.attainment import rep_attainment
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb

BASELINE = Path(__file__).resolve().parents[2] / "benchmarks" / "pandas_baseline.py"


def _baseline() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pandas_baseline", BASELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, ModuleType]:
    """Attain's results and the baseline's on one generated organisation."""
    baseline = _baseline()
    folder = tmp_path_factory.mktemp("org")
    truth = generate(DemoSpec(reps=20, quarters=4, seed=2), folder)
    backend = connect(str(folder / "store.duckdb"))
    import_files(raw_duckdb(backend), [folder])
    ctx = build_context(backend, as_of=truth.as_of, icp=truth.icp_settings())
    ours = baseline.from_attain(
        rep_attainment(backend, quota_targets(backend, "bookings", prorate=False)),
        channel_report(backend, truth.as_of),
        follow_up._owed(ctx),
    )
    theirs = baseline.metrics(baseline.load(folder), truth.as_of, ctx.window, sorted(ctx.sellers))
    backend.disconnect()
    return ours, theirs, baseline


def test_attain_and_plain_pandas_give_the_same_numbers(both: Any) -> None:
    ours, theirs, baseline = both

    assert baseline.differences(ours, theirs) == []
    assert len(ours.attainment) > 50 and ours.attainment["actual"].sum() > 0
    assert len(ours.channels) > 10 and ours.channels["won"].sum() > 0
    assert len(ours.follow_up) > 10 and ours.follow_up["overdue"].sum() > 0


def test_the_comparison_notices_one_changed_number(both: Any) -> None:
    ours, theirs, baseline = both
    changed = theirs.channels.copy()
    changed.iloc[0, changed.columns.get_loc("mqls")] += 1

    found = baseline.differences(ours, dataclasses.replace(theirs, channels=changed))

    assert len(found) == 1 and found[0].startswith("channels:")
