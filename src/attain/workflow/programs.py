"""Intensive programs: a multi-week program for a rep, its weekly check-ins, and whether the
rep's numbers moved.

A program has a goal, a start day, a number of weeks and the metrics to watch. Its check-ins
are the rep's coaching sessions of kind `program_check_in` held during its weeks. The review
compares the rep's weekly values of each watched metric over the program's completed weeks
with as many weeks just before it started (equal windows, weeks counted from the start day).
A metric improved (or got worse) when a two-sided Mann–Whitney U test of the two sets of
weekly values gives p below `program_max_p_value` and the program's weeks rank higher (or
lower); otherwise there is no change. The program's verdict is the majority of its metrics'
(improved beats worse only when more metrics improved than got worse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd
from scipy.stats import mannwhitneyu
from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import Visibility, check_rep, sees
from attain.appdb import limits
from attain.appdb.limits import checked_text
from attain.appdb.models import CoachingKind, CoachingSession, Program, User
from attain.errors import InputError
from attain.metrics.facts import daily_actuals, is_countable, local_time
from attain.store.handle import Store
from attain.workflow.coaching import CoachingRecord, app_records, log_session
from attain.workflow.settings import WorkflowSettings

Verdict = Literal["improved", "no_change", "worse"]

WIN_RATE = "win_rate"
DEFAULT_METRICS = ("meetings", "opportunities_created", WIN_RATE, "bookings")
"""Watched when a program names none; every one of them is better when higher."""
TEST_NAME = "two-sided Mann–Whitney U on weekly values"


def parse_metrics(metrics: Sequence[str] | str | None) -> tuple[str, ...]:
    """The metrics to watch ('meetings,bookings' or a list); the defaults when empty."""
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    names = tuple(dict.fromkeys(m.strip() for m in metrics or () if m.strip()))
    for name in names:
        if name != WIN_RATE and not is_countable(name):
            raise InputError(
                f"cannot watch {name!r}: use win_rate or a countable metric such as "
                "meetings, opportunities_created, bookings, calls, activities"
            )
    return names or DEFAULT_METRICS


def program_end(program: Program) -> date:
    """The program's last day."""
    return program.start_date + timedelta(days=7 * program.weeks - 1)


def start_program(
    session: Session,
    *,
    rep_id: str,
    start: date,
    weeks: int,
    goal: str,
    metrics: Sequence[str] | str | None = None,
    by: User | None = None,
    scope: Visibility | None = None,
) -> Program:
    """Record a program for a rep (audited)."""
    rep_id = check_rep(scope, rep_id.strip())
    if not rep_id:
        raise InputError("name the rep in the program (--rep)")
    if weeks < 1:
        raise InputError(f"a program lasts at least one week, not {weeks}")
    if not goal.strip():
        raise InputError("say what the program is for (--goal)")
    checked_text(goal, "a program's goal", limits.GOAL)
    program = Program(
        rep_id=rep_id,
        start_date=start,
        weeks=weeks,
        goal=goal.strip(),
        metrics=",".join(parse_metrics(metrics)),
        created_by=by.id if by else None,
    )
    session.add(program)
    session.flush()
    return program


def get_program(session: Session, program_id: int, scope: Visibility | None = None) -> Program:
    """The program with this id; InputError when there is none (or the scope cannot see it)."""
    program = session.get(Program, program_id)
    if program is None or not sees(scope, program.rep_id):
        raise InputError(f"no program {program_id}; `attain program review` needs its id")
    return program


def week_of(program: Program, day: date) -> int:
    """The program week (1-based) that `day` falls in."""
    return (day - program.start_date).days // 7 + 1


