"""Pacing: where each rep, team and the company should be by a date, and where they are.

Targets are spread over business days, evenly or by the organisation's own within-period
seasonality, so that "behind" means behind a fair share, not behind a straight line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from attain.metrics.attainment import (
    Scope,
    ScopedRow,
    in_period,
    optional_number,
    periods_in,
    records,
    row_identity,
    scope_names,
    scoped,
)
from attain.metrics.facts import daily_actuals
from attain.metrics.periods import BusinessCalendar, Period, quarter_of, week_start, week_starts
from attain.metrics.settings import PerformanceSettings
from attain.metrics.targets import rep_roster
from attain.store.handle import Store

Status = Literal["ahead", "on_pace", "behind", "at_risk"]

SHAPE_PERIODS = 4
"""Past periods whose weekly pattern makes the seasonal shape (with seasonal_pacing)."""


@dataclass(frozen=True)
class PacingRow(ScopedRow):
    """Progress to `as_of` (inclusive) against the share of target expected by then.

    gap = actual − expected (negative: behind); pace_ratio = actual ÷ expected (None when
    nothing was expected yet); required_daily_rate = remaining ÷ business days left (None when
    something remains and no business day is left).
    """

    metric: str
    as_of: date
    target: float
    expected_to_date: float
    actual_to_date: float
    gap: float
    pace_ratio: float | None
    remaining_target: float
    business_days_left: int
    required_daily_rate: float | None
    status: Status
    week_start: date
    """First day of the week containing as_of (Monday unless `[calendar] week_start` says
    otherwise), or the period start if later."""
    week_target: float
    """This week's share of the target: the weekly target behind the daily pacing."""
    week_actual: float
    """Done this week, up to as_of."""


def rep_holiday_countries(
    backend: Store, roster: pd.DataFrame, settings: PerformanceSettings
) -> pd.Series:
    """Each rep's holiday country: their team region's in `region_holidays`, else
    `holiday_country` (empty when neither names one)."""
    if not settings.region_holidays:
        return pd.Series(settings.holiday_country, index=roster["rep_id"], dtype=object)
    teams = backend.execute(backend.table("teams").select("team_id", "region"))
    region = roster["team_id"].map(dict(zip(teams["team_id"], teams["region"], strict=True)))
    country = region.map(settings.region_holidays)
    found: pd.Series = pd.Series(
        country.where(country.notna(), settings.holiday_country).to_numpy(),
        index=roster["rep_id"],
        dtype=object,
    )
    return found


def _by_holidays(
    group: pd.DataFrame, countries: pd.Series, settings: PerformanceSettings
) -> list[tuple[BusinessCalendar, pd.DataFrame]]:
    """The rows of `group` per holiday country of their reps, each with its calendar."""
    found = group["rep_id"].map(countries).astype(object)
    keys = found.where(found.notna(), "")  # no country: weekends and company days only
    extra = frozenset(settings.extra_holidays)
    return [
        (BusinessCalendar(str(country) or None, extra), part)
        for country, part in group.groupby(keys.to_numpy(), sort=True)
    ]


def business_calendar(settings: PerformanceSettings) -> BusinessCalendar:
    """The working-day calendar named by the settings (holiday country and company holidays)."""
    return BusinessCalendar(settings.holiday_country, frozenset(settings.extra_holidays))


def week_of_period(days: pd.DatetimeIndex, period: Period) -> np.ndarray[Any, Any]:
    """0 for the period's first seven days, 1 for the next seven, and so on."""
    offsets = (days - pd.Timestamp(period.start)).days.to_numpy()
    weeks: np.ndarray[Any, Any] = offsets // 7
    return weeks


def daily_targets(
    period: Period, target: float, calendar: BusinessCalendar, shape: pd.Series | None = None
) -> pd.Series:
    """`target` spread over the period's business days (the index); the values sum to it.

    `shape` is a relative pace per week of the period (1.0 = an average week), as
    seasonality_shape returns; without it every business day gets the same share. Weeks the
    shape does not know get its average pace.
    """
    weights = day_weights(period, calendar, shape)
    values = target * weights / weights.sum() if len(weights) else weights
    return pd.Series(values, index=weights.index, name="target", dtype=float)


def day_weights(
    period: Period, calendar: BusinessCalendar, shape: pd.Series | None = None
) -> pd.Series:
    """Each business day's relative weight: 1.0 each, or its week's pace under `shape`.

    Unnormalised, so that even pacing sums exactly (whole days, no rounding).
    """
    days = calendar.business_days(period)
    weights: np.ndarray[Any, Any] = np.ones(len(days))
    if shape is not None and len(shape) and len(days):
        pace = shape.astype(float)
        paced = pace.reindex(week_of_period(days, period)).fillna(pace.mean()).to_numpy()
        if np.clip(paced, 0.0, None).sum() > 0:
            weights = np.clip(paced, 0.0, None)
    return pd.Series(weights, index=days, dtype=float)


