"""Early warnings: a leading activity that fell well below the rep's own recent weeks.

Meetings, new opportunities and calls move weeks before bookings do, so a rep whose week
falls under `warning_ratio` of their trailing median is flagged now, with the pipeline that
the shortfall is likely to cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from attain.metrics.facts import daily_actuals
from attain.metrics.settings import PerformanceSettings
from attain.store.handle import Store

_AMOUNTS = ("bookings", "pipeline_created")
"""Metrics that are money, not counts: the chance check does not apply to them."""

_UNITS = {
    "meetings": "meeting",
    "opportunities_created": "opportunity",
    "calls": "call",
    "activities": "activity",
    "new_logos": "new logo",
}


@dataclass(frozen=True)
class EarlyWarning:
    """A rep's leading metric this week against their trailing weekly median, with the cost."""

    rep_id: str
    metric: str
    week_start: date
    week_end: date
    """The 7 full days before as_of."""
    this_week: float
    median: float
    """Median of the previous `warning_weeks` 7-day windows."""
    previous_weeks: tuple[float, ...]
    """Those windows' values, most recent first (the benchmark's evidence)."""
    ratio: float
    """this_week ÷ median, compared with settings.warning_ratio."""
    chance: float | None
    """Probability of a week this low by chance at the median's volume; None for amounts."""
    shortfall: float
    """median − this_week."""
    pipeline_per_unit: float | None
    pipeline_at_risk: float | None
    """shortfall × pipeline_per_unit: pipeline the week is likely not to create."""
    estimate: str
    """How pipeline_at_risk was estimated."""


def early_warnings(
    backend: Store, as_of: date, settings: PerformanceSettings | None = None
) -> list[EarlyWarning]:
    """Reps whose leading metrics in the week before `as_of` fell below their usual level.

    The week is the 7 full days before as_of (as_of itself is still under way); the benchmark
    is the median of the `warning_weeks` 7-day windows before it. Reps who joined or left within
    those weeks are skipped: their weeks are not alike.
    """
    settings = settings or PerformanceSettings()
    windows = settings.warning_weeks + 1
    last = as_of - timedelta(days=1)
    first = last - timedelta(days=7 * windows - 1)
    reps = _steady_reps(backend, first, last)
    if not reps:
        return []

    def weekly(metric: str) -> pd.DataFrame:
        daily = daily_actuals(backend, metric, first, last, settings.timezone)
        return _weekly(daily, reps, last, windows)

    trailing_pipeline = weekly("pipeline_created").iloc[:, 1:].sum(axis=1)
    warnings = []
    for metric in settings.leading_metrics:
        counts = weekly(metric)
        previous = counts.iloc[:, 1:]
        median = previous.median(axis=1)
        this_week = counts.iloc[:, 0]
        trailing_units = previous.sum(axis=1)
        low = (median > 0) & (this_week < settings.warning_ratio * median)
        for rep in counts.index[low]:
            chance = None if metric in _AMOUNTS else _chance(this_week[rep], median[rep])
            # At a small usual volume a low week is often luck (a rep with a median of two
            # meetings has none in about one week in seven): flag only unlikely ones.
            if chance is not None and chance >= settings.warning_chance:
                continue
            warnings.append(
                _warning(
                    str(rep),
                    metric,
                    last,
                    tuple(float(v) for v in previous.loc[rep]),
                    float(this_week[rep]),
                    chance,
                    float(trailing_pipeline[rep]),
                    float(trailing_units[rep]),
                    settings,
                )
            )
    return warnings


def _steady_reps(backend: Store, first: date, last: date) -> list[str]:
    """Reps employed over the whole of [first, last]: hired by first and not left before last."""
    reps = backend.table("reps")
    steady = reps.filter(
        (reps.hire_date.isnull() | (reps.hire_date <= first))
        & (reps.end_date.isnull() | (reps.end_date >= last))
    )
    frame = backend.execute(steady.select("rep_id"))
    return sorted(frame["rep_id"].astype(str).tolist())


def _weekly(daily: pd.DataFrame, reps: list[str], last: date, windows: int) -> pd.DataFrame:
    """Reps × 7-day windows ending at `last` (column 0 = this week, 1 = the week before, ...)."""
    back = (pd.Timestamp(last) - pd.to_datetime(daily["day"])).dt.days // 7
    sums = daily.assign(week=back).groupby(["rep_id", "week"])["value"].sum().unstack()
    full = sums.reindex(index=reps, columns=range(windows), fill_value=0.0)
    return full.fillna(0.0).astype(float)


def _chance(count: float, mean: float) -> float:
    """P(X ≤ count) for a Poisson count X with this mean."""
    # Summed in logs: mean ** k / k! overflows a float for counts in the hundreds.
    k = np.arange(int(np.floor(count)) + 1)
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, k.size)))))
    return float(np.exp(-mean + k * np.log(mean) - log_factorial).sum())


def _warning(
    rep: str,
    metric: str,
    last: date,
    previous: tuple[float, ...],
    this_week: float,
    chance: float | None,
    trailing_pipeline: float,
    trailing_units: float,
    settings: PerformanceSettings,
) -> EarlyWarning:
    median = float(np.median(previous))
    shortfall = median - this_week
    unit = _UNITS.get(metric, metric)
    weeks = settings.warning_weeks
    per_unit: float | None
    if metric in _AMOUNTS:
        per_unit = 1.0 if metric == "pipeline_created" else None
        estimate = "the shortfall is pipeline itself" if per_unit else "bookings are not pipeline"
    elif trailing_units > 0:
        per_unit = trailing_pipeline / trailing_units
        basis = (
            "the rep's average opportunity amount"
            if metric == "opportunities_created"
            else f"the rep's pipeline created per {unit}"
        )
        estimate = (
            f"{shortfall:,.1f} {unit} short × {per_unit:,.0f} pipeline per {unit} "
            f"({basis}: {trailing_pipeline:,.0f} over {trailing_units:,.0f} in the previous "
            f"{weeks} weeks)"
        )
    else:
        per_unit = None
        estimate = f"no {unit} in the previous {weeks} weeks to value the shortfall"
    return EarlyWarning(
        rep_id=rep,
        metric=metric,
        week_start=last - timedelta(days=6),
        week_end=last,
        this_week=this_week,
        median=median,
        previous_weeks=previous,
        ratio=this_week / median,
        chance=chance,
        shortfall=shortfall,
        pipeline_per_unit=per_unit,
        pipeline_at_risk=None if per_unit is None else shortfall * per_unit,
        estimate=estimate,
    )
