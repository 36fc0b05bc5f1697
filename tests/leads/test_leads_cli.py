"""`attain leads train` and `attain leads score` on a small CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from leads_support import synthetic_leads
from typer.testing import CliRunner

from attain.cli.leads import app
from attain.errors import InputError


@pytest.fixture
def leads_csv(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    synthetic_leads(400).drop(columns=["created_at", "converted_at"]).to_csv(
        path, sep=";", index=False
    )
    return path


def test_train_then_score_a_csv(leads_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "leads.model"
    runner = CliRunner()
    trained = runner.invoke(
        app,
        [
            "train",
            "--csv",
            str(leads_csv),
            "--label",
            "converted",
            "--sep",
            ";",
            "--exclude",
            "noise",
            "--model",
            str(model),
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert "ROC AUC" in trained.output and "logistic_regression" in trained.output
    card = json.loads((tmp_path / "leads.model.card.json").read_text())
    assert card["excluded"]["noise"] == "excluded by the user"
    assert card["excluded"]["status"].startswith("leakage")

    scored_path = tmp_path / "scores.csv"
    scored = runner.invoke(
        app,
        [
            "score",
            "--model",
            str(model),
            "--csv",
            str(leads_csv),
            "--sep",
            ";",
            "--output",
            str(scored_path),
        ],
    )
    assert scored.exit_code == 0, scored.output
    scores = pd.read_csv(scored_path)
    assert list(scores.columns) == [
        "lead_id",
        "probability",
        "grade",
        "reason_1",
        "reason_2",
        "reason_3",
    ]
    assert len(scores) == 400
    assert scores["probability"].between(0, 1).all()
    assert set(scores["grade"]) <= {"A", "B", "C", "D"}
    assert scores["reason_1"].str.startswith("engagement=").mean() > 0.5


def test_scoring_a_csv_of_another_schema_is_refused(leads_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "leads.model"
    runner = CliRunner()
    runner.invoke(
        app,
        [
            "train",
            "--csv",
            str(leads_csv),
            "--label",
            "converted",
            "--sep",
            ";",
            "--model",
            str(model),
        ],
    )
    other = tmp_path / "other.csv"
    pd.read_csv(leads_csv, sep=";").drop(columns=["engagement"]).to_csv(other, index=False)
    result = runner.invoke(app, ["score", "--model", str(model), "--csv", str(other)])
    assert isinstance(result.exception, InputError)
    assert "missing columns: engagement" in str(result.exception)
