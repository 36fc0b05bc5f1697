"""What changed since the previous data version: the first question on a Monday.

Two readings of the store are compared: the previous data version (the store as it stood then,
attain.store.point_in_time, as of that version's own last day of data) and the latest one (as
of its last day). Between them:

- reps, teams and the company whose pace status changed (at risk, behind, on pace, ahead);
- findings that are new and findings that were resolved (by who, cause);
- reps whose activity in the latest week fell well below their usual week (and had not in
  the previous version's last week);
- deals that moved stage, slipped (pushed out), were pulled in, closed, were created or
  reassigned: the change record of attain.history.changes over the same two versions;
- the forecast's movement: each company, team and rep row's P50 and chance of target in
  each version (the calibrated forecast of attain.forecast, as of each version's last day).

A data version is an import (its id); a date asks for the version nearest to it (the last one
taken by that day's end, else the first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar

import ibis
import pandas as pd

from attain.config import Settings
from attain.diagnosis.finding import Diagnosis, Finding
from attain.diagnosis.run import configured_diagnosis
from attain.errors import AttainError, InputError
from attain.forecast.calibrated import calibrated_forecast
from attain.forecast.forecast import Forecast
from attain.history.changes import ChangeRecord, changes
from attain.metrics.pacing import PacingRow
from attain.metrics.report import PerformanceReport, performance_report
from attain.metrics.settings import PerformanceSettings
from attain.store.ddl import IMPORTS_TABLE
from attain.store.freshness import data_through
from attain.store.handle import Store
from attain.store.point_in_time import at

ACTIVITY_MIN_USUAL = 5
"""Reps whose usual week holds fewer activities than this are not judged: with so few, one
more or less is not a drop."""


@dataclass(frozen=True)
class Versions:
    """The two data versions compared and the day each is read as of."""

    since: int
    until: int
    since_day: date
    until_day: date


@dataclass(frozen=True)
class StatusChange:
    """A rep, team or the company whose bookings pace status changed."""

    scope: str
    id: str
    name: str
    team_id: str | None
    before: str | None
    after: str | None
    pace_before: float | None
    pace_after: float | None
    actual_before: float | None
    actual_after: float | None


@dataclass(frozen=True)
class FindingChange:
    """A finding new in the latest version or resolved since the previous one."""

    change: str
    """'new' or 'resolved'."""
    scope: str
    id: str
    cause: str
    severity: str
    bookings_at_stake: float
    explanation: str


@dataclass(frozen=True)
class ActivityDrop:
    """A rep whose latest week of activities fell below `warning_ratio` of their usual week."""

    rep_id: str
    latest_week: int
    usual_week: float
    week_start: date
    week_end: date


@dataclass(frozen=True)
class ForecastMove:
    """A forecast row's P50 and chance of target in the previous and the latest version."""

    scope: str
    id: str
    name: str
    team_id: str | None
    p50_before: float | None
    p50_after: float | None
    chance_before: float | None
    chance_after: float | None


@dataclass(frozen=True)
class MondayChanges:
    """Everything that changed between two data versions, for everyone (cut per user later)."""

    versions: Versions
    statuses: list[StatusChange]
    findings: list[FindingChange]
    activity: list[ActivityDrop]
    deals: ChangeRecord
    forecast: list[ForecastMove]


def _imports(backend: Store) -> pd.DataFrame:
    """The import log: import_id and taken (when its export was taken), oldest first."""
    log = backend.stored_table(IMPORTS_TABLE)
    taken = ibis.coalesce(log.taken_at, log.imported_at)
    frame: pd.DataFrame = log.select("import_id", taken=taken).order_by("import_id").to_pandas()
    if frame.empty:
        raise InputError("no data version yet: `attain import` makes the first")
    return frame


def version_near(backend: Store, day: date) -> int:
    """The data version nearest `day`: the last taken by the day's end, else the first."""
    log = _imports(backend)
    end = pd.Timestamp(datetime.combine(day + timedelta(days=1), time.min))
    taken = pd.to_datetime(log["taken"]).dt.tz_localize(None)
    by_then = log[taken < end]
    return int((by_then if not by_then.empty else log)["import_id"].iloc[-1 if len(by_then) else 0])


