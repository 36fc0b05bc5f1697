"""The calendar of a demo: its quarters, working days, seasonality and business hours.

Times are held as int64 seconds since 1970-01-01 UTC and days as int64 days since then, so
whole columns are computed with NumPy and become Arrow timestamps without conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

DAY = 86_400
HOUR = 3_600
BURN_IN_DAYS = 150
"""Deals and leads start this long before the window, so its first quarter has a warm pipeline."""

MONTH_SEASON = np.array([0.85, 0.95, 1.0, 1.0, 1.0, 1.0, 0.92, 0.85, 1.0, 1.08, 1.12, 0.95])
"""Annual seasonality of demand by calendar month: slow January and August, busy Q4."""

WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.0, 0.0])
"""Relative selling activity Monday..Sunday."""

WORK_HOURS = np.arange(8, 18)
HOUR_WEIGHT = np.array([0.6, 1.2, 1.3, 1.2, 0.7, 0.9, 1.2, 1.2, 1.0, 0.6])
"""Local business hours 08:00-17:59 and how busy each is (a dip at lunch)."""


def epoch_day(day: date) -> int:
    """Days from 1970-01-01 to `day`."""
    return int(np.datetime64(day, "D").astype(np.int64))


def as_date(day: int) -> date:
    """The calendar date `day` days after 1970-01-01."""
    result: date = np.datetime64(day, "D").astype(date)
    return result


def weekday(days: Ints) -> Ints:
    """Day of week, Monday = 0."""
    return (days + 3) % 7


def month_index(days: Ints) -> Ints:
    """Months since January 1970 for each day."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def quarter_end_day(days: Ints) -> Ints:
    """The last day of the calendar quarter holding each day."""
    months = month_index(days)
    next_quarter = (months - months % 3 + 3).astype("datetime64[M]")
    return next_quarter.astype("datetime64[D]").astype(np.int64) - 1


def holiday_factor(days: Ints) -> Floats:
    """Activity left over the year-end break (24 December to 1 January)."""
    dates = days.astype("datetime64[D]")
    day_in_month = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    month = month_index(days) % 12
    closed = ((month == 11) & (day_in_month >= 24)) | ((month == 0) & (day_in_month == 1))
    return np.where(closed, 0.15, 1.0)


def day_weight(days: Ints) -> Floats:
    """Relative selling activity on each day: weekday rhythm x season x holidays."""
    season = MONTH_SEASON[month_index(days) % 12]
    weight: Floats = WEEKDAY_WEIGHT[weekday(days)] * season * holiday_factor(days)
    return weight


@dataclass(frozen=True)
class Timeline:
    """The quarters a demo covers and the reference date (`as_of`) nothing happens after."""

    as_of: date
    quarter_starts: Ints
    """First day of each covered quarter, plus the first day of the quarter after the last."""

    @classmethod
    def ending(cls, as_of: date, quarters: int) -> Timeline:
        """`quarters` calendar quarters, the last being the (partial) one that holds `as_of`."""
        month = np.datetime64(as_of, "M").astype(np.int64)
        first = month - month % 3 - 3 * (quarters - 1)
        starts = (first + 3 * np.arange(quarters + 1)).astype("datetime64[M]")
        return cls(as_of=as_of, quarter_starts=starts.astype("datetime64[D]").astype(np.int64))

    @property
    def quarters(self) -> int:
        """Number of covered quarters."""
        return len(self.quarter_starts) - 1

    @property
    def window_start(self) -> int:
        """First day of the first covered quarter."""
        return int(self.quarter_starts[0])

    @property
    def generation_start(self) -> int:
        """First day on which leads and deals are generated (before the window: burn-in)."""
        return self.window_start - BURN_IN_DAYS

    @property
    def cutoff_day(self) -> int:
        """The as_of day; every recorded event happens before it starts."""
        return epoch_day(self.as_of)

    @property
    def cutoff(self) -> int:
        """as_of 00:00:00 UTC in seconds."""
        return self.cutoff_day * DAY

    @property
    def current_quarter_start(self) -> int:
        """First day of the quarter holding as_of."""
        return int(self.quarter_starts[-2])

    @property
    def onset(self) -> int:
        """First day on which planted causes act: two quarters before the current one."""
        return int(self.quarter_starts[max(0, self.quarters - 3)])

    def quarter_of(self, days: Ints) -> Ints:
        """Index of the covered quarter holding each day; -1 before the window."""
        index: Ints = np.searchsorted(self.quarter_starts, days, side="right").astype(np.int64)
        return index - 1

    def generation_days(self) -> Ints:
        """Every day from the generation start up to the day before as_of."""
        return np.arange(self.generation_start, self.cutoff_day, dtype=np.int64)


def business_time(rng: np.random.Generator, local_days: Ints, utc_offset: Ints) -> Ints:
    """A moment in local business hours on each local day, returned in UTC seconds."""
    hours = rng.choice(WORK_HOURS, size=local_days.size, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    seconds = rng.integers(0, HOUR // 60, size=local_days.size) * 60
    moments: Ints = local_days * DAY + hours * HOUR + seconds - utc_offset * HOUR
    return moments


def snap_to_business(rng: np.random.Generator, moments: Ints, utc_offset: Ints) -> Ints:
    """Move each moment into local business hours of a working day; never earlier.

    Moments already inside stay; early mornings move later the same day, evenings to the
    next working day and weekends to Monday.
    """
    local = moments + utc_offset * HOUR
    days = local // DAY
    seconds = local - days * DAY
    day_of_week = weekday(days)
    weekend = day_of_week >= 5
    late = ~weekend & (seconds >= 18 * HOUR)
    inside = ~weekend & ~late & (seconds >= WORK_HOURS[0] * HOUR)
    target = days + np.select(
        [day_of_week == 5, day_of_week == 6, late & (day_of_week == 4), late], [2, 1, 3, 1], 0
    )
    return np.where(inside, moments, business_time(rng, target, utc_offset))


def demand_weight(days: Ints) -> Floats:
    """Relative inbound lead volume per day: like day_weight, but forms arrive at weekends too."""
    season = MONTH_SEASON[month_index(days) % 12]
    weight: Floats = np.where(weekday(days) >= 5, 0.25, 1.0) * season * holiday_factor(days)
    return weight


def sample_days(rng: np.random.Generator, weights: Floats, counts: Ints) -> tuple[Ints, Ints]:
    """Draw counts[r] day indices for each row r of `weights` (rows x days), by weight.

    Returns the row and day index of every draw, rows in order; fully vectorised by searching
    the row-normalised cumulative weights laid end to end.
    """
    rows, width = weights.shape
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1:]
    cumulative = cumulative / np.where(total > 0, total, 1.0) + np.arange(rows)[:, None]
    row = np.repeat(np.arange(rows), counts)
    position = np.searchsorted(cumulative.ravel(), row + rng.random(row.size) * (1 - 1e-9), "right")
    return row.astype(np.int64), (position - row * width).astype(np.int64)


def lognormal(rng: np.random.Generator, median: float | Floats, sigma: float, size: int) -> Floats:
    """Positive durations around `median` (same unit), spread by `sigma` (log scale)."""
    return np.asarray(median * np.exp(sigma * rng.standard_normal(size)), dtype=np.float64)
