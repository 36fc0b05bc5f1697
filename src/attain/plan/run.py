"""The activity plans of a store's reps as of one day: what `attain plan` and the rep page show.

Reads the rates, the quarter's bookings targets and the open pipeline from the store, makes the
forecast (with the overrides) for the open pipeline's expected value, and plans each rep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from attain.forecast.forecast import Forecast, Overrides, bookings_targets, forecast
from attain.forecast.history import load_history
from attain.forecast.settings import ForecastSettings
from attain.metrics.attainment import scope_names
from attain.metrics.periods import Period, quarter_of
from attain.metrics.targets import rep_roster
from attain.plan.plan import (
    RepPlan,
    activity_plan,
    pipeline_from_forecast,
    pipeline_from_stages,
)
from attain.plan.rates import load_rates
from attain.plan.settings import PlanSettings
from attain.reports.jsonable import jsonable
from attain.store.handle import Store

PLAN_SIMULATIONS = 200
"""Monte Carlo runs of the forecast behind a plan: only its expected values and each deal's
probabilities are used."""


@dataclass(frozen=True)
class PlanReport:
    """Plans for some reps of one period as of one day, with the window their rates cover."""

    period: Period
    as_of: date
    window: Period
    method: str
    """How the forecast made its win probabilities (see attain.forecast)."""
    plans: list[RepPlan]
    team_names: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the period, window, method and each plan (see RepPlan.to_dict)."""
        return {
            "period": jsonable(self.period),
            "as_of": self.as_of.isoformat(),
            "window": jsonable(self.window),
            "method": self.method,
            "plans": [plan.to_dict() for plan in self.plans],
        }


def store_plan(
    backend: Store,
    as_of: date,
    *,
    zone: str,
    settings: PlanSettings,
    forecast_settings: ForecastSettings,
    overrides: Overrides | None = None,
    reps: list[str] | None = None,
    with_forecast: Forecast | None = None,
) -> PlanReport:
    """Plans for `reps` (default: every rep with a bookings target this quarter).

    `with_forecast` is one the caller already made of this store and day with the same overrides
    (the web app's page forecast): only its expected values and deal probabilities are used,
    so it replaces the plan's own quick forecast."""
    period = quarter_of(as_of)
    overrides = overrides or Overrides()
    book = load_rates(backend, as_of, settings)
    targets = bookings_targets(backend, period)
    roster = rep_roster(backend)
    names = scope_names(backend, roster)
    result = with_forecast or plan_forecast(
        backend, as_of, zone=zone, forecast_settings=forecast_settings, overrides=overrides
    )
    by_stage = pipeline_from_stages(
        load_history(backend), period, as_of, zone=zone, overrides=overrides
    )
    plans = activity_plan(
        book,
        pipeline_from_forecast(result, by_stage),
        targets,
        period,
        as_of,
        settings,
        names={str(rep): str(name) for rep, name in names["rep"].items()},
        reps=reps,
    )
    return PlanReport(
        period=period,
        as_of=as_of,
        window=book.window,
        method=result.method,
        plans=plans,
        team_names={str(team): str(name) for team, name in names["team"].items()},
    )


def plan_forecast(
    backend: Store,
    as_of: date,
    *,
    zone: str,
    forecast_settings: ForecastSettings,
    overrides: Overrides | None = None,
) -> Forecast:
    """The forecast a plan is made with (few Monte Carlo runs): each rep's expected open value
    and each open deal's model probability, which overrides are shown beside."""
    quick = forecast_settings.model_copy(update={"simulations": PLAN_SIMULATIONS})
    return forecast(backend, as_of, zone=zone, settings=quick, overrides=overrides)