def versions(backend: Store, since: int | date | None = None) -> Versions:
    """The versions compared: `since` (a version, a date's nearest version, default the one
    before the latest) and the latest, each with the last day of data it held."""
    log = _imports(backend)
    latest = int(log["import_id"].iloc[-1])
    if since is None:
        start = int(log["import_id"].iloc[-2]) if len(log) > 1 else latest
    elif isinstance(since, date):
        start = version_near(backend, since)
    else:
        if since not in set(log["import_id"]):
            raise InputError(f"no data version {since}: `attain status` lists the imports")
        start = since
    taken = dict(zip(log["import_id"], pd.to_datetime(log["taken"]), strict=True))

    def last_day(version: int) -> date:
        bound = taken[version].tz_localize(None) if taken[version].tzinfo else taken[version]
        return data_through(backend, bound.to_pydatetime()) or bound.date()

    return Versions(start, latest, last_day(start), last_day(latest))


def bookings_pacing(report: PerformanceReport) -> dict[tuple[str, str], PacingRow]:
    """Each row's bookings pacing by (scope, id)."""
    return {(row.scope, row.id): row for row in report.pacing if row.metric == "bookings"}


def status_changes(before: PerformanceReport, after: PerformanceReport) -> list[StatusChange]:
    """Rows whose bookings pace status differs between the two reports (present in either)."""
    found = []
    for who, was, now in _matched(bookings_pacing(before), bookings_pacing(after)):
        if was is not None and now is not None and was.status == now.status:
            continue
        found.append(
            StatusChange(
                *who,
                before=None if was is None else str(was.status),
                after=None if now is None else str(now.status),
                pace_before=None if was is None else was.pace_ratio,
                pace_after=None if now is None else now.pace_ratio,
                actual_before=None if was is None else was.actual_to_date,
                actual_after=None if now is None else now.actual_to_date,
            )
        )
    return found


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def team_id(self) -> str | None: ...


_Row = TypeVar("_Row", bound=_Named)
_Who = tuple[str, str, str, str | None]
"""Scope, id, name and team: the fields a StatusChange and a ForecastMove begin with."""


def _matched(
    old: Mapping[tuple[str, str], _Row], new: Mapping[tuple[str, str], _Row]
) -> Iterator[tuple[_Who, _Row | None, _Row | None]]:
    """Every (scope, id) of either version (the company, then teams, then reps, by id): who it
    is, named as in the later version where both have it, and its row in each (None in a
    version without it)."""
    rank = ("company", "team", "rep")
    for key in sorted(set(old) | set(new), key=lambda k: (rank.index(k[0]), k[1])):
        was, now = old.get(key), new.get(key)
        shown = now or was
        assert shown is not None
        yield (key[0], key[1], shown.name, shown.team_id), was, now


def _finding_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.scope, finding.id, str(finding.cause))


def finding_changes(before: Diagnosis, after: Diagnosis) -> list[FindingChange]:
    """Findings (by who and cause) present only in `after` (new) or only in `before`
    (resolved), most bookings at stake first within each."""
    old = {_finding_key(f): f for f in before.findings}
    new = {_finding_key(f): f for f in after.findings}
    found = [_finding_change("new", f) for key, f in new.items() if key not in old]
    found += [_finding_change("resolved", f) for key, f in old.items() if key not in new]
    found.sort(key=lambda c: (c.change != "new", -c.bookings_at_stake, c.scope, c.id))
    return found


def _finding_change(change: str, finding: Finding) -> FindingChange:
    return FindingChange(
        change=change,
        scope=str(finding.scope),
        id=finding.id,
        cause=str(finding.cause),
        severity=str(finding.severity),
        bookings_at_stake=float(finding.bookings_at_stake),
        explanation=finding.explanation,
    )