def check_in(
    session: Session,
    program_id: int,
    *,
    coach: User,
    held_at: datetime,
    duration_minutes: int,
    notes: str = "",
    topics: Sequence[str] = (),
    scope: Visibility | None = None,
) -> tuple[CoachingSession, int]:
    """Log a weekly check-in (a coaching session of kind program_check_in) and its week."""
    program = get_program(session, program_id, scope)
    if held_at.tzinfo is None:
        held_at = held_at.replace(tzinfo=UTC)
    day = held_at.astimezone(UTC).date()
    if not program.start_date <= day <= program_end(program):
        raise InputError(
            f"program {program.id} runs {program.start_date} to {program_end(program)}; "
            f"a check-in on {day} is outside it"
        )
    week = week_of(program, day)
    record, _ = log_session(
        session,
        rep_id=program.rep_id,
        coach=coach,
        kind=CoachingKind.PROGRAM_CHECK_IN,
        held_at=held_at,
        duration_minutes=duration_minutes,
        topics=[f"program {program.id} week {week}", *topics],
        notes=notes,
        scope=scope,
    )
    return record, week


def program_check_ins(session: Session, program: Program) -> list[CoachingRecord]:
    """The rep's program_check_in sessions during the program, oldest first."""
    start = datetime.combine(program.start_date, time.min, UTC)
    stop = datetime.combine(program_end(program) + timedelta(days=1), time.min, UTC)
    return sorted(
        (
            record
            for record in app_records(session, [program.rep_id])
            if record.kind is CoachingKind.PROGRAM_CHECK_IN and start <= record.held_at < stop
        ),
        key=lambda record: record.held_at,
    )


@dataclass(frozen=True)
class MetricComparison:
    """One metric's weekly values before and during the program, and the test's verdict."""

    metric: str
    before: tuple[float, ...]
    after: tuple[float, ...]
    before_mean: float | None
    after_mean: float | None
    u_statistic: float | None
    """Mann–Whitney U of the program's weeks (n_before × n_after / 2 when neither ranks
    higher)."""
    p_value: float | None
    verdict: Verdict
    note: str = ""


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compare_metric(
    metric: str,
    before: Sequence[float | None],
    after: Sequence[float | None],
    max_p_value: float = 0.05,
) -> MetricComparison:
    """Before and after weekly values compared by a two-sided Mann–Whitney U test (pure).

    Weeks without a value (None: a win rate in a week with no closed deal) are left out.
    """
    first = tuple(float(v) for v in before if v is not None)
    second = tuple(float(v) for v in after if v is not None)
    means = (_mean(first), _mean(second))
    if len(first) < 2 or len(second) < 2:
        return MetricComparison(
            metric,
            first,
            second,
            *means,
            None,
            None,
            "no_change",
            "fewer than 2 weeks with a value",
        )
    # Every week equal: no difference, U at its midpoint n1·n2/2 and p = 1.
    if len(set(first + second)) == 1:
        u, p = len(first) * len(second) / 2, 1.0
    else:
        result = mannwhitneyu(second, first, alternative="two-sided")
        u, p = float(result.statistic), float(result.pvalue)
    verdict: Verdict = "no_change"
    if p < max_p_value:
        # U counts the (after, before) pairs of weeks where the after week is higher (ties
        # count half): above its midpoint n1·n2/2 the after weeks are mostly higher.
        verdict = "improved" if u > len(first) * len(second) / 2 else "worse"
    return MetricComparison(metric, first, second, *means, u, p, verdict)


def overall_verdict(comparisons: Sequence[MetricComparison]) -> Verdict:
    """Improved when more metrics improved than got worse, worse when the reverse."""
    up = sum(c.verdict == "improved" for c in comparisons)
    down = sum(c.verdict == "worse" for c in comparisons)
    return "improved" if up > down else "worse" if down > up else "no_change"


def weekly_values(daily: pd.DataFrame, first: date, weeks: int) -> list[float]:
    """Sums of a rep's daily values (columns day, value) per week from `first` (0 where none)."""
    totals = [0.0] * weeks
    for day, value in zip(pd.to_datetime(daily["day"]), daily["value"], strict=True):
        index = (day.date() - first).days // 7
        if 0 <= index < weeks:
            totals[index] += float(value)
    return totals


def weekly_win_rates(closed: pd.DataFrame, first: date, weeks: int) -> list[float | None]:
    """Won ÷ closed deals per week from `first` (columns day, is_won); None without any."""
    won = [0] * weeks
    total = [0] * weeks
    for day, is_won in zip(pd.to_datetime(closed["day"]), closed["is_won"], strict=True):
        index = (day.date() - first).days // 7
        if 0 <= index < weeks:
            total[index] += 1
            won[index] += bool(is_won)
    return [w / t if t else None for w, t in zip(won, total, strict=True)]