def weekly_targets(
    period: Period, target: float, calendar: BusinessCalendar, shape: pd.Series | None = None
) -> pd.Series:
    """daily_targets summed per week, indexed by the week's first day (Monday unless the
    fiscal calendar's `week_start` says otherwise); sums to `target`."""
    daily = daily_targets(period, target, calendar, shape)
    weekly = daily.groupby(week_starts(pd.DatetimeIndex(daily.index))).sum()
    weekly.index.name = "week_start"
    return weekly


def seasonality_shape(
    backend: Store,
    metric: str,
    periods: list[Period],
    calendar: BusinessCalendar,
    zone: str = "UTC",
) -> pd.Series:
    """Relative pace per week of period, averaged over past complete `periods` of the company.

    A week's pace is its share of the period's value ÷ its share of the period's business days,
    so 1.0 is an even pace and holiday weeks are not mistaken for slow ones. Periods with no
    value are skipped; empty when none has any (pacing is then even).
    """
    if not periods:
        return pd.Series(dtype=float, name="pace")
    daily = daily_actuals(
        backend, metric, min(p.start for p in periods), max(p.end for p in periods), zone
    )
    per_day = daily.groupby("day")["value"].sum()
    paces = []
    for period in periods:
        values = per_day[pd.Timestamp(period.start) : pd.Timestamp(period.end)]
        total = float(values.sum())
        days = calendar.business_days(period)
        if total <= 0 or not len(days):
            continue
        weeks = week_of_period(pd.DatetimeIndex(values.index), period)
        value_share = values.groupby(weeks).sum() / total
        day_share = pd.Series(1.0, index=week_of_period(days, period)).groupby(level=0).sum()
        day_share /= len(days)
        paces.append(value_share.reindex(day_share.index, fill_value=0.0) / day_share)
    if not paces:
        return pd.Series(dtype=float, name="pace")
    shape = pd.concat(paces, axis=1).mean(axis=1).rename("pace")
    shape.index.name = "week"
    return shape


def previous_periods(period: Period, count: int = SHAPE_PERIODS) -> list[Period]:
    """The `count` periods before `period`: calendar quarters for a quarter, else equal lengths."""
    is_quarter = quarter_of(period.start) == period
    found: list[Period] = []
    for _ in range(count):
        end = (found[-1] if found else period).start - timedelta(days=1)
        found.append(
            quarter_of(end) if is_quarter else Period(end - (period.end - period.start), end)
        )
    return found[::-1]


def pacing(
    backend: Store,
    targets: pd.DataFrame,
    as_of: date,
    settings: PerformanceSettings | None = None,
) -> list[PacingRow]:
    """Pacing of every rep, team and the company in the periods of `targets` containing as_of.

    `targets` is a frame from quota_targets or synthetic_targets: a rep employed for part of
    the period is expected to sell only on the days employed. With settings.seasonal_pacing
    the expectation follows the shape of the SHAPE_PERIODS periods before.
    """
    settings = settings or PerformanceSettings()
    calendar = business_calendar(settings)
    current = targets[(targets["period_start"] <= as_of) & (targets["period_end"] >= as_of)]
    roster = rep_roster(backend)
    names = scope_names(backend, roster)
    team_of = roster.set_index("rep_id")["team_id"]
    countries = rep_holiday_countries(backend, roster, settings)
    rows: list[PacingRow] = []
    for period in periods_in(current):
        for metric, group in in_period(current, period).groupby("metric", sort=True):
            shape = None
            if settings.seasonal_pacing:
                history = previous_periods(period)
                shape = seasonality_shape(
                    backend, str(metric), history, calendar, settings.timezone
                )
            reps = pd.concat(
                [
                    _rep_progress(backend, part, period, as_of, own, shape, settings.timezone)
                    for own, part in _by_holidays(group, countries, settings)
                ],
                ignore_index=True,
            )
            reps["team_id"] = reps["rep_id"].map(team_of)
            left = calendar.count_business_days(as_of + timedelta(days=1), period.end)
            totals = ["target", "expected", "actual", "week_target", "week_actual"]
            for scope, frame in scoped(reps, totals):
                if scope != "rep":
                    frame["days_left"] = left
                paced = _progress(frame, settings)
                rows.extend(_rows(paced, scope, names[scope], period, str(metric), as_of))
    return rows


