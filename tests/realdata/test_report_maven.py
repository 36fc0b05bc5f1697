"""`attain report` runs end to end on the Maven CRM sample, which has no quotas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from realdata_support import imported
from typer.testing import CliRunner

from attain.cli.main import app

pytestmark = pytest.mark.realdata
runner = CliRunner()


@pytest.fixture(scope="module")
def maven_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported(tmp_path_factory.mktemp("maven"), "maven_crm", "maven")


def report(db: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["report", "--db", str(db), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def test_without_quotas_the_report_says_so_and_still_shows_bookings_and_win_rates(
    maven_db: Path,
) -> None:
    parsed = report(maven_db)
    assert parsed["as_of"] == "2017-12-31"  # the data ends there
    assert any("no bookings quotas" in note for note in parsed["notes"])
    assert {skip["section"] for skip in parsed["skipped"]} >= {"attainment", "classification"}
    sales = parsed["sales"]
    assert len(sales) >= 20
    assert all(0 <= row["win_rate"] <= 1 for row in sales if row["win_rate"] is not None)
    assert sum(row["bookings"] for row in sales) > 0


def test_with_a_flat_target_reps_are_paced_and_classified(maven_db: Path) -> None:
    parsed = report(maven_db, "--target", "150000")
    assert parsed["target_source"] == "flat target of 150,000 per rep per quarter"
    company = [row for row in parsed["pacing"] if row["scope"] == "company"]
    assert company and company[0]["target"] > 0
    classes = {row["performance_class"] for row in parsed["classification"]}
    assert classes <= {"top_performer", "performer", "under_performer", "new"}
    assert len(parsed["classification"]) >= 30
