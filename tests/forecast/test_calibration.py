"""Bands calibrated on the organisation's own backtest (attain.forecast.calibration).

Nine earlier quarters at week 4, each forecast P10 90, P50 100, P90 110 with a run-rate of 100:
seven closed at 100 (inside: score max(90 − 100, 100 − 110) ÷ 100 = −0.1), one at 130 (score
(130 − 110) ÷ 100 = 0.2) and one at 150 (0.4). The ⌈(9 + 1) × 0.8⌉ = 8th smallest score is
0.2, so a new forecast of P10 90 / P50 100 / P90 110 becomes 70 / 100 / 130.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from forecast_support import NO_STAGES

from attain.forecast.backtest import BacktestPoint, backtest, complete_periods
from attain.forecast.calibration import (
    THIN_HISTORY_WIDEN,
    calibrate,
    calibrated_band,
    calibrated_points,
    chance_at_least,
)
from attain.forecast.history import make_history
from attain.forecast.settings import ForecastSettings


def point(
    period: str,
    actual: float,
    *,
    scope: str = "company",
    id: str = "company",
    p50: float = 100.0,
    run_rate: float = 100.0,
    week: int = 4,
) -> BacktestPoint:
    return BacktestPoint(
        period=period,
        week=week,
        as_of=date(2020, 1, 28),
        scope=scope,
        id=id,
        actual=actual,
        booked=0.0,
        p10=p50 * 0.9,
        p50=p50,
        p90=p50 * 1.1,
        mean=p50,
        weighted_pipeline=p50,
        run_rate=run_rate,
    )


NINE = [
    point(f"20{10 + i}-Q1", actual)
    for i, actual in enumerate([100, 100, 100, 130, 100, 100, 150, 100, 100])
]


def test_the_band_widens_by_the_conformal_rank_of_the_earlier_misses() -> None:
    found = calibrate(NINE, "company", 4)
    assert (found.quarters, found.points, found.thin) == (9, 9, False)
    assert found.widen == pytest.approx(0.2)
    band = calibrated_band(
        found, booked=0.0, p10=90.0, p50=100.0, p90=110.0, run_rate=100.0, pool=100.0
    )
    assert band == pytest.approx((70.0, 100.0, 130.0))


def test_a_band_that_held_too_often_narrows() -> None:
    """Every actual at the P50: the 8th smallest of nine −0.1 scores narrows each side by 10."""
    found = calibrate([point(f"20{10 + i}-Q1", 100.0) for i in range(9)], "company", 4)
    assert found.widen == pytest.approx(-0.1)
    band = calibrated_band(
        found, booked=0.0, p10=90.0, p50=100.0, p90=110.0, run_rate=100.0, pool=100.0
    )
    assert band == pytest.approx((100.0, 100.0, 100.0))


def test_the_method_with_the_lower_error_centres_the_band_and_is_named() -> None:
    """The model said 100 where 80 closed; the run-rate said 80: the run-rate is chosen."""
    points = [point(f"20{10 + i}-Q1", 80.0, run_rate=80.0) for i in range(5)]
    found = calibrate(points, "company", 4)
    assert found.method == "run_rate" and found.error == pytest.approx(0.0)
    assert found.errors["model"] == pytest.approx(0.25)
    assert "the run-rate, backtested error 0% over 5 earlier quarter(s)" in found.line()
    low, middle, high = calibrated_band(
        found, booked=10.0, p10=90.0, p50=100.0, p90=110.0, run_rate=70.0, pool=100.0
    )
    assert middle == 70.0 and low <= 70.0 <= high


def test_thin_history_widens_by_the_documented_least_and_says_so() -> None:
    found = calibrate(NINE[:2], "company", 4)
    # Both closed at the P50 (score −0.1, the largest of two); two of four quarters missing.
    assert found.thin and found.widen == pytest.approx(-0.1 + THIN_HISTORY_WIDEN * 2 / 4)
    assert found.thin_widen == pytest.approx(THIN_HISTORY_WIDEN * 2 / 4)
    assert "fewer than 4 quarters: too few to trust, so widened further" in found.line()
    nothing = calibrate([], "company", 4)
    assert nothing.widen == THIN_HISTORY_WIDEN and "no earlier quarter" in nothing.line()
    assert calibrate(NINE, "company", 4).thin_widen == 0.0


def test_a_quarter_that_is_over_is_not_widened_for_thin_history() -> None:
    """A closed quarter (the Maven sample's 2017-Q4 as of its last day: 2.80 M booked, no open
    deal able to close) showed a P90 of 3.33 M: the thin-history widening on a quarter over."""
    over = calibrate([], "company", 14).over()
    assert over.widen == 0.0 and over.thin_widen == 0.0
    assert over.line().endswith("the band is the model's, not widened: the quarter is over")
    assert (
        "the quarter is over: not widened for them"
        in calibrate(NINE[:2], "company", 4).over().line()
    )
    assert calibrated_band(over, booked=2.8, p10=2.8, p50=2.8, p90=2.8, run_rate=2.8, pool=2.0) == (
        2.8,
        2.8,
        2.8,
    )
    # The conformal part, measured on earlier quarters, stands; a calibration with enough
    # quarters is the same either way.
    assert calibrate(NINE[:2], "company", 4).over().widen == pytest.approx(-0.1)
    assert calibrate(NINE, "company", 4).over() == replace(
        calibrate(NINE, "company", 4), quarter_over=True
    )


def test_backtest_points_as_of_a_quarters_last_day_are_not_widened_for_thin_history() -> None:
    """calibrated_points applies the same rule as the live forecast: a week that ends on the
    quarter's last day (week 13 of 2018-Q2, 91 days) loses the thin-history widening."""
    last = [
        replace(point(f"201{i}-Q2", 100.0, week=13), as_of=date(2010 + i, 6, 30)) for i in range(2)
    ]
    early = [replace(p, week=12, as_of=date(p.as_of.year, 6, 23)) for p in last]
    widths = {
        p.week: p.p90 - p.p10 for p in calibrated_points([*last, *early]) if p.period == "2011-Q2"
    }
    # One earlier quarter, which closed at its P50 (score −0.1): 3 of 4 quarters missing.
    assert widths[12] == pytest.approx(20.0 + 2 * (-0.1 + THIN_HISTORY_WIDEN * 3 / 4) * 100.0)
    assert widths[13] == pytest.approx(20.0 + 2 * -0.1 * 100.0)


