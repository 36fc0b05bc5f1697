"""Coaching coverage: is every rep shadowed often enough, met one-on-one on cadence, and
coached in proportion to their need?

Per rep, from imported and logged sessions together:

- shadowing sessions in the rolling 12 months before as_of, against `shadowing_per_year`;
- days since the last one-on-one, against `one_on_one_cadence_days` plus
  `one_on_one_grace_days`;
- coaching minutes in the last `coaching_window_days`, against the rep's fair share of all
  reps' minutes weighted by need: under-performers (`under_performer_weight`) and new hires
  (`new_hire_weight`) should get more than the others (weight 1).

A rep is overdue when the shadowing or the one-on-one check fails; the reasons say which.
Under-coached (minutes below `min_need_share` of the fair share) is shown beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy.orm import Session

from attain.access import Visibility, sees
from attain.appdb.models import CoachingKind
from attain.metrics.targets import SELLING_ROLE, rep_roster
from attain.store.handle import Store
from attain.workflow.coaching import CoachingRecord, app_records, store_records
from attain.workflow.settings import WorkflowSettings

Need = Literal["under_performer", "new_hire", "standard"]
YEAR_DAYS = 365


@dataclass(frozen=True)
class CoachedRep:
    """A rep whose coverage is checked: who, which team, since when, and their class."""

    rep_id: str
    name: str
    team_id: str | None
    hire_date: date | None
    performance_class: str | None = None
    """The performance report's class (top_performer, performer, under_performer, new)."""


@dataclass(frozen=True)
class CoverageRow:
    """One rep's coaching coverage as of a day, with the checks that failed."""

    rep_id: str
    name: str
    team_id: str | None
    need: Need
    need_weight: float
    shadows_12_months: int
    shadows_needed: int
    last_one_on_one: date | None
    days_since_one_on_one: int | None
    one_on_one_due_days: int
    """Cadence plus grace: more days than this without a one-on-one is overdue."""
    minutes: int
    """Coaching minutes in the window (every kind of session)."""
    fair_minutes: float
    """The rep's need-weighted share of all reps' minutes in the window."""
    minutes_ratio: float | None
    under_coached: bool
    overdue: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        data = asdict(self)
        data["last_one_on_one"] = self.last_one_on_one.isoformat() if self.last_one_on_one else None
        data["reasons"] = list(self.reasons)
        return data


def need_of(rep: CoachedRep, as_of: date, settings: WorkflowSettings) -> tuple[Need, float]:
    """The rep's need and its weight; the larger weight wins for a new under-performer."""
    candidates: list[tuple[Need, float]] = [("standard", 1.0)]
    if rep.performance_class == "under_performer":
        candidates.append(("under_performer", settings.under_performer_weight))
    if rep.hire_date is not None and (as_of - rep.hire_date).days < settings.new_hire_days:
        candidates.append(("new_hire", settings.new_hire_weight))
    return max(candidates[1:], key=lambda c: c[1]) if len(candidates) > 1 else candidates[0]


