"""Quota periods, the company's fiscal calendar and business-day calendars (weekends and public
holidays per country).

Every period computation goes through this module: `quarter_of` and `quarters_between` give
the quarters of the calendar in force (`FiscalCalendar`, from `[calendar]` in attain.toml, set
once per process by `configure_calendar`), and `Period.label` and `parse_quarter` name them
(`2026-Q4` for calendar quarters, `FY2027-Q1` for a fiscal year that is not the calendar year).
Two kinds of fiscal quarter are kept:

- **months**: quarters of three months from `start_month` (February: Feb–Apr, May–Jul, ...);
- **4-4-5, 4-5-4, 5-4-4**: quarters of 13 whole weeks (4, 4 and 5 weeks a month in some order),
  in a 52- or 53-week year ending on the last week-end day of the month before `start_month`
  (`year_end = "last"`), or the one nearest that month's end (`"nearest"`); a 53rd week joins
  the fourth quarter.

A fiscal year is named after the calendar year it ends in (a year from February 2026 to
January 2027 is FY2027).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
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
        """'2026-Q4' for a calendar quarter, 'FY2027-Q1' for a fiscal one, else 'start..end'."""
        return _CALENDAR[0].label(self)

    def contains(self, day: date) -> bool:
        """Whether `day` falls inside the period."""
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        """Calendar days in the period."""
        return (self.end - self.start).days + 1


QuarterPattern = Literal["months", "4-4-5", "4-5-4", "5-4-4"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class FiscalCalendar:
    """How the company counts its years and quarters (see the module)."""

    start_month: int = 1
    """The fiscal year's first month (1: January, the calendar year)."""
    pattern: QuarterPattern = "months"
    week_start: str = "monday"
    """The first day of a week (weekly pacing; the week-based quarters' weeks)."""
    year_end: Literal["last", "nearest"] = "last"
    """Week-based years: end on the last week-end day of the month before `start_month`, or on
    the one nearest that month's end."""
    business_hours: tuple[int, int] | None = None
    """Working hours (9, 17): response times count only these hours of business days in the
    rep's own time zone; None: they count every hour."""

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ConfigError(f"[calendar] start_month must be 1 to 12, not {self.start_month}")
        if self.week_start not in WEEKDAYS:
            raise ConfigError(f"[calendar] week_start must be one of {', '.join(WEEKDAYS)}")
        if self.business_hours is not None and not (
            0 <= self.business_hours[0] < self.business_hours[1] <= 24
        ):
            raise ConfigError(
                "[calendar] business_hours must be [open, close], 0 <= open < close <= 24"
            )

    @property
    def is_calendar_year(self) -> bool:
        return self.start_month == 1 and self.pattern == "months"

    def quarter_of(self, day: date) -> Period:
        """The fiscal quarter containing `day`."""
        if self.pattern == "months":
            offset = (day.month - self.start_month) % 12
            first = _add_months(date(day.year, day.month, 1), -(offset % 3))
            return Period(first, _add_months(first, 3) - timedelta(days=1))
        start, end = self.year_of(day)
        index = min((day - start).days // 91, 3)
        first = start + timedelta(days=91 * index)
        return Period(first, end if index == 3 else first + timedelta(days=90))

    def year_of(self, day: date) -> tuple[date, date]:
        """First and last day of the fiscal year containing `day`."""
        if self.pattern == "months":
            first = date(day.year - (day.month < self.start_month), self.start_month, 1)
            return first, _add_months(first, 12) - timedelta(days=1)
        ends = [self._year_end(year) for year in (day.year - 1, day.year, day.year + 1)]
        for before, end in itertools.pairwise(ends):
            if before < day <= end:
                return before + timedelta(days=1), end
        raise AssertionError(f"no fiscal year holds {day}")  # the three years cover any day

    def fiscal_year(self, day: date) -> int:
        """The fiscal year's name: the calendar year it ends in."""
        return self.year_of(day)[1].year

    def label(self, period: Period) -> str:
        """'2026-Q4' or 'FY2027-Q1' for a quarter of this calendar, else 'start..end'."""
        if self.quarter_of(period.start) != period:
            return f"{period.start}..{period.end}"
        number = _index(self, period) + 1
        if self.is_calendar_year:
            return f"{period.start.year}-Q{number}"
        return f"FY{self.fiscal_year(period.start)}-Q{number}"

    def quarter(self, year: int, number: int) -> Period:
        """Quarter `number` (1-4) of fiscal year `year` (named by the year it ends in)."""
        if self.is_calendar_year:
            return self.quarter_of(date(year, 3 * number - 2, 1))
        last_day = (
            date(year, self.start_month, 1) - timedelta(days=1)
            if self.pattern == "months"
            else self._year_end(year)
        )
        first, _ = self.year_of(last_day)
        day = first
        for _ in range(number - 1):
            day = self.quarter_of(day).end + timedelta(days=1)
        return self.quarter_of(day)

    def _year_end(self, year: int) -> date:
        """The last day of the week-based fiscal year ending in calendar year `year`."""
        month_end = date(year, self.start_month, 1) - timedelta(days=1)
        if self.start_month == 1:
            month_end = date(year, 12, 31)
        last_weekday = (WEEKDAYS.index(self.week_start) - 1) % 7
        back = (month_end.weekday() - last_weekday) % 7
        end = month_end - timedelta(days=back)
        if self.year_end == "nearest" and back > 3:
            end += timedelta(days=7)
        return end


def _index(calendar: FiscalCalendar, period: Period) -> int:
    """Which quarter of its fiscal year `period` is, from 0."""
    first, _ = calendar.year_of(period.start)
    day, index = first, 0
    while calendar.quarter_of(day) != period:
        day = calendar.quarter_of(day).end + timedelta(days=1)
        index += 1
    return index


def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s (day is a first of the month)."""
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


CALENDAR_QUARTERS = FiscalCalendar()
_CALENDAR = [CALENDAR_QUARTERS]
"""The calendar in force in this process (one item, replaced by configure_calendar)."""


def configure_calendar(calendar: FiscalCalendar) -> None:
    """Make `calendar` the one every period computation of this process uses."""
    _CALENDAR[0] = calendar


def active_calendar() -> FiscalCalendar:
    """The calendar in force."""
    return _CALENDAR[0]


@contextmanager
def use_calendar(calendar: FiscalCalendar) -> Iterator[FiscalCalendar]:
    """`calendar` in force for the block, the previous one after it."""
    before = _CALENDAR[0]
    _CALENDAR[0] = calendar
    try:
        yield calendar
    finally:
        _CALENDAR[0] = before


QUARTER_TEXT = re.compile(r"(FY)?(\d{4})-?Q([1-4])", re.IGNORECASE)


def parse_quarter(text: str) -> Period | None:
    """The quarter `text` names ('2026-Q4', '2026Q4', 'FY2027-Q1'), in the calendar in force;
    None when it names none."""
    found = QUARTER_TEXT.fullmatch(text.strip())
    if found is None:
        return None
    return _CALENDAR[0].quarter(int(found[2]), int(found[3]))


def quarter_of(day: date) -> Period:
    """The quarter (of the calendar in force) containing `day`."""
    return _CALENDAR[0].quarter_of(day)


def week_start(day: date) -> date:
    """The first day of the week (of the calendar in force: `week_start`) containing `day`."""
    first = WEEKDAYS.index(_CALENDAR[0].week_start)
    return day - timedelta(days=(day.weekday() - first) % 7)


def week_starts(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """`week_start` of each day, at once."""
    import numpy as np
    import pandas as pd

    first = WEEKDAYS.index(_CALENDAR[0].week_start)
    back = (np.asarray(days.day_of_week) - first) % 7
    return days - pd.to_timedelta(back, unit="D")


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
        import holidays

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
        import numpy as np
        import pandas as pd

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
    import pandas as pd

    return pd.to_datetime(column).dt.date


def business_hours_between(
    start: pd.Series,
    end: pd.Series,
    zones: pd.Series,
    hours: tuple[int, int],
    calendar: BusinessCalendar | None = None,
) -> np.ndarray[Any, Any]:
    """Working hours from each `start` to `end` (naive UTC timestamps), counted in each row's
    time zone (`zones`, IANA names): only hours `hours[0]` to `hours[1]` of business days
    (weekdays less `calendar`'s holidays). 0 where `end` is not after `start`.

    Each instant's position on a clock of working hours since 1970 is the business days before
    its local day × the working day's length, plus the working hours gone on its own day; the
    answer is the difference of the two positions, computed for all rows at once per zone.
    """
    import numpy as np
    import pandas as pd

    result = np.zeros(len(start), dtype=float)
    if not len(start):
        return result
    # Holidays from the first start to the last end (a day either side for time zones): those
    # before every start count in both positions alike, so only these change a difference.
    holidays: list[date] = []
    if calendar is not None:
        first_day = pd.to_datetime(start).min().date() - timedelta(days=1)
        last_day = pd.to_datetime(end).max().date() + timedelta(days=1)
        holidays = sorted(calendar.holidays_in(Period(first_day, max(first_day, last_day))))
    for zone, rows in pd.Series(range(len(start))).groupby(zones.fillna("UTC").to_numpy()):
        index = rows.to_numpy()
        first = _working_clock(start.iloc[index], str(zone), hours, holidays)
        last = _working_clock(end.iloc[index], str(zone), hours, holidays)
        result[index] = np.maximum(last - first, 0.0)
    return result


def _working_clock(
    moments: pd.Series, zone: str, hours: tuple[int, int], holidays: list[date]
) -> np.ndarray[Any, Any]:
    """Working hours from 1970-01-01 to each moment, on the clock of `zone`."""
    import numpy as np
    import pandas as pd

    local = pd.to_datetime(moments).dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
    days = local.dt.normalize().to_numpy().astype("datetime64[D]")
    before = np.busday_count(np.datetime64("1970-01-01"), days, holidays=holidays)
    open_, close = hours
    into = (local - local.dt.normalize()).dt.total_seconds().to_numpy() / 3600.0
    today = np.clip(into - open_, 0.0, close - open_)
    working = np.is_busday(days, holidays=holidays)
    return before * (close - open_) + np.where(working, today, 0.0)
