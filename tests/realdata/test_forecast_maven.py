"""Issue 6 acceptance on Maven's CRM sample: the backtest of every complete quarter.

At week 6 our P50's company MAPE must beat the weighted pipeline and the run-rate, and the
actual must fall inside P10–P90 in 70–95% of the quarter × week forecasts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realdata_support import imported
from typer.testing import CliRunner

from attain.cli.main import app
from attain.forecast.backtest import Backtest, backtest, default_periods
from attain.forecast.history import load_history
from attain.forecast.settings import ForecastSettings
from attain.store import connect

pytestmark = pytest.mark.realdata
runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported(tmp_path_factory.mktemp("maven_forecast"), "maven_crm", "maven")


@pytest.fixture(scope="module")
def result(store: Path) -> Backtest:
    backend = connect(str(store), read_only=True)
    try:
        history = load_history(backend)
    finally:
        backend.disconnect()
    periods = default_periods(history, "UTC", None)
    return backtest(history, periods, zone="UTC", settings=ForecastSettings())


def test_complete_quarters_after_a_quarter_of_outcomes_are_backtested(result: Backtest) -> None:
    # closes start 2017-03-01: Q2 has one month of outcomes behind it, Q3 and Q4 a full quarter
    assert result.periods == ["2017-Q3", "2017-Q4"]
    assert len([p for p in result.points if p.scope == "company"]) == 24


def test_week_six_p50_beats_weighted_pipeline_and_run_rate(result: Backtest) -> None:
    week6 = result.score(6)
    assert week6.mape < week6.mape_weighted
    assert week6.mape < week6.mape_run_rate


def test_p10_to_p90_covers_between_70_and_95_percent(result: Backtest) -> None:
    assert 0.70 <= result.coverage <= 0.95


def test_backtest_command_prints_the_week_table(store: Path) -> None:
    """The CLI runs the same backtest (one week keeps it quick)."""
    shown = runner.invoke(app, ["forecast", "backtest", "--db", str(store), "--weeks", "6"])
    assert shown.exit_code == 0, shown.output
    assert "2017-Q3, 2017-Q4" in shown.output
    assert "MAPE" in shown.output
    # Two quarters: reported, and said to be too few (issue 20).
    assert "Only 2 quarter(s) back these figures: fewer than 4" in " ".join(shown.output.split())
