"""Settings of the forecast and its backtest: `[forecast]` in attain.toml or ATTAIN_FORECAST__*."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ForecastSettings(BaseModel):
    """How many simulations, how much history, and which random seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    simulations: int = Field(10_000, ge=100, description="Monte Carlo runs of a forecast.")
    backtest_simulations: int = Field(
        2_000, ge=100, description="Monte Carlo runs of each forecast in a backtest."
    )
    lookback_periods: int = Field(
        4, ge=1, description="Past periods whose same point in time trains the forecast."
    )
    jitter_days: int = Field(
        14,
        ge=0,
        description="Days either side of each past period's end that also count as its end "
        "(more examples, same point in the period).",
    )
    min_spread: float = Field(
        0.15,
        ge=0,
        description="Least log-spread of a whole period's win-rate shock (scaled by the square "
        "root of the share of the period left): a few past windows understate how much periods "
        "differ.",
    )
    seed: int = Field(0, description="Random seed: the same data and seed give the same numbers.")
    calibration_quarters: int = Field(
        8,
        ge=0,
        description="Complete quarters before the one forecast whose backtest at the same week "
        "centres and calibrates the band (docs/forecast.md); 0: the model's band as it is.",
    )
