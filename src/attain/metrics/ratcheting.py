"""Quota ratcheting: targets raised again and again inside a period, or raised after a hit.

Reads every revision of the quotas table through Ibis. A rep is flagged when their target
rose more than `max_raises_per_period` times for one period (its opening raise counts), or by
`raise_after_hit` or more
from a period they hit to the next; a team when its total target outgrew what it sold.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

import pandas as pd

from attain.metrics.classification import completed_periods
from attain.metrics.periods import Period, as_dates
from attain.metrics.settings import PerformanceSettings
from attain.store.handle import Store

SignalKind = Literal["repeated_raises", "raise_after_hit"]


@dataclass(frozen=True)
class QuotaRevision:
    """One row of quota history: the period, when the target was set, and its value."""

    period: Period
    set_at: datetime | None
    """None: set before the period began."""
    target: float


@dataclass(frozen=True)
class RatchetSignal:
    """One reason a rep's quota looks ratcheted, with the numbers behind it."""

    kind: SignalKind
    period: Period
    """The period raised: where the raises happened, or the one after the hit."""
    raises: int
    """Raises for `period` (repeated_raises) or 1 (raise_after_hit)."""
    growth: float
    """Target at the end over the target before the raises, or next period over hit period."""
    reason: str


@dataclass(frozen=True)
class RepRatcheting:
    """A rep whose quota on one metric was ratcheted, with the full history as evidence."""

    rep_id: str
    metric: str
    signals: tuple[RatchetSignal, ...]
    history: tuple[QuotaRevision, ...]


@dataclass(frozen=True)
class TeamPeriodTotals:
    """A team's summed target and actual in one period."""

    period: Period
    target: float
    actual: float


@dataclass(frozen=True)
class TeamRatcheting:
    """A team whose total target grew faster than its actual over the window."""

    team_id: str
    metric: str
    target_growth: float
    """Last period's total target ÷ first period's, minus 1."""
    actual_growth: float
    gap: float
    """target_growth − actual_growth, compared with settings.team_growth_gap."""
    history: tuple[TeamPeriodTotals, ...]
    reason: str


def ratcheted_reps(
    backend: Store,
    attainment: pd.DataFrame,
    as_of: date,
    settings: PerformanceSettings | None = None,
) -> list[RepRatcheting]:
    """Reps whose targets were ratcheted, from all quota revisions of periods begun by `as_of`.

    `attainment` (the rep-level attainment frame) says which periods each rep hit.
    """
    settings = settings or PerformanceSettings()
    history = _ordered(_quota_history(backend, as_of))
    hired = _hire_dates(backend)
    hits = _hit_periods(attainment)
    found = []
    by_rep = _revisions_by_rep(history)
    for rep, metric in sorted(by_rep):
        revisions = by_rep[(rep, metric)]
        signals = _repeated_raises(revisions, settings) + _raises_after_hit(
            revisions, hits.get((rep, metric), {}), hired.get(rep), settings
        )
        if signals:
            found.append(RepRatcheting(rep, metric, tuple(signals), tuple(revisions)))
    return found


def ratcheted_teams(
    attainment: pd.DataFrame, as_of: date, settings: PerformanceSettings | None = None
) -> list[TeamRatcheting]:
    """Teams whose total target rose faster than their actual over the last completed periods.

    The window is the last `settings.classification_periods` periods that ended before `as_of`;
    growth compares its first and last period. A team whose target did not rise is not flagged.
    """
    settings = settings or PerformanceSettings()
    found = []
    for metric, rows in attainment.groupby("metric", sort=True):
        window = completed_periods(rows, as_of, settings.classification_periods)
        if len(window) < 2:
            continue
        starts = {p.start: p for p in window}
        rows = rows.assign(start=as_dates(rows["period_start"]))
        rows = rows[rows["start"].isin(starts) & rows["team_id"].notna()]
        totals = rows.groupby(["team_id", "start"], as_index=False)[["target", "actual"]].sum()
        for team, team_totals in totals.groupby("team_id"):
            history = tuple(
                TeamPeriodTotals(starts[start], float(target), float(actual))
                for start, target, actual in zip(
                    team_totals["start"].tolist(),
                    team_totals["target"].tolist(),
                    team_totals["actual"].tolist(),
                    strict=True,
                )
            )
            finding = _team_gap(str(team), str(metric), history, settings)
            if finding is not None:
                found.append(finding)
    return found


def _quota_history(backend: Store, as_of: date) -> pd.DataFrame:
    """Every quota revision of periods that started on or before `as_of`."""
    quotas = backend.table("quotas")
    expr = quotas.filter(quotas.period_start <= as_of).select(
        "rep_id", "period_start", "period_end", "metric", "target", "set_at"
    )
    frame: pd.DataFrame = backend.execute(expr)
    return frame


def _hire_dates(backend: Store) -> dict[str, date]:
    reps = backend.table("reps")
    frame = backend.execute(reps.filter(reps.hire_date.notnull()).select("rep_id", "hire_date"))
    return dict(zip(frame["rep_id"].astype(str), as_dates(frame["hire_date"]), strict=True))


def _hit_periods(attainment: pd.DataFrame) -> dict[tuple[str, str], dict[date, bool]]:
    """(rep, metric) -> {period start: whether the rep hit it in full (not prorated)}."""
    ratio = pd.to_numeric(attainment["attainment"], errors="coerce")
    prorated = attainment["prorated"].fillna(False).astype(bool)
    hit = (ratio >= 1.0) & ~prorated
    found: dict[tuple[str, str], dict[date, bool]] = {}
    for rep, metric, start, flag in zip(
        attainment["rep_id"],
        attainment["metric"],
        as_dates(attainment["period_start"]),
        hit,
        strict=True,
    ):
        found.setdefault((str(rep), str(metric)), {})[start] = bool(flag)
    return found


