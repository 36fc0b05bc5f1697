"""The performance report: are we going to make it, and who is on pace, for one as-of date.

Assembles attainment, pacing, coverage, classification, goal checks, ratcheting and early
warnings into one typed result that every interface (terminal, JSON, Markdown, HTML) renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from attain.metrics.attainment import AttainmentReport, attainment_report
from attain.metrics.classification import RepClassification, classify_reps
from attain.metrics.coverage import CoverageRow, pipeline_coverage
from attain.metrics.early_warnings import EarlyWarning, early_warnings
from attain.metrics.facts import shared_scans
from attain.metrics.pacing import PacingRow, business_calendar, pacing
from attain.metrics.periods import BusinessCalendar, Period, quarter_of, quarters_between
from attain.metrics.ratcheting import (
    RepRatcheting,
    TeamRatcheting,
    ratcheted_reps,
    ratcheted_teams,
)
from attain.metrics.sales import RepSales, rep_sales
from attain.metrics.settings import PerformanceSettings
from attain.metrics.smart import SmartCheck, check_goals, quota_goals
from attain.metrics.targets import (
    RosterEntry,
    quota_targets,
    roster_entries,
    synthetic_targets,
)
from attain.store.freshness import data_through, latest_import, resolve_as_of
from attain.store.handle import Store
from attain.store.inventory import data_quality

HEADLINE_METRIC = "bookings"


@dataclass(frozen=True)
class Skipped:
    """A section that could not be computed, and why."""

    section: str
    reason: str


@dataclass(frozen=True)
class PerformanceReport:
    """Everything `attain report` shows for one as-of date, each part with its evidence."""

    as_of: date
    period: Period
    """The bookings period containing as_of (the calendar quarter when there are no targets)."""
    data_through: date | None
    """The data's last day (attain.store.freshness.data_through): "data through D"."""
    target_source: str
    """'quotas', 'flat target of N per rep per quarter' or 'none'."""
    notes: list[str]
    skipped: list[Skipped]
    reps: list[RosterEntry]
    sales: list[RepSales]
    attainment: AttainmentReport | None
    pacing: list[PacingRow]
    coverage: list[CoverageRow]
    classification: list[RepClassification]
    goals: list[SmartCheck]
    ratcheted_reps: list[RepRatcheting]
    ratcheted_teams: list[TeamRatcheting]
    early_warnings: list[EarlyWarning]
    measured_on: date | None = None
    """The day recent behaviour is measured on when not as_of (see measured_day): the day after
    the data's last day, when the as-of is later than an imported export's data."""


def performance_report(
    backend: Store,
    settings: PerformanceSettings | None = None,
    *,
    as_of: date | None = None,
    target: float | None = None,
    today: date | None = None,
) -> PerformanceReport:
    """Build the report as of `as_of` (default: the data's last day; today for an empty store).

    `target` is a flat quarterly bookings target per selling rep, used when the store has no
    bookings quotas (e.g. the Maven sample).
    """
    with shared_scans():  # every section reads activities; one scan serves them all
        return _performance_report(backend, settings, as_of=as_of, target=target, today=today)


