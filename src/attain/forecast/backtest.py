"""Backtest: forecast past periods week by week from what was known then, and score the
forecast and the two CRM baselines against what actually closed.

Each forecast is made by `forecast_period`, which censors the history at its as-of moment, so
no later fact can reach it. Scores are per week of the period over every backtested period:
MAPE and bias (mean signed error ÷ actual) of our P50, the weighted pipeline and the run-rate,
and the share of actuals inside our P10–P90.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from attain.forecast.calibration import calibrated_points
from attain.forecast.forecast import (
    COMPANY,
    Forecast,
    forecast_period,
    previous_periods,
    week_as_of,
)
from attain.forecast.history import DealHistory, booked, booked_per_team, known_at
from attain.forecast.settings import ForecastSettings
from attain.forecast.snapshots import open_at
from attain.forecast.win_model import (
    QUICK_FIT_EXAMPLES,
    WINDOW_DEALS,
    WinModel,
    fit_win_models,
    window_ends,
)
from attain.metrics.coverage import end_of_day_utc
from attain.metrics.periods import Period, quarter_of, quarters_between

WEEKS = tuple(range(1, 13))
"""Weeks of a quarter forecast by default: the end of week 1 to the end of week 12."""


@dataclass(frozen=True)
class BacktestPoint:
    """One scope's forecast at one week of one past period, and what actually closed."""

    period: str
    week: int
    as_of: date
    scope: str
    id: str
    actual: float
    booked: float
    p10: float
    p50: float
    p90: float
    mean: float
    weighted_pipeline: float
    run_rate: float


@dataclass(frozen=True)
class WeekScore:
    """Company-level accuracy at one week of the period, over every backtested period."""

    week: int
    periods: int
    mape: float
    bias: float
    mape_weighted: float
    bias_weighted: float
    mape_run_rate: float
    bias_run_rate: float
    coverage: float
    mape_calibrated: float = float("nan")
    """MAPE of the calibrated P50 (the method each week chose on earlier quarters)."""
    coverage_calibrated: float = float("nan")
    """How often the actual fell inside the calibrated P10–P90 (rolling origin)."""


@dataclass(frozen=True)
class Backtest:
    """Every point, the company scores per week, and P10–P90 coverage over all of them."""

    periods: list[str]
    weeks: list[int]
    points: list[BacktestPoint]
    scores: list[WeekScore]
    coverage: float
    coverage_calibrated: float = float("nan")
    """P10–P90 coverage of the calibrated bands over every company forecast: each quarter
    calibrated on the quarters before it only (attain.forecast.calibration)."""
    quarter_models: list[str] = field(default_factory=list)
    """Periods whose weeks reused one win model fitted at the first week (`quarter_models`),
    where a live forecast fits one per week; empty when every week had its own."""

    def score(self, week: int) -> WeekScore:
        """The scores of one week; KeyError when it was not backtested."""
        for score in self.scores:
            if score.week == week:
                return score
        raise KeyError(f"week {week} was not backtested")


def complete_periods(history: DealHistory, zone: str) -> list[Period]:
    """Quarters that ended by the last event and follow a whole quarter of recorded outcomes
    (the forecast learns from the same point of past quarters)."""
    first = history.first_close
    if first is None:
        return []
    last = history.last_event
    return [
        period
        for period in quarters_between(first.date(), last.date())
        if pd.Timestamp(quarter_of(period.start - timedelta(days=1)).start) >= first.normalize()
        and pd.Timestamp(end_of_day_utc(period.end, zone)) <= last + pd.Timedelta(days=1)
    ]