def rep_weekly(
    backend: Store, rep_id: str, metric: str, first: date, weeks: int, zone: str = "UTC"
) -> list[float | None]:
    """The rep's weekly values of `metric` for `weeks` weeks from `first`, from the store."""
    last = first + timedelta(days=7 * weeks - 1)
    if metric == WIN_RATE:
        deals = backend.table("opportunities")
        deals = deals.mutate(local=local_time(deals.closed_at, zone, first, last))
        start = datetime.combine(first, time.min)
        stop = datetime.combine(last + timedelta(days=1), time.min)
        closed = deals.filter(
            (deals.owner_rep_id == rep_id)
            & deals.is_won.notnull()
            & (deals.local >= start)
            & (deals.local < stop)
        )
        frame = backend.execute(closed.select(day=closed.local.date(), is_won=closed.is_won))
        return list(weekly_win_rates(frame, first, weeks))
    daily = daily_actuals(backend, metric, first, last, zone)
    mine = daily[daily["rep_id"].astype(str) == rep_id]
    return list(weekly_values(mine, first, weeks))


@dataclass(frozen=True)
class ProgramReview:
    """A program's check-ins and its before/after comparison as of a day."""

    program_id: int
    rep_id: str
    goal: str
    start: date
    end: date
    weeks_done: int
    before_start: date
    """First day of the equal window before the program."""
    check_ins: list[CoachingRecord]
    comparisons: list[MetricComparison]
    verdict: Verdict
    test: str = TEST_NAME
    max_p_value: float = 0.05
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "program_id": self.program_id,
            "rep_id": self.rep_id,
            "goal": self.goal,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks_done": self.weeks_done,
            "before_start": self.before_start.isoformat(),
            "check_ins": [record.to_dict() for record in self.check_ins],
            "comparisons": [asdict(c) for c in self.comparisons],
            "verdict": self.verdict,
            "test": self.test,
            "max_p_value": self.max_p_value,
            "notes": self.notes,
        }


def weeks_done(program: Program, as_of: date) -> int:
    """Program weeks completed by the end of `as_of`."""
    days = (min(as_of, program_end(program)) - program.start_date).days + 1
    return max(days // 7, 0)


def review_program(
    session: Session,
    backend: Store,
    program_id: int,
    as_of: date,
    *,
    settings: WorkflowSettings | None = None,
    zone: str = "UTC",
    scope: Visibility | None = None,
) -> ProgramReview:
    """The program's check-ins and, over its completed weeks and as many weeks before it, each
    watched metric's comparison and the verdict."""
    settings = settings or WorkflowSettings()
    program = get_program(session, program_id, scope)
    done = weeks_done(program, as_of)
    before_start = program.start_date - timedelta(days=7 * done)
    comparisons = []
    notes = []
    if done == 0:
        notes.append(f"the program has not completed a week by {as_of}")
    else:
        for metric in parse_metrics(program.metrics):
            before = rep_weekly(backend, program.rep_id, metric, before_start, done, zone)
            after = rep_weekly(backend, program.rep_id, metric, program.start_date, done, zone)
            comparisons.append(compare_metric(metric, before, after, settings.program_max_p_value))
    return ProgramReview(
        program_id=program.id,
        rep_id=program.rep_id,
        goal=program.goal,
        start=program.start_date,
        end=program_end(program),
        weeks_done=done,
        before_start=before_start,
        check_ins=program_check_ins(session, program),
        comparisons=comparisons,
        verdict=overall_verdict(comparisons),
        max_p_value=settings.program_max_p_value,
        notes=notes,
    )


def rep_programs(session: Session, rep_id: str | None = None) -> list[Program]:
    """Programs (of one rep), newest start first."""
    query = select(Program)
    if rep_id is not None:
        query = query.where(Program.rep_id == rep_id)
    return list(session.scalars(query.order_by(Program.start_date.desc(), Program.id.desc())))
