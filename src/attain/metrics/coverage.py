"""Pipeline coverage: open pipeline expected to close in the period ÷ the bookings still needed.

A rep with three times the remaining target in open deals can absorb normal losses; one with
less than that needs more pipeline now, not at the end of the quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from attain.metrics.attainment import (
    Scope,
    ScopedRow,
    in_period,
    optional_number,
    optional_text,
    period_actuals,
    periods_in,
    records,
    row_identity,
    scope_names,
    scoped,
)
from attain.metrics.periods import Period
from attain.metrics.settings import PerformanceSettings
from attain.metrics.targets import rep_roster
from attain.store.handle import Store

COVERAGE_METRIC = "bookings"
TARGET_MET = "target met"


@dataclass(frozen=True)
class CoverageRow(ScopedRow):
    """Open pipeline against the bookings still needed in the period containing as_of.

    coverage is None (with `reason`) when nothing remains to book; a met target counts as
    healthy, since it needs no pipeline.
    """

    as_of: date
    target: float
    bookings_to_date: float
    remaining_target: float
    open_pipeline: float
    open_deals: int
    coverage: float | None
    healthy: bool
    healthy_coverage: float
    reason: str | None


def end_of_day_utc(day: date, zone: str) -> datetime:
    """The UTC instant (naive, as the store keeps it) at which local `day` ends in `zone`."""
    local = datetime.combine(day + timedelta(days=1), time.min, ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def open_pipeline(backend: Store, as_of: date, close_by: date, zone: str = "UTC") -> pd.DataFrame:
    """Per owner: amount and count of deals open at the end of as_of expected to close by close_by.

    Open: created by then (deals with no created_at count as created) and not closed by then;
    expected_close_date within [as_of, close_by]. Columns rep_id, open_pipeline, open_deals.
    """
    deals = backend.table("opportunities")
    cutoff = end_of_day_utc(as_of, zone)
    open_deals = deals.filter(
        deals.created_at.isnull() | (deals.created_at < cutoff),
        deals.closed_at.isnull() | (deals.closed_at >= cutoff),
        deals.expected_close_date.between(as_of, close_by),
    )
    summary = open_deals.group_by(rep_id=open_deals.owner_rep_id).aggregate(
        open_pipeline=open_deals.amount.sum().coalesce(0.0), open_deals=open_deals.count()
    )
    frame = backend.execute(summary)
    result: pd.DataFrame = frame.astype({"open_pipeline": float, "open_deals": int})[
        ["rep_id", "open_pipeline", "open_deals"]
    ]
    return result


def pipeline_coverage(
    backend: Store,
    targets: pd.DataFrame,
    as_of: date,
    settings: PerformanceSettings | None = None,
) -> list[CoverageRow]:
    """Coverage of each rep, team and the company in the bookings periods containing as_of."""
    settings = settings or PerformanceSettings()
    zone = settings.timezone
    current = targets[
        (targets["metric"] == COVERAGE_METRIC)
        & (targets["period_start"] <= as_of)
        & (targets["period_end"] >= as_of)
    ]
    roster = rep_roster(backend)
    names = scope_names(backend, roster)
    team_of = roster.set_index("rep_id")["team_id"]
    rows: list[CoverageRow] = []
    for period in periods_in(current):
        booked = period_actuals(backend, COVERAGE_METRIC, [Period(period.start, as_of)], zone)
        pipeline = open_pipeline(backend, as_of, period.end, zone)
        reps = (
            in_period(current, period)[["rep_id", "target"]]
            .merge(booked[["rep_id", "actual"]], on="rep_id", how="left")
            .merge(pipeline, on="rep_id", how="left")
            .fillna({"actual": 0.0, "open_pipeline": 0.0, "open_deals": 0})
        )
        reps["team_id"] = reps["rep_id"].map(team_of)
        for scope, frame in scoped(reps, ["target", "actual", "open_pipeline", "open_deals"]):
            rows.extend(_rows(frame, scope, names[scope], period, as_of, settings))
    return rows


def _rows(
    frame: pd.DataFrame,
    scope: Scope,
    names: dict[str, str],
    period: Period,
    as_of: date,
    settings: PerformanceSettings,
) -> list[CoverageRow]:
    remaining = frame["target"].astype(float) - frame["actual"].astype(float)
    needed = remaining > 0
    coverage = (frame["open_pipeline"].astype(float) / remaining.where(needed, 1.0)).where(needed)
    healthy = ~needed | (coverage >= settings.healthy_coverage)
    scored = frame.assign(
        remaining=remaining.clip(lower=0.0),
        coverage=coverage.astype(object).where(needed, None),
        healthy=healthy,
        reason=pd.Series(TARGET_MET, index=frame.index).where(~needed, None),
    )
    return [
        CoverageRow(
            *row_identity(scope, row, names, period.start, period.end),
            as_of=as_of,
            target=float(row["target"]),
            bookings_to_date=float(row["actual"]),
            remaining_target=float(row["remaining"]),
            open_pipeline=float(row["open_pipeline"]),
            open_deals=int(row["open_deals"]),
            coverage=optional_number(row["coverage"]),
            healthy=bool(row["healthy"]),
            healthy_coverage=settings.healthy_coverage,
            reason=optional_text(row["reason"]),
        )
        for row in records(scored.sort_values("id"))
    ]
