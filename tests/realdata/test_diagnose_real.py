"""`attain diagnose` runs on the Maven and Olist samples and names what it could not check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from realdata_support import imported
from typer.testing import CliRunner

from attain.cli.main import app
from attain.diagnosis.finding import CAUSES

pytestmark = pytest.mark.realdata
runner = CliRunner()


def diagnosed(db: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["diagnose", "--db", str(db), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def test_maven_runs_and_says_which_causes_it_lacks_data_for(tmp_path: Path) -> None:
    parsed = diagnosed(imported(tmp_path, "maven_crm", "maven"), "--target", "150000")
    skipped = {skip["cause"]: skip["reason"] for skip in parsed["skipped"]}
    # Maven has no leads, activities, stage history, coaching or quotas.
    assert {"lead_warming", "follow_up", "coaching", "stage_leakage"} <= set(skipped)
    assert all(reason for reason in skipped.values())
    checked = set(CAUSES) - set(skipped)
    assert {f["cause"] for f in parsed["findings"]} <= checked
    assert parsed["as_of"] == "2017-12-31"


def test_olist_runs_and_says_which_causes_it_lacks_data_for(tmp_path: Path) -> None:
    parsed = diagnosed(imported(tmp_path, "olist_marketing_funnel", "olist"))
    skipped = {skip["cause"] for skip in parsed["skipped"]}
    assert {"follow_up", "coaching", "stage_leakage", "activity_drop"} <= skipped
    for finding in parsed["findings"]:
        assert finding["cause"] not in skipped
        assert finding["explanation"] and finding["questions"]