def coverage_table(
    reps: Sequence[CoachedRep],
    records: Sequence[CoachingRecord],
    as_of: date,
    settings: WorkflowSettings | None = None,
) -> list[CoverageRow]:
    """Coverage of each rep from their coaching records before `as_of` (pure); overdue reps
    first, then longest since a one-on-one."""
    settings = settings or WorkflowSettings()
    stop = datetime.combine(as_of, time.min, tzinfo=UTC)
    year_ago = stop - timedelta(days=YEAR_DAYS)
    window_start = stop - timedelta(days=settings.coaching_window_days)
    due_days = settings.one_on_one_cadence_days + settings.one_on_one_grace_days
    by_rep: dict[str, list[CoachingRecord]] = {}
    for record in records:
        if record.held_at < stop:
            by_rep.setdefault(record.rep_id, []).append(record)
    needs = {rep.rep_id: need_of(rep, as_of, settings) for rep in reps}
    minutes = {
        rep.rep_id: sum(
            r.duration_minutes or 0 for r in by_rep.get(rep.rep_id, []) if r.held_at >= window_start
        )
        for rep in reps
    }
    total_minutes = sum(minutes.values())
    total_weight = sum(weight for _, weight in needs.values())
    rows = []
    for rep in reps:
        mine = by_rep.get(rep.rep_id, [])
        shadows = sum(1 for r in mine if r.kind is CoachingKind.SHADOWING and r.held_at >= year_ago)
        one_on_ones = [r.held_at for r in mine if r.kind is CoachingKind.ONE_ON_ONE]
        last = max(one_on_ones).date() if one_on_ones else None
        since = None if last is None else (as_of - last).days
        need, weight = needs[rep.rep_id]
        fair = total_minutes * weight / total_weight if total_weight else 0.0
        ratio = minutes[rep.rep_id] / fair if fair else None
        reasons = _overdue_reasons(shadows, since, due_days, settings)
        rows.append(
            CoverageRow(
                rep_id=rep.rep_id,
                name=rep.name,
                team_id=rep.team_id,
                need=need,
                need_weight=weight,
                shadows_12_months=shadows,
                shadows_needed=settings.shadowing_per_year,
                last_one_on_one=last,
                days_since_one_on_one=since,
                one_on_one_due_days=due_days,
                minutes=minutes[rep.rep_id],
                fair_minutes=fair,
                minutes_ratio=ratio,
                under_coached=ratio is not None and ratio < settings.min_need_share,
                overdue=bool(reasons),
                reasons=tuple(reasons),
            )
        )
    rows.sort(
        key=lambda row: (
            not row.overdue,
            # A rep with no one-on-one on record sorts before every rep who has had one.
            -(row.days_since_one_on_one if row.days_since_one_on_one is not None else 10**6),
            row.rep_id,
        )
    )
    return rows


def _overdue_reasons(
    shadows: int, since: int | None, due_days: int, settings: WorkflowSettings
) -> list[str]:
    """Why a rep is overdue: too few shadowing sessions, or no one-on-one within the cadence
    and its grace days."""
    reasons = []
    if shadows < settings.shadowing_per_year:
        reasons.append(
            f"shadowed {shadows} times in 12 months (needs {settings.shadowing_per_year})"
        )
    if since is None:
        reasons.append("no one-on-one on record")
    elif since > due_days:
        reasons.append(
            f"last one-on-one {since} days ago (cadence {settings.one_on_one_cadence_days} days)"
        )
    return reasons


def coached_reps(
    roster: Any, as_of: date, classes: Mapping[str, str] | None = None
) -> list[CoachedRep]:
    """The selling reps employed on `as_of` from a roster frame (attain.metrics.targets.
    rep_roster), with their performance class when known."""
    classes = classes or {}
    reps = []
    for row in roster.itertuples(index=False):
        hired = None if _missing(row.hire_date) else row.hire_date.date()
        ended = None if _missing(row.end_date) else row.end_date.date()
        if str(row.role) != SELLING_ROLE or (hired and hired > as_of) or (ended and ended < as_of):
            continue
        reps.append(
            CoachedRep(
                rep_id=str(row.rep_id),
                name=str(row.name),
                team_id=None if _missing(row.team_id) else str(row.team_id),
                hire_date=hired,
                performance_class=classes.get(str(row.rep_id)),
            )
        )
    return reps


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def store_coverage(
    session: Session,
    backend: Store,
    as_of: date,
    *,
    classes: Mapping[str, str] | None = None,
    settings: WorkflowSettings | None = None,
    team_id: str | None = None,
    scope: Visibility | None = None,
) -> list[CoverageRow]:
    """Coverage of the store's selling reps (one team's with `team_id`, only those the scope
    sees) from imported and logged sessions; `classes` maps rep id to performance class."""
    reps = [
        rep
        for rep in coached_reps(rep_roster(backend), as_of, classes)
        if sees(scope, rep.rep_id) and (team_id is None or rep.team_id == team_id)
    ]
    ids = [rep.rep_id for rep in reps]
    records = [*store_records(backend, ids, until=as_of), *app_records(session, ids)]
    return coverage_table(reps, records, as_of, settings)
