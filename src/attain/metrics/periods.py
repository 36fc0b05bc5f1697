"""Quota periods and business-day calendars (weekends and public holidays per country)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np
import pandas as pd

from attain.errors import ConfigError


@dataclass(frozen=True, order=True)
class Period:
    """A quota period, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def label(self) -> str:
        """'2026-Q4' for calendar quarters, else 'start..end'."""
        quarter = quarter_of(self.start)
        if quarter == self:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start}..{self.end}"

    def contains(self, day: date) -> bool:
        """Whether `day` falls inside the period."""
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        """Calendar days in the period."""
        return (self.end - self.start).days + 1


def quarter_of(day: date) -> Period:
    """The calendar quarter containing `day`."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return Period(start, next_start - timedelta(days=1))


def quarters_between(first: date, last: date) -> list[Period]:
    """Every calendar quarter that overlaps [first, last], in order."""
    periods = [quarter_of(first)]
    while periods[-1].end < last:
        periods.append(quarter_of(periods[-1].end + timedelta(days=1)))
    return periods


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days: Monday to Friday, less the public holidays of `country` and `extra_holidays`.

    `country` is an ISO 3166 code understood by the `holidays` package (e.g. "US", "GB", "DE");
    None means weekends only.
    """

    country: str | None = None
    extra_holidays: frozenset[date] = frozenset()

    def holidays_in(self, period: Period) -> frozenset[date]:
        """Public and extra holidays that fall inside `period`."""
        found = {day for day in self.extra_holidays if period.contains(day)}
        if self.country is not None:
            years = range(period.start.year, period.end.year + 1)
            try:
                public = holidays.country_holidays(self.country, years=years)
            except NotImplementedError:
                raise ConfigError(
                    f"unknown holiday country {self.country!r}; use an ISO code such as US or GB"
                ) from None
            found |= {day for day in public if period.contains(day)}
        return frozenset(found)

    def business_days(self, period: Period) -> pd.DatetimeIndex:
        """The working days of `period`, in order."""
        days = pd.date_range(period.start, period.end, freq="D")
        keep = np.asarray(days.day_of_week < 5)
        excluded = self.holidays_in(period)
        if excluded:
            keep &= ~days.normalize().isin(pd.to_datetime(sorted(excluded)))
        return days[keep]

    def count_business_days(self, first: date, last: date) -> int:
        """Working days in [first, last]; 0 when last is before first."""
        if last < first:
            return 0
        return len(self.business_days(Period(first, last)))


def as_dates(column: pd.Series) -> pd.Series:
    """A column of dates, datetimes or timestamps as datetime.date values."""
    return pd.to_datetime(column).dt.date
