"""New-hire ramp: bookings and activities by month since hire, against the cohort median.

Month 1 of a rep is the month from their hire date (e.g. 15 Jan to 14 Feb); only months
completed by as_of count, up to `ramp_months`. A rep's cohort is the reps hired in the same
calendar quarter, or every rep when fewer than `ramp_min_cohort` were. A rep is behind when
their bookings since hire, at their latest completed month, are below `ramp_behind_ratio` of
the cohort's median at the same month (among cohort reps who reached it, themselves included).
Reps hired before the store's first activity are left out: their early months are not in the
data.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd

from attain.access import Visibility, sees
from attain.metrics.facts import daily_actuals
from attain.metrics.periods import quarter_of
from attain.metrics.targets import rep_roster
from attain.store.handle import Store
from attain.workflow.coverage import coached_reps
from attain.workflow.settings import WorkflowSettings


def add_months(day: date, months: int) -> date:
    """`day` plus `months` months, on the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_since_hire(hired: date, day: date) -> int:
    """The 1-based month since hire that `day` falls in (0 or less before the hire date)."""
    months = (day.year - hired.year) * 12 + day.month - hired.month
    if day < add_months(hired, months):
        months -= 1
    return months + 1


def completed_months(hired: date, as_of: date) -> int:
    """Months since hire completed by the end of `as_of`."""
    done = 0
    while add_months(hired, done + 1) <= date.fromordinal(as_of.toordinal() + 1):
        done += 1
    return done


@dataclass(frozen=True)
class RampMonth:
    """One month since hire: the rep's numbers and the cohort's medians."""

    month: int
    bookings: float
    activities: float
    cumulative_bookings: float
    cohort_median_bookings: float
    cohort_median_activities: float
    cohort_median_cumulative_bookings: float
    cohort_reps: int
    """Cohort reps who completed this month (the medians are theirs)."""


@dataclass(frozen=True)
class RampRow:
    """A rep's ramp curve against their cohort, and whether they are behind."""

    rep_id: str
    hire_date: date
    cohort: str
    """'2026-Q1' (hired that quarter) or 'all reps' (the quarter's cohort was too small)."""
    months: list[RampMonth]
    behind: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        data = asdict(self)
        data["hire_date"] = self.hire_date.isoformat()
        return data


def _monthly(frame: pd.DataFrame, hires: Mapping[str, date]) -> dict[tuple[str, int], float]:
    totals: dict[tuple[str, int], float] = {}
    for rep, day, value in zip(
        frame["rep_id"].astype(str), pd.to_datetime(frame["day"]), frame["value"], strict=True
    ):
        if rep in hires:
            month = month_since_hire(hires[rep], day.date())
            if month >= 1:
                totals[(rep, month)] = totals.get((rep, month), 0.0) + float(value)
    return totals


def ramp_table(
    hires: Mapping[str, date],
    bookings: pd.DataFrame,
    activities: pd.DataFrame,
    as_of: date,
    settings: WorkflowSettings | None = None,
) -> list[RampRow]:
    """Ramp curves of the reps in `hires` (rep id → hire date) from daily bookings and
    activities (columns rep_id, day, value) (pure); reps behind first, then by hire date."""
    settings = settings or WorkflowSettings()
    booked = _monthly(bookings, hires)
    active = _monthly(activities, hires)
    reach = {rep: min(completed_months(h, as_of), settings.ramp_months) for rep, h in hires.items()}
    cumulative: dict[tuple[str, int], float] = {}
    for rep in hires:
        running = 0.0
        for month in range(1, reach[rep] + 1):
            running += booked.get((rep, month), 0.0)
            cumulative[(rep, month)] = running
    quarters: dict[str, list[str]] = {}
    for rep, hired in hires.items():
        quarters.setdefault(quarter_of(hired).label, []).append(rep)
    rows = []
    for rep, hired in hires.items():
        label = quarter_of(hired).label
        cohort = quarters[label]
        if len(cohort) < settings.ramp_min_cohort:
            label, cohort = "all reps", list(hires)
        months = []
        for month in range(1, reach[rep] + 1):
            peers = [r for r in cohort if reach[r] >= month]
            months.append(
                RampMonth(
                    month=month,
                    bookings=booked.get((rep, month), 0.0),
                    activities=active.get((rep, month), 0.0),
                    cumulative_bookings=cumulative[(rep, month)],
                    cohort_median_bookings=statistics.median(
                        booked.get((r, month), 0.0) for r in peers
                    ),
                    cohort_median_activities=statistics.median(
                        active.get((r, month), 0.0) for r in peers
                    ),
                    cohort_median_cumulative_bookings=statistics.median(
                        cumulative[(r, month)] for r in peers
                    ),
                    cohort_reps=len(peers),
                )
            )
        behind, reason = False, ""
        # A cohort of one at this month is the rep alone: their own median, nothing to compare.
        if months and months[-1].cohort_reps >= 2:
            last = months[-1]
            bar = settings.ramp_behind_ratio * last.cohort_median_cumulative_bookings
            if last.cumulative_bookings < bar:
                behind = True
                reason = (
                    f"{last.cumulative_bookings:,.0f} booked in {last.month} month(s) since "
                    f"hire against a cohort median of "
                    f"{last.cohort_median_cumulative_bookings:,.0f} ({label})"
                )
        rows.append(RampRow(rep, hired, label, months, behind, reason))
    rows.sort(key=lambda row: (not row.behind, row.hire_date, row.rep_id))
    return rows


def store_ramp(
    backend: Store,
    as_of: date,
    *,
    settings: WorkflowSettings | None = None,
    zone: str = "UTC",
    scope: Visibility | None = None,
) -> list[RampRow]:
    """Ramp curves of the selling reps employed on as_of and hired since the store's first
    activity (the cohort medians use all of them; rows only for reps the scope sees)."""
    activities = backend.table("activities")
    first_seen = backend.execute(activities.occurred_at.min())
    if first_seen is None or pd.isna(first_seen):
        return []
    data_start = pd.Timestamp(first_seen).date()
    hires = {
        rep.rep_id: rep.hire_date
        for rep in coached_reps(rep_roster(backend), as_of)
        if rep.hire_date is not None and data_start <= rep.hire_date <= as_of
    }
    if not hires:
        return []
    first = min(hires.values())
    rows = ramp_table(
        hires,
        daily_actuals(backend, "bookings", first, as_of, zone),
        daily_actuals(backend, "activities", first, as_of, zone),
        as_of,
        settings,
    )
    return [row for row in rows if sees(scope, row.rep_id)]