def activity_drops(
    backend: Store, day: date, reps: list[str], settings: PerformanceSettings
) -> list[ActivityDrop]:
    """Selling reps whose activities in the 7 days to `day` fell below `warning_ratio` of
    their median week over the `warning_weeks` weeks before (the early warnings' thresholds,
    over all activities rather than each leading one)."""
    weeks_before = settings.warning_weeks
    week_end = day
    week_start = day - timedelta(days=6)
    first = week_start - timedelta(weeks=weeks_before)
    table = backend.table("activities")
    window = table.filter(
        (table.occurred_at >= datetime.combine(first, time.min))
        & (table.occurred_at < datetime.combine(day + timedelta(days=1), time.min))
    )
    frame = window.select("rep_id", "occurred_at").to_pandas()
    days = pd.to_datetime(frame["occurred_at"]).dt.tz_localize(None).dt.normalize()
    # Week 0 is the latest (the 7 days to `day`), 1..weeks_before the ones before it.
    frame["week"] = ((pd.Timestamp(day) - days).dt.days // 7).astype(int)
    counts = frame.groupby(["rep_id", "week"]).size()
    found = []
    for rep in sorted(reps):
        weeks = [int(counts.get((rep, week), 0)) for week in range(weeks_before + 1)]
        usual = float(pd.Series(weeks[1:]).median())
        if usual >= ACTIVITY_MIN_USUAL and weeks[0] < settings.warning_ratio * usual:
            found.append(ActivityDrop(rep, weeks[0], usual, week_start, week_end))
    return found


def new_drops(
    backend: Store, span: Versions, reps: list[str], settings: PerformanceSettings
) -> list[ActivityDrop]:
    """The activity drops of the latest version's last week that the previous version's last
    week did not show (a drop already there last time is not news)."""
    known = {d.rep_id for d in activity_drops(backend, span.since_day, reps, settings)}
    latest = activity_drops(backend, span.until_day, reps, settings)
    return [d for d in latest if d.rep_id not in known]


def sellers(report: PerformanceReport) -> list[str]:
    """The selling reps of a report (those with a bookings pacing row)."""
    return [key[1] for key in bookings_pacing(report) if key[0] == "rep"]


def monday_changes(
    backend: Store,
    settings: Settings,
    since: int | date | None = None,
    *,
    latest: tuple[PerformanceReport, Diagnosis] | None = None,
    latest_forecast: Forecast | None = None,
) -> MondayChanges:
    """What changed from `since` (default: the version before the latest) to the latest
    version. `latest` and `latest_forecast` are the latest version's report, diagnosis and
    forecast when already computed."""
    span = versions(backend, since)
    fits = latest is not None and latest[0].as_of == span.until_day
    after = latest if latest is not None and fits else _readings(backend, settings, span.until_day)
    ahead = latest_forecast if fits and latest_forecast is not None else None
    ahead = ahead or _forecast(backend, settings, span.until_day)
    record = changes(backend, span.since, None, currency=settings.currency)
    if span.since == span.until:
        # One version compared with itself (a store imported once): nothing changed, and
        # reading it twice would only cost time.
        return MondayChanges(span, [], [], [], record, forecast_moves(ahead, ahead))
    then = at(backend, version=span.since)
    before = _readings(then, settings, span.since_day)
    return MondayChanges(
        versions=span,
        statuses=status_changes(before[0], after[0]),
        findings=finding_changes(before[1], after[1]),
        activity=new_drops(backend, span, sellers(after[0]), settings.performance),
        deals=record,
        forecast=forecast_moves(_forecast(then, settings, span.since_day), ahead),
    )


def _readings(backend: Any, settings: Settings, day: date) -> tuple[PerformanceReport, Diagnosis]:
    """The performance report and diagnosis of `backend` as of `day`."""
    report = performance_report(backend, settings.performance, as_of=day)
    return report, configured_diagnosis(backend, settings, report)


def forecast_moves(before: Forecast | None, after: Forecast | None) -> list[ForecastMove]:
    """Every forecast row of either version, with its P50 and chance in each (None where the
    version has no such row or no forecast)."""
    old = {(r.scope, r.id): r for r in (before.rows if before else [])}
    new = {(r.scope, r.id): r for r in (after.rows if after else [])}
    return [
        ForecastMove(
            *who,
            p50_before=None if was is None else was.p50,
            p50_after=None if now is None else now.p50,
            chance_before=None if was is None else was.chance_of_target,
            chance_after=None if now is None else now.chance_of_target,
        )
        for who, was, now in _matched(old, new)
    ]


def _forecast(backend: Any, settings: Settings, day: date) -> Forecast | None:
    """The calibrated forecast as of `day`, or None when the store cannot make one."""
    try:
        return calibrated_forecast(
            backend, day, zone=settings.performance.timezone, settings=settings.forecast
        )
    except AttainError:
        return None