def _ordered(history: pd.DataFrame) -> pd.DataFrame:
    """Quota history with dates parsed, ordered by rep, metric, period and set_at (empty first)."""
    return history.assign(
        start=as_dates(history["period_start"]),
        end=as_dates(history["period_end"]),
        stamp=pd.to_datetime(history["set_at"]),
    ).sort_values(["rep_id", "metric", "start", "stamp"], na_position="first", kind="stable")


def _revisions_by_rep(history: pd.DataFrame) -> dict[tuple[str, str], list[QuotaRevision]]:
    """(rep, metric) -> that rep's revisions on the metric, in the order of `_ordered` rows.

    Built in one pass over plain lists: a pandas group per rep costs more than its rows.
    """
    found: dict[tuple[str, str], list[QuotaRevision]] = {}
    for rep, metric, start, end, stamp, target in zip(
        history["rep_id"].astype(str).tolist(),
        history["metric"].astype(str).tolist(),
        history["start"].tolist(),
        history["end"].tolist(),
        history["stamp"].tolist(),
        history["target"].astype(float).tolist(),
        strict=True,
    ):
        moment = None if pd.isna(stamp) else stamp.to_pydatetime()
        found.setdefault((rep, metric), []).append(
            QuotaRevision(Period(start, end), moment, target)
        )
    return found


def _by_period(revisions: list[QuotaRevision]) -> dict[Period, list[QuotaRevision]]:
    """The revisions of each period, periods in order, each period's in their given order."""
    grouped: dict[Period, list[QuotaRevision]] = {}
    for revision in revisions:
        grouped.setdefault(revision.period, []).append(revision)
    return dict(sorted(grouped.items()))


def _in_period(revision: QuotaRevision) -> bool:
    """Whether the revision was made on or after its period's first day."""
    return revision.set_at is not None and revision.set_at >= datetime.combine(
        revision.period.start, time.min
    )


def _repeated_raises(
    revisions: list[QuotaRevision], settings: PerformanceSettings
) -> list[RatchetSignal]:
    """Periods whose target was raised more than `max_raises_per_period` times.

    A period's raises are its opening target rising above the previous period's final target,
    plus every revision inside the period that raised it again.
    """
    by_period = _by_period(revisions)
    signals = []
    previous: list[QuotaRevision] = []
    for period, rows in by_period.items():
        raised = [
            later
            for earlier, later in itertools.pairwise(rows)
            if _in_period(later) and later.target > earlier.target
        ]
        start = previous[-1].target if previous else _opening_target(rows)
        previous = rows
        opening = _opening_target(rows)
        count = len(raised) + (opening > start)
        if count <= settings.max_raises_per_period or start <= 0:
            continue
        final = rows[-1].target
        signals.append(
            RatchetSignal(
                kind="repeated_raises",
                period=period,
                raises=count,
                growth=final / start,
                reason=f"target raised {_times(count)} for {period.label} "
                f"({start:,.0f} → {final:,.0f}); "
                f"more than {_times(settings.max_raises_per_period)} a period is ratcheting",
            )
        )
    return signals


def _raises_after_hit(
    revisions: list[QuotaRevision],
    hits: dict[date, bool],
    hired: date | None,
    settings: PerformanceSettings,
) -> list[RatchetSignal]:
    """Periods whose opening target rose by `raise_after_hit` or more after a hit period."""
    by_period = _by_period(revisions)
    signals = []
    for done, following in itertools.pairwise(by_period):
        if not hits.get(done.start, False):
            continue
        # A new hire's targets rise by design while they ramp up: not ratcheting.
        if hired is not None and done.start < hired + timedelta(days=settings.ramp_days):
            continue
        final = by_period[done][-1].target
        opening = _opening_target(by_period[following])
        # 1e-9 absorbs float rounding, so that a raise of exactly `raise_after_hit` counts
        # (1.1 × 3 is 3.3000000000000003).
        if final <= 0 or opening < (1.0 + settings.raise_after_hit) * final - 1e-9:
            continue
        growth = opening / final
        signals.append(
            RatchetSignal(
                kind="raise_after_hit",
                period=following,
                raises=1,
                growth=growth,
                reason=f"hit {done.label} at a target of {final:,.0f}, then {following.label} "
                f"opened at {opening:,.0f} ({growth - 1:+.0%}; "
                f"{settings.raise_after_hit:.0%} or more after a hit is ratcheting)",
            )
        )
    return signals


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _opening_target(rows: list[QuotaRevision]) -> float:
    """The target in force at period start: the last set before it, else the first set."""
    before = [r for r in rows if not _in_period(r)]
    return (before[-1] if before else rows[0]).target


def _team_gap(
    team: str, metric: str, history: tuple[TeamPeriodTotals, ...], settings: PerformanceSettings
) -> TeamRatcheting | None:
    first, last = history[0], history[-1]
    if len(history) < 2 or first.target <= 0 or first.actual <= 0:
        return None
    target_growth = last.target / first.target - 1.0
    actual_growth = last.actual / first.actual - 1.0
    gap = target_growth - actual_growth
    if target_growth <= 0 or gap <= settings.team_growth_gap + 1e-9:
        return None
    return TeamRatcheting(
        team_id=team,
        metric=metric,
        target_growth=target_growth,
        actual_growth=actual_growth,
        gap=gap,
        history=history,
        reason=f"total target grew {target_growth:+.0%} from {first.period.label} to "
        f"{last.period.label} while actual grew {actual_growth:+.0%} "
        f"(gap {gap:.0%} > {settings.team_growth_gap:.0%})",
    )
