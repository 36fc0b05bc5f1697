"""`attain demo generate` writes the files, shows a summary and reports mistakes in one line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from attain.cli.main import app

runner = CliRunner()


def test_generate_writes_the_files_and_a_summary_table(tmp_path: Path) -> None:
    out = tmp_path / "org"
    args = ["--reps", "12", "--quarters", "2", "--seed", "3", "--as-of", "2026-06-10"]
    result = runner.invoke(app, ["demo", "generate", *args, "--plant", "coaching=R0002", str(out)])
    assert result.exit_code == 0, result.output
    assert "activities.csv" in result.output and "total" in result.output
    truth = json.loads((out / "truth.json").read_text())
    assert truth["as_of"] == "2026-06-10"
    assert {"rep_id": "R0002", "cause": "coaching"} in [
        {"rep_id": p["rep_id"], "cause": p["cause"]} for p in truth["planted"]
    ]


def test_help_documents_every_option() -> None:
    result = runner.invoke(app, ["demo", "generate", "--help"])
    assert result.exit_code == 0
    for option in ("--reps", "--quarters", "--seed", "--as-of", "--plant", "--plant-share"):
        assert option in result.output


def test_a_malformed_plant_is_an_actionable_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "generate", "--reps", "12", "--plant", "coaching", str(tmp_path)]
    )
    assert "CAUSE=REP_ID" in str(result.exception)
    result = runner.invoke(
        app, ["demo", "generate", "--reps", "12", "--as-of", "13/11/2026", str(tmp_path)]
    )
    assert "not a date" in str(result.exception)
