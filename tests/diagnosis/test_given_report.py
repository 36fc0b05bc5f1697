"""A caller that has the performance report already (the web app caches it) gets the same
diagnosis and funnel without the report being computed again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.diagnosis.context import build_context
from attain.diagnosis.run import diagnose
from attain.diagnosis.stage_leakage import FunnelTable, funnel_table
from attain.ingest.importer import import_files
from attain.metrics.report import performance_report
from attain.store import connect, raw_duckdb


def test_a_given_report_gives_the_same_diagnosis_and_funnel(tmp_path: Path) -> None:
    truth = generate(DemoSpec(reps=30, quarters=4, seed=4), tmp_path)
    backend = connect(str(tmp_path / "store.duckdb"))
    try:
        import_files(raw_duckdb(backend), [tmp_path])
        icp = truth.icp_settings()
        report = performance_report(backend, as_of=truth.as_of)
        computed = diagnose(backend, as_of=truth.as_of, icp=icp)
        given = diagnose(backend, as_of=truth.as_of, icp=icp, report=report)
        funnel = funnel_table(build_context(backend, as_of=truth.as_of, icp=icp))
        given_funnel = funnel_table(
            build_context(backend, as_of=truth.as_of, icp=icp, report=report)
        )
    finally:
        backend.disconnect()
    assert computed.findings and given.findings == computed.findings
    assert given.sellers == computed.sellers and given.window == computed.window
    assert isinstance(funnel, FunnelTable) and isinstance(given_funnel, FunnelTable)
    assert given_funnel.sellers == funnel.sellers and given_funnel.stages == funnel.stages
    pd.testing.assert_frame_equal(given_funnel.rates, funnel.rates)
