"""The data's last day on a real Salesforce export (issue 19): a lost deal whose close date was
left in the future must not move the default as-of into the next quarter, where nothing is
booked yet. The export (taken on 2024-01-24) is copied with one lost deal's CloseDate moved
from 2023-10-20 to 2024-05-15; its last real facts are the tasks created on 2024-01-23.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from realdata_support import dataset
from typer.testing import CliRunner

from attain.cli.main import app

pytestmark = pytest.mark.realdata


@pytest.fixture
def store(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    shutil.copytree(dataset("salesforce_datacloud"), export)
    deals = pd.read_csv(export / "Opportunity.csv", dtype=str, keep_default_na=False)
    lost = (deals["StageName"] == "Closed Lost") & (deals["CloseDate"] == "2023-10-20")
    assert lost.sum() == 1
    deals.loc[lost, "CloseDate"] = "2024-05-15"
    deals.to_csv(export / "Opportunity.csv", index=False)
    db = tmp_path / "sf.duckdb"
    args = ["import", str(export), "--preset", "salesforce", "--db", str(db)]
    result = CliRunner().invoke(app, [*args, "--taken-at", "2024-01-24"])
    assert result.exit_code == 0, result.output
    return db


def test_a_future_close_date_does_not_move_the_as_of(store: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--db", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["as_of"] == "2024-01-23"
    assert report["data_through"] == "2024-01-23"
    assert report["period"]["start"] == "2024-01-01"
