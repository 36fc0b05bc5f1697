"""Issue 6 on demo organisations: the backtest ordering at week 6 on three seeds.

Measured (30 reps × 6 quarters, the last 4 quarters backtested, all 12 weeks, 2,000 runs):
week-6 company MAPE of our P50 0.042 / 0.014 / 0.047 on seeds 1–3, weighted pipeline
0.203 / 0.189 / 0.124, run-rate 0.107 / 0.052 / 0.071; P10–P90 coverage 94% / 94% / 90%.
Weeks 2/6/10 and 1,000 runs keep it quick. With 20 reps the company total is small enough for
chance to decide: seed 1 then ties the run-rate (0.059 against 0.057), so the test uses 30.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from forecast_support import demo_history

from attain.forecast.backtest import Backtest, backtest, default_periods
from attain.forecast.settings import ForecastSettings
from attain.reports.forecast import coverage_line

WEEKS = (2, 6, 10)
SETTINGS = ForecastSettings(backtest_simulations=1000)


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def result(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backtest:
    folder: Path = tmp_path_factory.mktemp(f"backtest{request.param}")
    history = demo_history(folder, reps=30, quarters=6, seed=request.param)
    periods = default_periods(history, "UTC", 4)
    assert len(periods) == 4
    return backtest(history, periods, zone="UTC", settings=SETTINGS, weeks=WEEKS)


def test_week_six_p50_beats_the_weighted_pipeline_and_the_run_rate(result: Backtest) -> None:
    week6 = result.score(6)
    assert week6.mape < week6.mape_weighted
    assert week6.mape < week6.mape_run_rate


def test_over_the_quarter_p50_beats_the_run_rate(result: Backtest) -> None:
    ours = np.mean([score.mape for score in result.scores])
    run_rate = np.mean([score.mape_run_rate for score in result.scores])
    assert ours < run_rate


def test_p10_to_p90_covers_between_70_and_95_percent(result: Backtest) -> None:
    assert 0.70 <= result.coverage <= 0.95


def test_a_30_rep_team_is_backtested_with_the_live_forecasts_own_models(result: Backtest) -> None:
    """Too few past deals for one model per quarter: every week fits its own, as live, and the
    coverage line says nothing of quarter models."""
    assert result.quarter_models == []
    assert "one win model was fitted at the first week" not in coverage_line(result)


def test_the_coverage_line_says_which_quarters_reused_one_model(result: Backtest) -> None:
    pooled = replace(result, quarter_models=result.periods[:2])
    line = coverage_line(pooled)
    assert f"In 2 of {len(result.periods)} quarter(s)" in line
    assert "reused for the later weeks" in line
