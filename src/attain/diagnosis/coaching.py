"""Coaching: a seller left without regular one-on-ones, shadowing or, when struggling, a program.

Three checks per seller, each from coaching_sessions: a one-on-one within the last
`one_on_one_weeks`; at least `min_shadows` shadow sessions in the 12 months before as_of; and,
for an under-performer (the performance report's class), a program session in the window. One
missed check is common on healthy teams (a holiday, a busy quarter, and on the demo about
half of all sellers are under-performers without a program), so a seller is a finding when
`min_failed_checks` checks fail. On the demo (seeds 1-3, 200 reps) healthy sellers' last
one-on-one was at most 42 days before as_of and every one was shadowed 2 or 3 times in the
trailing 12 months, so 6 weeks and 2 shadows flag none of them, while coaching-neglected
sellers (no one-on-one for 22-28 weeks, no shadowing for 13 months) fail both. Coaching
minutes in the window against the median of sellers of the same class show time against need.

One check is decisive alone: no one-on-one for at least `decisive_factor` times
`one_on_one_weeks` (12 weeks by default) is a finding even when the rep's numbers are fine.
Since the bookings at stake may then be near zero, coaching findings rank by their own
management scale as well as by the stake (the higher of the two): high when the last
one-on-one is at least 4 × `one_on_one_weeks` ago (or none is on record), medium from
2 ×, else low.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import (
    Detection,
    DetectorSpec,
    Finding,
    Severity,
    ratio,
    severity,
)
from attain.diagnosis.settings import CoachingThresholds as Thresholds

YEAR_DAYS = 365
HIGH_GAP_FACTOR = 4
"""Weeks since the last one-on-one, in multiples of `one_on_one_weeks`, that rank high."""
SPEC = DetectorSpec(
    cause="coaching",
    stake_method=(
        "(top performers' win rate − rep's, on deals closed in the window; all sellers' "
        "when no top performer closed any) × rep's open pipeline closing in the current "
        "period"
    ),
    actions=(
        "Put a fortnightly one-on-one with the rep's manager in the calendar now.",
        "Have the manager shadow two of the rep's customer meetings this quarter.",
        "Enrol the rep in a coaching program if their attainment stays below target.",
    ),
    questions=(
        "When did you last review a deal with your manager, and what came out of it?",
        "Which part of your sales conversations would you most like feedback on?",
        "What support would help you most over the next month?",
    ),
)


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Findings for sellers who missed at least `min_failed_checks` coaching checks, or went
    without a one-on-one for `decisive_factor` × `one_on_one_weeks`."""
    thresholds = thresholds or Thresholds()
    sessions = ctx.backend.table("coaching_sessions")
    if not int(ctx.backend.execute(sessions.count())):
        return SPEC.skip("no coaching sessions are recorded")
    if not ctx.sellers:
        return Detection()
    classes = {c.rep_id: c.performance_class for c in ctx.report.classification}
    reps = _coaching(ctx).reindex(list(ctx.sellers))
    reps["performance_class"] = [classes.get(rep, "new") for rep in reps.index]
    reps = reps.fillna({"shadows": 0, "programs": 0, "minutes": 0.0})
    checks = _checks(ctx, reps, thresholds)
    failed = checks.sum(axis=1)
    weeks = _weeks_since_one_on_one(ctx, reps)
    # No one-on-one on record counts only where the organisation records one-on-ones at all.
    recorded = bool(weeks.notna().any())
    gap = weeks >= thresholds.decisive_factor * thresholds.one_on_one_weeks
    decisive = gap | (weeks.isna() & recorded)
    flagged = sorted(failed[(failed >= thresholds.min_failed_checks) | decisive].index)
    if not flagged:
        return Detection()
    medians = reps.groupby("performance_class")["minutes"].median()
    class_minutes = {str(name): float(value) for name, value in medians.items()}
    outcomes = ctx.won_and_closed()
    benchmark, label = sorted(ctx.top_performers & set(outcomes)), "top performers"
    if not benchmark:
        benchmark, label = sorted(set(ctx.sellers) & set(outcomes)), "all sellers"
    top = [outcomes[rep] for rep in benchmark]
    top_rate = ratio(sum(won for won, _ in top), sum(closed for _, closed in top))
    pipeline = {row.id: row.open_pipeline for row in ctx.report.coverage if row.scope == "rep"}
    targets = ctx.targets()
    return Detection(
        findings=[
            _finding(
                ctx,
                rep,
                reps.loc[rep],
                checks.loc[rep],
                (
                    class_minutes[str(reps.loc[rep, "performance_class"])],
                    float(reps["minutes"].median()),
                ),
                (*outcomes.get(rep, (0, 0)), top_rate, label),
                pipeline.get(rep, 0.0),
                thresholds,
                targets.get(rep),
            )
            for rep in flagged
        ]
    )


def _weeks_since_one_on_one(ctx: DiagnosisContext, reps: pd.DataFrame) -> pd.Series:
    """Per seller: weeks from the last one-on-one to as_of; NaN when none is on record."""
    last = pd.to_datetime(reps["last_one_on_one"])
    days = (pd.Timestamp(ctx.as_of) - last.dt.normalize()).dt.days
    return days / 7