def _rep_progress(
    backend: Store,
    group: pd.DataFrame,
    period: Period,
    as_of: date,
    calendar: BusinessCalendar,
    shape: pd.Series | None,
    zone: str,
) -> pd.DataFrame:
    """Per rep: target, expected to date over the days employed, actual to date, days left."""
    weights = day_weights(period, calendar, shape)
    days = weights.index.to_numpy().astype("datetime64[D]")
    cumulative = np.concatenate([[0.0], np.cumsum(weights.to_numpy())])
    employed_from = pd.to_datetime(group.get("employed_from", group["period_start"]))
    employed_to = pd.to_datetime(group.get("employed_to", group["period_end"]))
    lo = np.searchsorted(days, employed_from.to_numpy().astype("datetime64[D]"), side="left")
    hi = np.maximum(
        np.searchsorted(days, employed_to.to_numpy().astype("datetime64[D]"), side="right"), lo
    )
    through = np.clip(np.searchsorted(days, np.datetime64(as_of, "D"), side="right"), lo, hi)
    employed = cumulative[hi] - cumulative[lo]
    this_week = max(week_start(as_of), period.start)
    week_end = week_start(as_of) + timedelta(days=6)
    first = np.clip(np.searchsorted(days, np.datetime64(this_week, "D"), side="left"), lo, hi)
    last = np.clip(np.searchsorted(days, np.datetime64(week_end, "D"), side="right"), lo, hi)
    week_share = np.where(
        employed > 0,
        (cumulative[last] - cumulative[first]) / np.where(employed > 0, employed, 1.0),
        0.0,
    )
    share = np.where(
        employed > 0,
        (cumulative[through] - cumulative[lo]) / np.where(employed > 0, employed, 1.0),
        0.0,
    )
    actuals = daily_actuals(backend, str(group["metric"].iloc[0]), period.start, as_of, zone)
    actual = actuals.groupby("rep_id")["value"].sum()
    in_week = actuals[actuals["day"] >= pd.Timestamp(this_week)]
    week_actual = in_week.groupby("rep_id")["value"].sum()
    return pd.DataFrame(
        {
            "rep_id": group["rep_id"].to_numpy(),
            "target": group["target"].astype(float).to_numpy(),
            "expected": group["target"].astype(float).to_numpy() * share,
            "actual": group["rep_id"].map(actual).fillna(0.0).astype(float).to_numpy(),
            "days_left": hi - through,
            "week_target": group["target"].astype(float).to_numpy() * week_share,
            "week_actual": group["rep_id"].map(week_actual).fillna(0.0).astype(float).to_numpy(),
        }
    )


def _progress(frame: pd.DataFrame, settings: PerformanceSettings) -> pd.DataFrame:
    """Gap, pace ratio, remaining target, required daily rate and status from the totals."""
    target = frame["target"].astype(float)
    expected = frame["expected"].astype(float)
    actual = frame["actual"].astype(float)
    days_left = frame["days_left"].astype(int)
    remaining = (target - actual).clip(lower=0.0)
    expected_any = expected > 0
    ratio = (actual / expected.where(expected_any, 1.0)).where(expected_any)
    status = np.select(
        [
            ~expected_any & (actual > 0),
            ~expected_any,
            ratio >= settings.ahead_ratio,
            ratio >= settings.on_pace_ratio,
            ratio >= settings.behind_ratio,
        ],
        ["ahead", "on_pace", "ahead", "on_pace", "behind"],
        "at_risk",
    )
    rate = (remaining / days_left.where(days_left > 0, 1)).where(
        (days_left > 0) | (remaining <= 0), np.nan
    )
    return frame.assign(
        gap=actual - expected,
        ratio=ratio,
        remaining=remaining,
        rate=rate,
        status=status,
    )


def _rows(
    frame: pd.DataFrame,
    scope: Scope,
    names: dict[str, str],
    period: Period,
    metric: str,
    as_of: date,
) -> list[PacingRow]:
    return [
        PacingRow(
            *row_identity(scope, row, names, period.start, period.end),
            metric=metric,
            as_of=as_of,
            target=float(row["target"]),
            expected_to_date=float(row["expected"]),
            actual_to_date=float(row["actual"]),
            gap=float(row["gap"]),
            pace_ratio=optional_number(row["ratio"]),
            remaining_target=float(row["remaining"]),
            business_days_left=int(row["days_left"]),
            required_daily_rate=optional_number(row["rate"]),
            status=row["status"],
            week_start=max(week_start(as_of), period.start),
            week_target=float(row["week_target"]),
            week_actual=float(row["week_actual"]),
        )
        for row in records(frame.sort_values("id"))
    ]
