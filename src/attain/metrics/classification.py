"""Classify reps as top performers, performers, under-performers or new, with the evidence.

A rep's class comes from how often they hit goal in the last completed periods; their trend
from the slope of attainment over those periods; and their selling numbers (win rate, deal
size, sales cycle, activity, pipeline) are set beside the top performers' medians so a
manager can see where an under-performer differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd

from attain.metrics.attainment import optional_number, optional_text
from attain.metrics.facts import daily_actuals, local_time
from attain.metrics.periods import Period, as_dates
from attain.metrics.settings import PerformanceSettings
from attain.store.currency import has_real_creation
from attain.store.handle import Store

PerformanceClass = Literal["top_performer", "performer", "under_performer", "new"]
Trend = Literal["improving", "declining", "steady"]

_EPSILON = 1e-9
"""Tolerance for share and slope comparisons, so 3/5 counts as exactly 60%."""


@dataclass(frozen=True)
class PeriodAttainment:
    """One completed period of a rep: the target in force, what they did, and the ratio."""

    period: Period
    target: float
    actual: float
    attainment: float


@dataclass(frozen=True)
class RepMetrics:
    """Selling numbers of one rep (or the top performers' medians) over the window."""

    win_rate: float | None
    """Won ÷ closed deals closed in the window."""
    avg_won_deal: float | None
    """Mean amount of the deals won in the window."""
    median_cycle_days: float | None
    """Median days from creation to close of the deals won in the window."""
    activities_per_week: float | None
    """Activities logged per week of the rep's periods in the window."""
    pipeline_per_period: float | None
    """Amount of opportunities created per period of the window."""


@dataclass(frozen=True)
class RepClassification:
    """A rep's class with its evidence: periods, shares, trend and the gap to top performers."""

    rep_id: str
    team_id: str | None
    metric: str
    performance_class: PerformanceClass
    periods: tuple[PeriodAttainment, ...]
    """Completed periods of the window in which the rep had a target, oldest first."""
    full_periods: int
    """Of those, the periods the rep worked in full (not prorated)."""
    above_share: float | None
    """Share of periods with attainment at or above settings.surpass_ratio (surpassed goal)."""
    hit_share: float | None
    """Share of periods with attainment at or above 1 (hit goal)."""
    trend: Trend
    slope: float | None
    """Least-squares change of attainment per period; None with fewer than two periods."""
    metrics: RepMetrics
    top_medians: RepMetrics
    differences: RepMetrics
    """The rep's metrics minus the top performers' medians."""


def completed_periods(attainment: pd.DataFrame, as_of: date, count: int) -> list[Period]:
    """The last `count` periods of the frame that ended before `as_of`, oldest first."""
    bounds = pd.DataFrame(
        {"start": as_dates(attainment["period_start"]), "end": as_dates(attainment["period_end"])}
    )
    done = bounds[bounds["end"] < as_of].drop_duplicates()
    periods = sorted(Period(start, end) for start, end in done.itertuples(index=False))
    return periods[-count:] if count > 0 else []


def classify_reps(
    backend: Store,
    attainment: pd.DataFrame,
    as_of: date,
    settings: PerformanceSettings | None = None,
    metric: str = "bookings",
) -> list[RepClassification]:
    """Classify every rep of the attainment frame on `metric` over the last completed periods.

    `attainment` is the rep-level attainment frame (one row per rep, period and metric).
    """
    settings = settings or PerformanceSettings()
    rows = attainment[attainment["metric"] == metric]
    rows = rows.assign(
        period_start=as_dates(rows["period_start"]), period_end=as_dates(rows["period_end"])
    )
    window = completed_periods(rows, as_of, settings.classification_periods)
    reps = sorted(rows["rep_id"].dropna().unique().tolist())
    if not reps:
        return []
    in_window = rows[rows["period_start"].isin({p.start for p in window})]
    scored = in_window.assign(ratio=pd.to_numeric(in_window["attainment"], errors="coerce"))
    scored = scored[scored["ratio"].notna()].sort_values(["rep_id", "period_start"])
    evidence = _evidence(scored)
    metrics = _rep_metrics(backend, in_window, window, settings.timezone)
    teams = rows.drop_duplicates("rep_id", keep="last").set_index("rep_id")["team_id"]

    drafts = []
    for rep in reps:
        periods, full = evidence.get(rep, ((), 0))
        drafts.append((rep, periods, full, _class_of(periods, full, settings)))
    top = [metrics.get(rep, _NO_METRICS) for rep, *_, cls in drafts if cls == "top_performer"]
    medians = _medians(top)

    results = []
    for rep, periods, full, cls in drafts:
        values = [p.attainment for p in periods]
        slope = _slope(values, [window.index(p.period) for p in periods])
        mine = metrics.get(rep, _NO_METRICS)
        results.append(
            RepClassification(
                rep_id=rep,
                team_id=optional_text(teams.get(rep)),
                metric=metric,
                performance_class=cls,
                periods=periods,
                full_periods=full,
                above_share=_share(values, settings.surpass_ratio),
                hit_share=_share(values, 1.0),
                trend=_trend(slope, settings.trend_threshold),
                slope=slope,
                metrics=mine,
                top_medians=medians,
                differences=_differences(mine, medians),
            )
        )
    return results


_NO_METRICS = RepMetrics(None, None, None, None, None)


def _evidence(scored: pd.DataFrame) -> dict[Any, tuple[tuple[PeriodAttainment, ...], int]]:
    """Per rep: the scored periods (rows with a `ratio`, in order) and how many were full.

    One pass over plain lists: a pandas group per rep costs more than its few rows.
    """
    periods: dict[Any, list[PeriodAttainment]] = {}
    full: dict[Any, int] = {}
    for rep, start, end, target, actual, ratio, prorated in zip(
        scored["rep_id"].tolist(),
        scored["period_start"].tolist(),
        scored["period_end"].tolist(),
        scored["target"].tolist(),
        scored["actual"].tolist(),
        scored["ratio"].tolist(),
        scored["prorated"].tolist(),
        strict=True,
    ):
        if rep is None or rep != rep:  # groupby left missing reps out
            continue
        period = PeriodAttainment(Period(start, end), float(target), float(actual), float(ratio))
        periods.setdefault(rep, []).append(period)
        full[rep] = full.get(rep, 0) + (0 if pd.notna(prorated) and bool(prorated) else 1)
    return {rep: (tuple(rows), full[rep]) for rep, rows in periods.items()}


def _class_of(
    periods: tuple[PeriodAttainment, ...], full: int, settings: PerformanceSettings
) -> PerformanceClass:
    if full < settings.min_full_periods:
        return "new"
    values = [p.attainment for p in periods]
    if (_share(values, settings.surpass_ratio) or 0.0) >= settings.top_share - _EPSILON:
        return "top_performer"
    if (_share(values, 1.0) or 0.0) >= settings.performer_share - _EPSILON:
        return "performer"
    return "under_performer"


def _share(values: list[float], threshold: float) -> float | None:
    """Share of periods with attainment at or above `threshold`."""
    if not values:
        return None
    return float((np.asarray(values) >= threshold - _EPSILON).mean())


def _slope(values: list[float], positions: list[int]) -> float | None:
    """Least-squares slope of attainment against the period's position in the window."""
    if len(values) < 2:
        return None
    slope, _ = np.polyfit(np.asarray(positions, dtype=float), np.asarray(values), 1)
    return float(slope)


def _trend(slope: float | None, threshold: float) -> Trend:
    if slope is None:
        return "steady"
    if slope > threshold + _EPSILON:
        return "improving"
    if slope < -threshold - _EPSILON:
        return "declining"
    return "steady"


def _rep_metrics(
    backend: Store, rows: pd.DataFrame, window: list[Period], zone: str
) -> dict[str, RepMetrics]:
    """Each rep's selling numbers over the window, counted in the store through Ibis."""
    if not window or rows.empty:
        return {}
    first, last = window[0].start, window[-1].end
    deals = _deal_stats(backend, first, last, zone).set_index("rep_id")
    acts = daily_actuals(backend, "activities", first, last, zone).groupby("rep_id")["value"].sum()
    pipe = daily_actuals(backend, "pipeline_created", first, last, zone)
    pipeline = pipe.groupby("rep_id")["value"].sum()
    length = pd.to_datetime(rows["period_end"]) - pd.to_datetime(rows["period_start"])
    spans = rows.assign(days=length.dt.days + 1).groupby("rep_id")
    days, periods = spans["days"].sum(), spans["days"].count()

    result = {}
    for rep in days.index:
        stats = deals.loc[rep] if rep in deals.index else None
        closed = float(stats["closed"]) if stats is not None else 0.0
        result[str(rep)] = RepMetrics(
            win_rate=float(stats["won"]) / closed if stats is not None and closed else None,
            avg_won_deal=optional_number(stats["won_amount"]) if stats is not None else None,
            median_cycle_days=optional_number(stats["cycle_days"]) if stats is not None else None,
            activities_per_week=float(acts.get(rep, 0.0)) / (float(days[rep]) / 7.0),
            pipeline_per_period=float(pipeline.get(rep, 0.0)) / float(periods[rep]),
        )
    return result


def _deal_stats(backend: Store, first: date, last: date, zone: str) -> pd.DataFrame:
    """Per owner: deals closed in [first, last], how many were won, won size and cycle."""
    deals = backend.table("opportunities")
    closed_local = local_time(deals.closed_at, zone, first, last)
    start = datetime.combine(first, time.min)
    stop = datetime.combine(last + timedelta(days=1), time.min)
    closed = deals.filter(deals.is_won.notnull() & (closed_local >= start) & (closed_local < stop))
    seconds = closed.closed_at.epoch_seconds() - closed.created_at.epoch_seconds()
    cycle = seconds.cast("float64") / 86400.0  # float first: Spark divides integers as decimals
    # A median of a CASE rather than median(where=...): Spark's percentile needs a constant.
    # Backdated deals (entered after they closed) have no real creation time to measure from.
    timed = closed.is_won & closed.created_at.notnull() & has_real_creation(closed)
    won_cycle = ibis.cases((timed, cycle), else_=None)
    expr = closed.group_by(rep_id=closed.owner_rep_id).aggregate(
        closed=closed.count(),
        won=closed.count(where=closed.is_won),
        won_amount=closed.amount.mean(where=closed.is_won),
        cycle_days=won_cycle.median(),
    )
    frame: pd.DataFrame = backend.execute(expr)
    return frame


def _medians(group: list[RepMetrics]) -> RepMetrics:
    """Field-by-field median of a group's metrics, ignoring missing values."""

    def median(name: str) -> float | None:
        values = [getattr(m, name) for m in group if getattr(m, name) is not None]
        return float(np.median(values)) if values else None

    return RepMetrics(*(median(name) for name in RepMetrics.__dataclass_fields__))


def _differences(mine: RepMetrics, medians: RepMetrics) -> RepMetrics:
    def gap(name: str) -> float | None:
        a, b = getattr(mine, name), getattr(medians, name)
        return None if a is None or b is None else float(a - b)

    return RepMetrics(*(gap(name) for name in RepMetrics.__dataclass_fields__))