def management_severity(weeks: float | None, thresholds: Thresholds) -> Severity:
    """The coaching gap's own scale: high at 4 × one_on_one_weeks since the last one-on-one
    (or none on record), medium from decisive_factor ×, else low."""
    if weeks is None or weeks >= HIGH_GAP_FACTOR * thresholds.one_on_one_weeks:
        return "high"
    if weeks >= thresholds.decisive_factor * thresholds.one_on_one_weeks:
        return "medium"
    return "low"


_RANK: dict[Severity, int] = {"low": 0, "medium": 1, "high": 2}


def _coaching(ctx: DiagnosisContext) -> pd.DataFrame:
    """Per rep: last one-on-one before as_of, shadows in the last 12 months, program sessions
    and coaching minutes in the window."""
    start, stop = ctx.instants
    year_ago = stop - timedelta(days=YEAR_DAYS)
    sessions = ctx.backend.table("coaching_sessions")
    past = sessions.filter(sessions.occurred_at < stop)
    in_window = past.occurred_at >= start
    expr = past.group_by(rep_id=past.rep_id).aggregate(
        last_one_on_one=past.occurred_at.max(where=past.kind == "one_on_one"),
        shadows=past.count(where=(past.kind == "shadow") & (past.occurred_at >= year_ago)),
        programs=past.count(where=(past.kind == "program") & in_window),
        minutes=past.duration_min.sum(where=in_window).coalesce(0),
    )
    frame: pd.DataFrame = ctx.backend.execute(expr)
    frame["last_one_on_one"] = pd.to_datetime(frame["last_one_on_one"])
    return frame.astype({"rep_id": str}).set_index("rep_id")


def _checks(ctx: DiagnosisContext, reps: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """One boolean column per failed check, one row per seller."""
    since = datetime.combine(ctx.as_of, time.min) - timedelta(weeks=thresholds.one_on_one_weeks)
    last = reps["last_one_on_one"]
    return pd.DataFrame(
        {
            "no_recent_one_on_one": last.isna() | (last < pd.Timestamp(since)),
            "too_few_shadows": reps["shadows"] < thresholds.min_shadows,
            "under_performer_without_program": (reps["performance_class"] == "under_performer")
            & (reps["programs"] == 0),
        },
        index=reps.index,
    )


def _finding(
    ctx: DiagnosisContext,
    rep: str,
    row: pd.Series,
    failed: pd.Series,
    minutes: tuple[float, float],
    outcomes: tuple[int, int, float, str],
    open_pipeline: float,
    thresholds: Thresholds,
    target: float | None,
) -> Finding:
    class_minutes, seller_minutes = minutes
    won, closed, top_rate, label = outcomes
    win_rate = ratio(won, closed)
    stake = max(top_rate - win_rate, 0.0) * open_pipeline if closed else 0.0
    last = row["last_one_on_one"]
    weeks = None if pd.isna(last) else (ctx.as_of - last.date()).days / 7
    explanation = _explanation(row, failed, weeks, class_minutes)
    if closed:
        explanation += (
            f", and won {win_rate:.0%} of their closed deals against {top_rate:.0%} for {label}"
        )
    evidence: dict[str, Any] = {
        "last_one_on_one": None if weeks is None else last.date().isoformat(),
        "weeks_since_one_on_one": weeks,
        "one_on_one_weeks": thresholds.one_on_one_weeks,
        "shadows_last_12_months": int(row["shadows"]),
        "min_shadows": thresholds.min_shadows,
        "performance_class": str(row["performance_class"]),
        "program_sessions": int(row["programs"]),
        "coaching_minutes": float(row["minutes"]),
        "class_median_minutes": class_minutes,
        "seller_median_minutes": seller_minutes,
        "failed_checks": [name for name, miss in failed.items() if miss],
        "win_rate": win_rate if closed else None,
        "closed_deals": closed,
        "benchmark_win_rate": top_rate,
        "benchmark": label,
        "open_pipeline": open_pipeline,
    }
    by_stake = severity(stake, target)
    by_gap = management_severity(weeks, thresholds)
    evidence["management_severity"] = by_gap
    ranked: Severity = by_gap if _RANK[by_gap] > _RANK[by_stake] else by_stake
    return SPEC.finding(
        rep,
        stake=stake,
        target=target,
        evidence=evidence,
        explanation=explanation + ".",
        rank=ranked,
    )


def _explanation(
    row: pd.Series, failed: pd.Series, weeks: float | None, class_minutes: float
) -> str:
    """The checks the rep failed and their coaching minutes against their class's median."""
    misses = []
    if failed["no_recent_one_on_one"]:
        misses.append(
            "no one-on-one on record" if weeks is None else f"last one-on-one {weeks:.0f} weeks ago"
        )
    if failed["too_few_shadows"]:
        misses.append(f"shadowed {int(row['shadows'])} times in the last 12 months")
    if failed["under_performer_without_program"]:
        misses.append("no program session while under-performing")
    explanation = (
        f"Coaching gaps for this rep: {'; '.join(misses)}. They had {row['minutes']:,.0f} "
        f"minutes of coaching in the last 6 months against a median of {class_minutes:,.0f} "
        "for sellers of the same class"
    )
    return explanation
