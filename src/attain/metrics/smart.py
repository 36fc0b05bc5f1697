"""SMART goal checks: is each goal Specific, Measurable, Achievable, Relevant and Time-bound?

Goals are quota rows in force or goals set in the app. Each letter passes or fails with one
line that carries its numbers, so a manager sees why a target is, say, not achievable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from attain.metrics.facts import is_countable
from attain.metrics.periods import as_dates
from attain.metrics.settings import PerformanceSettings
from attain.store.handle import Store

Letter = Literal["S", "M", "A", "R", "T"]

MAX_GOAL_DAYS = 366
"""A goal's period may last at most a year (a leap year included)."""

_FACTS: dict[str, tuple[str, tuple[str, ...] | None, str]] = {
    "bookings": ("opportunities", None, "won deals"),
    "new_logos": ("opportunities", None, "won deals"),
    "opportunities_created": ("opportunities", None, "opportunities"),
    "pipeline_created": ("opportunities", None, "opportunities"),
    "meetings": ("activities", ("meeting", "demo"), "meeting or demo activities"),
    "calls": ("activities", ("call",), "call activities"),
    "activities": ("activities", None, "activities"),
}
"""Per metric: the table its facts come from, the activity types counted, and their name."""


@dataclass(frozen=True)
class Goal:
    """A goal to check: who owns it, what is counted, how much, and over which days."""

    owners: tuple[str, ...]
    metrics: tuple[str, ...]
    target: float | None
    period_start: date | None
    period_end: date | None
    label: str = ""


@dataclass(frozen=True)
class LetterCheck:
    """One SMART letter: passed (None when it cannot be judged) and the reason, with numbers."""

    letter: Letter
    passed: bool | None
    reason: str


@dataclass(frozen=True)
class SmartCheck:
    """A goal with its five letter checks; smart when no letter failed."""

    goal: Goal
    letters: tuple[LetterCheck, ...]
    smart: bool


def quota_goals(attainment: pd.DataFrame, as_of: date) -> list[Goal]:
    """The quota targets in force on `as_of`, one goal per rep, period and metric."""
    rows = attainment.assign(start=as_dates(attainment["period_start"]))
    rows = rows.assign(end=as_dates(rows["period_end"]))
    rows = rows[(rows["start"] <= as_of) & (rows["end"] >= as_of)]
    return [
        Goal((str(rep),), (str(metric),), float(target), start, end, f"{rep} {metric} quota")
        for rep, metric, target, start, end in zip(
            rows["rep_id"].tolist(),
            rows["metric"].tolist(),
            rows["target"].tolist(),
            rows["start"].tolist(),
            rows["end"].tolist(),
            strict=True,
        )
    ]


def check_goals(
    backend: Store,
    goals: list[Goal],
    attainment: pd.DataFrame,
    as_of: date,
    settings: PerformanceSettings | None = None,
) -> list[SmartCheck]:
    """Check every goal letter by letter against the store and the attainment history.

    Achievable compares each goal with the completed periods of `attainment` before as_of.
    """
    settings = settings or PerformanceSettings()
    history = _history(attainment, as_of)
    growth = _growth(history)
    present = {metric: _fact_rows(backend, metric) for metric in _FACTS}
    benchmarks: dict[tuple[str, date], _Benchmark] = {}
    checks = []
    for goal in goals:
        letters = (
            _specific(goal),
            _measurable(goal, present),
            _achievable(goal, history, growth, settings.achievable_percentile, benchmarks),
            _relevant(goal, settings.priority_metrics),
            _time_bound(goal),
        )
        checks.append(SmartCheck(goal, letters, all(c.passed is not False for c in letters)))
    return checks


def _specific(goal: Goal) -> LetterCheck:
    owners, metrics = len(goal.owners), len(goal.metrics)
    if owners == 1 and metrics == 1:
        return LetterCheck("S", True, f"one owner ({goal.owners[0]}) and one metric")
    return LetterCheck(
        "S", False, f"{owners} owners and {metrics} metrics; a goal needs exactly one of each"
    )


def _measurable(goal: Goal, present: dict[str, int]) -> LetterCheck:
    if not goal.metrics:
        return LetterCheck("M", False, "no metric to measure")
    problems = []
    for metric in goal.metrics:
        if not is_countable(metric) or metric not in _FACTS:
            problems.append(f"{metric} cannot be counted from the CRM facts")
        elif present[metric] == 0:
            problems.append(f"{metric} needs {_FACTS[metric][2]} and the store has none")
    if problems:
        return LetterCheck("M", False, "; ".join(problems))
    counts = ", ".join(f"{present[m]:,} {_FACTS[m][2]}" for m in goal.metrics)
    return LetterCheck("M", True, f"counted from {counts}")


@dataclass(frozen=True)
class _Benchmark:
    """What goals on one metric starting on one day are compared with."""

    previous: dict[Any, dict[str, Any]]
    """Each rep's last completed period before the goal starts (a row as a dict), by rep_id."""
    latest: pd.DataFrame
    """Full periods of every rep in the last completed period before the goal starts."""
    growth_limit: float | None
    """The percentile of period-over-period growth that reps achieved."""