def backtest(
    history: DealHistory,
    periods: Sequence[Period],
    *,
    zone: str,
    settings: ForecastSettings,
    weeks: Sequence[int] = WEEKS,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Forecast each period at the end of each week and compare with what closed in it."""
    points: list[BacktestPoint] = []
    pooled: list[str] = []
    total, done = len(periods) * len(weeks), 0
    for period in periods:
        start = pd.Timestamp(end_of_day_utc(period.start - timedelta(days=1), zone))
        end = pd.Timestamp(end_of_day_utc(period.end, zone))
        actual = booked(history, start, end)
        team_actual = booked_per_team(history, start, end)
        models = quarter_models(history, period, weeks, zone, settings)
        if models:
            pooled.append(period.label)
        for week in weeks:
            result = forecast_period(
                history,
                period,
                week_as_of(period, week),
                targets={},
                names={},
                zone=zone,
                settings=settings,
                simulations=settings.backtest_simulations,
                win_model=models.get(week),
            )
            points += _points(result, week, actual, team_actual)
            done += 1
            if progress is not None:
                progress(done, total)
    company = [p for p in points if p.scope == COMPANY]
    calibrated = [p for p in calibrated_points(points) if p.scope == COMPANY]
    scores = [
        replace(
            score,
            mape_calibrated=again.mape,
            coverage_calibrated=again.coverage,
        )
        for score, again in zip(_scores(company, weeks), _scores(calibrated, weeks), strict=True)
    ]
    return Backtest(
        periods=[period.label for period in periods],
        weeks=list(weeks),
        points=points,
        scores=scores,
        coverage=_coverage(company),
        coverage_calibrated=_coverage(calibrated),
        quarter_models=pooled,
    )


def quarter_models(
    history: DealHistory,
    period: Period,
    weeks: Sequence[int],
    zone: str,
    settings: ForecastSettings,
    *,
    least_examples: int = QUICK_FIT_EXAMPLES,
) -> dict[int, WinModel]:
    """One win model for every week of `period` in `weeks`, fitted once at the first week's
    moment on what was known then, with the time left as a feature (`fit_win_models`); later
    weeks reuse it, so none sees beyond the first week's moment.

    Empty (each week's forecast fits its own model, exactly as the live forecast does) for a
    single week, and where one week's model would train on fewer than `least_examples`
    examples: such a fit takes well under a second, and the backtest then measures exactly the
    model the user gets."""
    if len(set(weeks)) < 2:
        return {}
    start = pd.Timestamp(end_of_day_utc(period.start - timedelta(days=1), zone))
    end = pd.Timestamp(end_of_day_utc(period.end, zone))
    moments = {
        week: min(max(pd.Timestamp(end_of_day_utc(week_as_of(period, week), zone)), start), end)
        for week in weeks
    }
    first = min(moments.values())
    past_ends = [
        pd.Timestamp(end_of_day_utc(p.end, zone))
        for p in previous_periods(period, settings.lookback_periods)
    ]
    known = known_at(history, first)
    windows = window_ends(known, first, past_ends, end - first, settings.jitter_days)
    if min(len(open_at(known, [first])), WINDOW_DEALS) * len(windows) < least_examples:
        return {}
    models = fit_win_models(
        known,
        first,
        past_ends,
        [end - moment for moment in moments.values()],
        jitter_days=settings.jitter_days,
        seed=settings.seed,
    )
    return {week: models[end - moment] for week, moment in moments.items()}


def _coverage(points: list[BacktestPoint]) -> float:
    """The share of points whose actual fell inside their P10–P90."""
    inside = [p.p10 <= p.actual <= p.p90 for p in points]
    return float(np.mean(inside)) if inside else float("nan")


def default_periods(history: DealHistory, zone: str, count: int | None) -> list[Period]:
    """The last `count` complete periods (all of them when None)."""
    periods = complete_periods(history, zone)
    return periods if count is None else periods[-count:]


def _points(
    result: Forecast, week: int, actual: pd.Series, team_actual: pd.Series
) -> list[BacktestPoint]:
    """Points of one forecast; teams' actuals credit each booking to the team at close time."""
    points = []
    for row in result.rows:
        if row.scope == COMPANY:
            truth = float(actual.sum())
        elif row.scope == "team":
            truth = float(team_actual.get(row.id, 0.0))
        else:
            truth = float(actual.get(row.id, 0.0))
        points.append(
            BacktestPoint(
                period=quarter_of(result.period.start).label,
                week=week,
                as_of=result.as_of,
                scope=row.scope,
                id=row.id,
                actual=truth,
                booked=row.booked,
                p10=row.p10,
                p50=row.p50,
                p90=row.p90,
                mean=row.mean,
                weighted_pipeline=row.weighted_pipeline,
                run_rate=row.run_rate,
            )
        )
    return points


def _scores(points: list[BacktestPoint], weeks: Sequence[int]) -> list[WeekScore]:
    frame = pd.DataFrame([vars(point) for point in points])
    scores = []
    for week in weeks:
        rows = frame.loc[(frame["week"] == week) & (frame["actual"] > 0)] if len(frame) else frame
        if rows.empty:
            continue
        actual = rows["actual"].to_numpy(dtype=float)

        def error(
            column: str, rows: pd.DataFrame = rows, actual: np.ndarray = actual
        ) -> np.ndarray:
            return np.asarray((rows[column].to_numpy(dtype=float) - actual) / actual, dtype=float)

        ours, weighted, run_rate = error("p50"), error("weighted_pipeline"), error("run_rate")
        inside = (rows["p10"] <= rows["actual"]) & (rows["actual"] <= rows["p90"])
        scores.append(
            WeekScore(
                week=week,
                periods=len(rows),
                mape=float(np.abs(ours).mean()),
                bias=float(ours.mean()),
                mape_weighted=float(np.abs(weighted).mean()),
                bias_weighted=float(weighted.mean()),
                mape_run_rate=float(np.abs(run_rate).mean()),
                bias_run_rate=float(run_rate.mean()),
                coverage=float(inside.mean()),
            )
        )
    return scores
