"""A history simple enough to forecast by hand: one deal a day, each won ten days later.

As of 2026-05-15 in 2026-Q2 (91 days): 45 days have closed (45 000 booked), the 10 deals created
May 6–15 are open and will close by June 30 (10 000), and the deals created May 16 – June 20 will
be created and won inside the period (36 000): 91 000, with no doubt at all.
"""

from __future__ import annotations

from datetime import date

import pytest
from forecast_support import daily_wins

from attain.forecast.forecast import forecast_period
from attain.forecast.settings import ForecastSettings
from attain.metrics.periods import quarter_of

CERTAIN = ForecastSettings(min_spread=0.0, simulations=500)
AS_OF = date(2026, 5, 15)


def run(targets: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    return forecast_period(
        daily_wins("2025-01-01", "2026-06-30"),
        quarter_of(AS_OF),
        AS_OF,
        targets=targets or {},
        names={"r1": "Rep One"},
        zone="UTC",
        settings=CERTAIN,
        simulations=500,
    )


def test_every_number_matches_the_hand_count() -> None:
    company = run().row("company")
    assert company.booked == 45_000
    assert company.open_deals == 10
    assert company.open_value == 10_000
    assert company.expected_open == pytest.approx(10_000)
    assert company.expected_new == pytest.approx(36_000)
    assert company.p10 == company.p50 == company.p90 == pytest.approx(91_000)
    # the CRM baselines: every open deal at the won share (all of them), and pace × 91/45
    assert company.weighted_pipeline == pytest.approx(55_000)
    assert company.run_rate == pytest.approx(45_000 / (45 / 91))


def test_rep_and_team_rows_carry_the_same_totals_and_names() -> None:
    result = run()
    assert result.row("rep", "r1").p50 == result.row("team", "t1").p50 == pytest.approx(91_000)
    assert result.row("rep", "r1").name == "Rep One"
    assert result.elapsed == pytest.approx(45 / 91)


def test_chance_of_target_is_the_share_of_runs_reaching_it() -> None:
    assert run({"r1": 90_000}).row("company").chance_of_target == 1.0
    assert run({"r1": 95_000}).row("rep", "r1").chance_of_target == 0.0
    assert run().row("company").target is None


def test_on_the_last_day_the_forecast_is_what_was_booked() -> None:
    result = forecast_period(
        daily_wins("2025-01-01", "2026-06-30"),
        quarter_of(AS_OF),
        date(2026, 6, 30),
        targets={},
        names={},
        zone="UTC",
        settings=CERTAIN,
        simulations=200,
    )
    company = result.row("company")
    assert company.booked == company.p10 == company.p90 == 91_000
    assert company.open_deals == 10  # still open, but nothing left of the period to close in