def test_a_rep_with_no_pipeline_borrows_the_width_of_the_average_rep() -> None:
    found = calibrate(NINE, "company", 4)
    low, middle, high = calibrated_band(
        found, booked=0.0, p10=0.0, p50=0.0, p90=0.0, run_rate=0.0, pool=50.0
    )
    assert (low, middle) == (0.0, 0.0) and high == pytest.approx(0.2 * 50.0)


def test_the_chance_of_target_is_read_off_the_calibrated_band() -> None:
    assert chance_at_least(100.0, 70.0, 100.0, 130.0) == pytest.approx(0.5)
    assert chance_at_least(70.0, 70.0, 100.0, 130.0) == pytest.approx(0.9)
    assert chance_at_least(115.0, 70.0, 100.0, 130.0) == pytest.approx(0.3)
    assert chance_at_least(400.0, 70.0, 100.0, 130.0) == 0.0


def test_each_quarter_is_calibrated_on_the_quarters_before_it_only() -> None:
    """Changing what closed in the last quarter changes no band of that quarter."""
    before = calibrated_points(NINE)
    after = calibrated_points([*NINE[:-1], point("2018-Q1", 900.0)])
    assert before[-1].p10 == after[-1].p10 and before[-1].p90 == after[-1].p90
    assert before[0].p90 - before[0].p10 == pytest.approx(20.0 + 2 * THIN_HISTORY_WIDEN * 100.0)


def _breaking_history() -> pd.DataFrame:
    """One deal a day of 1,000 won ten days later, from 2022 until mid-2023; from then on only
    every third deal is won: the recent quarters break from the history."""
    created = pd.date_range("2022-01-01 12:00", "2024-06-30 12:00", freq="D")
    won = [day < pd.Timestamp("2023-10-01") or index % 3 == 0 for index, day in enumerate(created)]
    return pd.DataFrame(
        {
            "opportunity_id": [f"d{i}" for i in range(len(created))],
            "owner_rep_id": "r1",
            "product_id": None,
            "created_at": created,
            "closed_at": created + pd.Timedelta(days=10),
            "is_won": won,
            "amount": 1000.0,
        }
    )


def test_a_small_organisation_whose_recent_quarters_break_gets_a_wider_band() -> None:
    history = make_history(_breaking_history(), NO_STAGES, {"r1": "t1"})
    periods = complete_periods(history, "UTC")
    settings = ForecastSettings(backtest_simulations=300)
    points = backtest(history, periods, zone="UTC", settings=settings, weeks=(4,)).points
    steady = calibrate(points, "company", 4, before="2023-Q4")
    broken = calibrate(points, "company", 4, before="2024-Q3")
    assert broken.widen > steady.widen
    assert broken.method in ("model", "run_rate", "blend")
    assert broken.line().startswith("company, week 4: ")
    assert "backtested error" in broken.line()
