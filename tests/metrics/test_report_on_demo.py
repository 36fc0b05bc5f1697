"""Acceptance: on demo organisations, `attain report --format json` flags exactly the reps
planted with ratcheted quotas and with activity drops."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.truth import Truth
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

runner = CliRunner()


@pytest.fixture(scope="module", params=[3, 11])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Truth]:
    """The JSON report of a generated organisation (80 reps, 6 quarters), with its truth."""
    folder = tmp_path_factory.mktemp(f"demo{request.param}")
    truth = generate(DemoSpec(reps=80, quarters=6, seed=request.param), folder)
    backend = connect(str(folder / "store.duckdb"))
    import_files(raw_duckdb(backend), [folder])
    backend.disconnect()
    db = folder / "store.duckdb"
    args = ["report", "--db", str(db), "--as-of", str(truth.as_of), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output), truth


def test_every_planted_ratcheted_quota_is_flagged_and_no_other(demo: Any) -> None:
    report, truth = demo
    flagged = {rep["rep_id"] for rep in report["ratcheted_reps"]}
    assert flagged == set(truth.reps_with("target_setting"))


def test_every_planted_activity_drop_is_flagged_and_no_other(demo: Any) -> None:
    report, truth = demo
    flagged = {warning["rep_id"] for warning in report["early_warnings"]}
    assert flagged == set(truth.reps_with("activity_drop"))


def test_the_report_covers_every_selling_rep_in_the_current_quarter(demo: Any) -> None:
    report, _ = demo
    assert report["period"]["label"] == "2026-Q4"
    paced = {row["id"] for row in report["pacing"] if row["scope"] == "rep"}
    sellers = {rep["rep_id"] for rep in report["reps"] if rep["role"] == "rep"}
    current = {
        row["id"]
        for row in report["attainment"]["rows"]
        if row["scope"] == "rep" and row["period_start"] == "2026-10-01"
    }
    assert paced == current
    assert paced <= sellers
    statuses = {row["status"] for row in report["pacing"]}
    assert statuses <= {"ahead", "on_pace", "behind", "at_risk"}
