"""What every detector needs, computed once: the window, the roster, the performance report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd

from attain.diagnosis.settings import WINDOW_DAYS
from attain.leads.icp import IcpSettings
from attain.metrics.facts import local_time
from attain.metrics.periods import Period
from attain.metrics.report import PerformanceReport, performance_report
from attain.metrics.settings import PerformanceSettings
from attain.metrics.targets import SELLING_ROLE, rep_roster


@dataclass(frozen=True)
class DiagnosisContext:
    """Shared inputs of the detectors for one as-of date."""

    backend: Any
    as_of: date
    """The day behaviour is measured on: the report's as-of, or the data's last day when the
    as-of is later (days after the data ends are not days without activity)."""
    window: Period
    """The recent days whose behaviour is diagnosed: [as_of - window_days, as_of - 1]."""
    performance: PerformanceSettings
    icp: IcpSettings
    report: PerformanceReport
    """Pacing, coverage, classification, goal checks, ratcheting and early warnings."""
    roster: pd.DataFrame
    """rep_id, name, team_id, role, hire_date, end_date of everyone in reps."""
    sellers: tuple[str, ...]
    """Selling reps (role rep) employed on as_of and through the whole window."""
    top_performers: frozenset[str]
    """Reps classified top_performer: the benchmark other reps are compared with."""

    def in_window(self, column: Any) -> Any:
        """Ibis boolean: the timestamp `column` falls on a day of the window, in local time."""
        return self.between(column, self.window.start, self.window.end)

    def between(self, column: Any, first: date, last: date) -> Any:
        """Ibis boolean: the timestamp `column` falls on a day in [first, last], in local time."""
        local = local_time(column, self.performance.timezone, first, last)
        start = datetime.combine(first, time.min)
        stop = datetime.combine(last + timedelta(days=1), time.min)
        return (local >= start) & (local < stop)

    @property
    def instants(self) -> tuple[datetime, datetime]:
        """The window as [start, stop) instants, midnight to midnight on the timestamps as
        stored (`in_window` reads them in local time): stop is as_of at midnight."""
        start = datetime.combine(self.window.start, time.min)
        return start, datetime.combine(self.window.end + timedelta(days=1), time.min)

    def closed_deals(self) -> Any:
        """Ibis table: the deals closed, won or lost, in the window (by `instants`)."""
        start, stop = self.instants
        deals = self.backend.table("opportunities")
        return deals.filter(
            deals.is_won.notnull(), deals.closed_at >= start, deals.closed_at < stop
        )

    def won_and_closed(self) -> dict[str, tuple[int, int]]:
        """Per deal owner: deals won and deals closed in the window (`closed_deals`)."""
        closed = self.closed_deals()
        expr = closed.group_by(rep_id=closed.owner_rep_id).aggregate(
            won=closed.count(where=closed.is_won), closed=closed.count()
        )
        frame: pd.DataFrame = self.backend.execute(expr)
        return {
            str(rep): (int(won), int(count))
            for rep, won, count in zip(frame["rep_id"], frame["won"], frame["closed"], strict=True)
        }

    def counts(self, expr: Any) -> dict[str, tuple[int, int]]:
        """(n, k) per rep_id from an Ibis aggregate with columns rep_id, n and k: the per-rep
        counts `share_signal` and `pooled_share` take."""
        return {
            str(row["rep_id"]): (int(row["n"]), int(row["k"]))
            for row in self.backend.execute(expr).to_dict("records")
        }

    def benchmark(self, pooled: Callable[[list[str]], int], minimum: int) -> tuple[list[str], str]:
        """The sellers a rep is compared with, and who they are: the top performers when
        `pooled(top)` (their leads or deals together) reaches `minimum`, else all sellers."""
        top = sorted(self.top_performers & set(self.sellers))
        if pooled(top) >= minimum:
            return top, "top performers"
        return list(self.sellers), "all selling reps"

    def targets(self) -> dict[str, float]:
        """Each rep's bookings target for the current period (pro-rated), by rep_id."""
        return {
            row.id: row.target
            for row in self.report.pacing
            if row.scope == "rep" and row.metric == "bookings"
        }


def build_context(
    backend: Any,
    *,
    as_of: date | None = None,
    performance: PerformanceSettings | None = None,
    icp: IcpSettings | None = None,
    target: float | None = None,
    window_days: int = WINDOW_DAYS,
    report: PerformanceReport | None = None,
) -> DiagnosisContext:
    """Compute the performance report and the window once for all detectors.

    `report`: the performance report as of `as_of` with these settings and target, when the
    caller has it already (the web app caches it), so it is not computed again."""
    performance = performance or PerformanceSettings()
    if report is None:
        report = performance_report(backend, performance, as_of=as_of, target=target)
    as_of = report.measured_on or report.as_of  # the report's notes say when it differs
    window = Period(as_of - timedelta(days=window_days), as_of - timedelta(days=1))
    roster = rep_roster(backend)
    hired = pd.to_datetime(roster["hire_date"])
    ended = pd.to_datetime(roster["end_date"])
    active = (
        (roster["role"] == SELLING_ROLE)
        & (hired.isna() | (hired <= pd.Timestamp(window.start)))
        & (ended.isna() | (ended >= pd.Timestamp(as_of)))
    )
    return DiagnosisContext(
        backend=backend,
        as_of=as_of,
        window=window,
        performance=performance,
        icp=icp or IcpSettings(),
        report=report,
        roster=roster,
        sellers=tuple(sorted(roster.loc[active, "rep_id"].astype(str))),
        top_performers=frozenset(
            c.rep_id for c in report.classification if c.performance_class == "top_performer"
        ),
    )