def _performance_report(
    backend: Store,
    settings: PerformanceSettings | None,
    *,
    as_of: date | None,
    target: float | None,
    today: date | None,
) -> PerformanceReport:
    settings = settings or PerformanceSettings()
    zone = settings.timezone
    notes: list[str] = []
    skipped: list[Skipped] = []
    through = data_through(backend)
    as_of = resolve_as_of(as_of, today or date.today(), through, notes)
    measured = measured_day(as_of, through if latest_import(backend) is not None else None)
    if measured != as_of:
        notes.append(
            f"recent behaviour (activity drop, overdue follow-ups, days since coaching, lead "
            f"response) is measured up to {measured - timedelta(days=1)}, the data's last day"
        )
    quality = data_quality(backend).note()
    if quality:
        notes.append(quality)
    calendar = business_calendar(settings)

    targets, source = _targets(backend, target, as_of, calendar, notes, skipped)
    period = _current_period(targets, as_of)
    have_targets = not targets.empty
    attainment = attainment_report(backend, targets, zone) if have_targets else None
    frame = attainment.frame if attainment is not None else None
    goals = quota_goals(frame, as_of) if frame is not None else []
    return PerformanceReport(
        as_of=as_of,
        period=period,
        data_through=through,
        target_source=source,
        notes=notes,
        skipped=skipped,
        reps=roster_entries(backend),
        sales=rep_sales(backend, period, zone),
        attainment=attainment,
        pacing=pacing(backend, targets, as_of, settings) if have_targets else [],
        coverage=pipeline_coverage(backend, targets, as_of, settings) if have_targets else [],
        classification=(
            classify_reps(backend, frame, as_of, settings) if frame is not None else []
        ),
        goals=check_goals(backend, goals, frame, as_of, settings) if frame is not None else [],
        ratcheted_reps=ratcheted_reps(backend, frame, as_of, settings) if frame is not None else [],
        ratcheted_teams=ratcheted_teams(frame, as_of, settings) if frame is not None else [],
        early_warnings=early_warnings(backend, measured, settings),
        measured_on=None if measured == as_of else measured,
    )


def _targets(
    backend: Store,
    target: float | None,
    as_of: date,
    calendar: BusinessCalendar,
    notes: list[str],
    skipped: list[Skipped],
) -> tuple[pd.DataFrame, str]:
    """The targets and where they come from: the store's quotas; else a flat `target` per rep
    per quarter from the first fact on; else none, and the sections that need them skipped."""
    targets = quota_targets(backend, calendar=calendar)
    has_quotas = bool((targets["metric"] == HEADLINE_METRIC).any())
    if has_quotas:
        if target is not None:
            notes.append(f"--target {target:,.0f} ignored: the store holds bookings quotas")
        return targets, "quotas"
    if target is not None:
        first = _first_fact_day(backend) or as_of
        periods = quarters_between(min(first, as_of), as_of)
        flat = synthetic_targets(backend, target, periods, HEADLINE_METRIC, calendar=calendar)
        targets = pd.concat([targets, flat], ignore_index=True) if len(targets) else flat
        source = f"flat target of {target:,.0f} per rep per quarter"
        notes.append(f"no bookings quotas in the store: every selling rep's target is {source}")
        return targets, source
    notes.append(
        "no bookings quotas in the store: attainment, pacing, coverage and classification "
        "need targets; set one with --target AMOUNT (per rep per quarter)"
    )
    for section in ("attainment", "pacing", "coverage", "classification", "goals"):
        skipped.append(Skipped(section, "no targets"))
    return targets, "none"


def measured_day(as_of: date, through: date | None) -> date:
    """The day recent behaviour is measured on: `as_of`, or the day after the data's last day
    when `as_of` is later, so that the days measured (those before it, as_of itself being under
    way) end on the data's last day: the days after the data ends are not days without activity.

    The performance report passes the data's last day only for a store that logs its imports:
    there the data ends where the export did, while a store filled directly (tests, scripts)
    may simply have had quiet days before its as-of.
    """
    if through is not None and as_of > through + timedelta(days=1):
        return through + timedelta(days=1)
    return as_of


def _current_period(targets: pd.DataFrame, as_of: date) -> Period:
    """The bookings period containing as_of, else the calendar quarter."""
    rows = targets[
        (targets["metric"] == HEADLINE_METRIC)
        & (targets["period_start"] <= as_of)
        & (targets["period_end"] >= as_of)
    ]
    if rows.empty:
        return quarter_of(as_of)
    first = rows.sort_values(["period_start", "period_end"]).iloc[0]
    return Period(first["period_start"], first["period_end"])


def _first_fact_day(backend: Store) -> date | None:
    deals = backend.table("opportunities")
    earliest = [backend.execute(deals.created_at.min()), backend.execute(deals.closed_at.min())]
    found = [pd.Timestamp(value).date() for value in earliest if not pd.isna(value)]
    return min(found) if found else None