def _benchmark(
    history: pd.DataFrame, growth: pd.DataFrame, metric: str, start: date, percentile: float
) -> _Benchmark:
    rows = history[(history["metric"] == metric) & (history["end"] < start)]
    previous = rows.sort_values("end").groupby("rep_id").tail(1).set_index("rep_id")
    by_rep: dict[Any, dict[str, Any]] = {
        rep: {str(column): value for column, value in row.items()}
        for rep, row in previous.to_dict("index").items()
    }
    latest = rows[(rows["end"] == rows["end"].max()) & ~rows["prorated"]]
    achieved = growth.loc[growth["metric"] == metric, "growth"]
    limit = float(np.quantile(achieved, percentile)) if len(achieved) else None
    return _Benchmark(by_rep, latest, limit)


def _achievable(
    goal: Goal,
    history: pd.DataFrame,
    growth: pd.DataFrame,
    percentile: float,
    benchmarks: dict[tuple[str, date], _Benchmark],
) -> LetterCheck:
    if len(goal.owners) != 1 or len(goal.metrics) != 1:
        return LetterCheck("A", None, "cannot judge a goal without one owner and one metric")
    if goal.target is None or goal.period_start is None or goal.period_end is None:
        return LetterCheck("A", None, "cannot judge a goal without a target and a period")
    rep, metric = goal.owners[0], goal.metrics[0]
    key = (metric, goal.period_start)
    if key not in benchmarks:
        benchmarks[key] = _benchmark(history, growth, metric, goal.period_start, percentile)
    bench = benchmarks[key]
    if not bench.previous:
        return LetterCheck("A", None, f"no completed {metric} periods before the goal to compare")
    days = (goal.period_end - goal.period_start).days + 1
    share = f"{percentile:.0%}"
    previous = bench.previous.get(rep)
    if previous is not None and previous["actual"] > 0 and not previous["prorated"]:
        if bench.growth_limit is None:
            return LetterCheck("A", None, f"no period-over-period {metric} growth to compare")
        needed = goal.target / days / previous["rate"]
        limit = bench.growth_limit
        reason = (
            f"needs {needed:.1f}× last period's {previous['actual']:,.0f}; "
            f"{share} of reps grew ≤ {limit:.1f}×"
        )
        return LetterCheck("A", bool(needed <= limit + 1e-9), reason)
    latest = bench.latest[bench.latest["rep_id"] != rep]
    if latest.empty:
        return LetterCheck("A", None, f"no peers with a full {metric} period to compare")
    limit = float(np.quantile(latest["rate"], percentile)) * days
    reason = (
        f"no previous {metric} for {rep}: target {goal.target:,.0f}; {share} of peers did "
        f"≤ {limit:,.0f} over {days} days in the last period"
    )
    return LetterCheck("A", bool(goal.target <= limit + 1e-9), reason)


def _relevant(goal: Goal, priorities: tuple[str, ...]) -> LetterCheck:
    off = [metric for metric in goal.metrics if metric not in priorities]
    if off or not goal.metrics:
        return LetterCheck(
            "R",
            False,
            f"{', '.join(off) or 'no metric'} is not a priority ({', '.join(priorities)})",
        )
    return LetterCheck("R", True, f"{', '.join(goal.metrics)} is a company priority")


def _time_bound(goal: Goal) -> LetterCheck:
    start, end = goal.period_start, goal.period_end
    if start is None or end is None:
        return LetterCheck("T", False, "no start or end date")
    if end < start:
        return LetterCheck("T", False, f"ends ({end}) before it starts ({start})")
    days = (end - start).days + 1
    if days > MAX_GOAL_DAYS:
        return LetterCheck("T", False, f"lasts {days} days; a goal should end within a year")
    return LetterCheck("T", True, f"{start} to {end} ({days} days)")


def _history(attainment: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Completed rep periods with their length and actual per day."""
    rows = attainment.assign(
        start=as_dates(attainment["period_start"]),
        end=as_dates(attainment["period_end"]),
        actual=pd.to_numeric(attainment["actual"], errors="coerce").fillna(0.0),
        prorated=attainment["prorated"].fillna(False).astype(bool),
    )
    rows = rows[rows["end"] < as_of]
    length = pd.to_datetime(rows["end"]) - pd.to_datetime(rows["start"])
    rows = rows.assign(days=length.dt.days + 1)
    return rows.assign(rate=rows["actual"] / rows["days"])


def _growth(history: pd.DataFrame) -> pd.DataFrame:
    """Each rep's actual per day over the one in their previous period, full periods only."""
    ordered = history.sort_values(["rep_id", "metric", "start"])
    by_rep = ordered.groupby(["rep_id", "metric"])
    before = by_rep["rate"].shift(1)
    before_full = ~by_rep["prorated"].shift(1, fill_value=True).astype(bool)
    pairs = ordered[(before > 0) & before_full & ~ordered["prorated"]]
    growth = pairs["rate"] / before[pairs.index]
    return pairs.assign(growth=growth)[["rep_id", "metric", "growth"]]


def _fact_rows(backend: Store, metric: str) -> int:
    """How many rows of the facts `metric` is counted from the store holds."""
    table, kinds, _ = _FACTS[metric]
    facts = backend.table(table)
    if table == "opportunities" and metric in ("bookings", "new_logos"):
        facts = facts.filter(facts.is_won)
    elif table == "opportunities":
        facts = facts.filter(facts.created_at.notnull())
    elif kinds is not None:
        facts = facts.filter(facts.type.isin(kinds))
    return int(facts.count().execute())
