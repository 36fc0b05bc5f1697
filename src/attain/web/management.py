"""What the management pages and API objects show and change: intensive programs, the skills
matrix and training, new-hire ramp, product priorities and compensation payouts.

Like `attain.web.coaching_view_models`, every function asks `attain.access` first and returns
JSON-ready data that the API returns as is and the templates render. Store results come from
the cached services (keyed by what the app database adds to them); app-database records are
read afresh on every request and written credited to the user in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import altair as alt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from attain.access import (
    NotFound,
    Principal,
    Resource,
    Visibility,
    can_write,
    check_rep_writer,
    check_writer,
)
from attain.appdb.database import session_scope
from attain.appdb.models import ProductTier, Program, Skill
from attain.errors import ConfigError, InputError
from attain.metrics.periods import Period, quarter_of
from attain.store.handle import Store
from attain.web.services import Services
from attain.web.view_models import scope
from attain.web.writing import acting_session, rep_write
from attain.workflow.coaching import app_records
from attain.workflow.compensation import (
    CompPlan,
    WonDeal,
    bookings_quotas,
    load_plan,
    parse_period,
    payout_report,
    won_deals,
)
from attain.workflow.products import (
    app_priorities,
    priority_changes,
    product_rows,
    set_priority,
    tier_map,
)
from attain.workflow.programs import (
    DEFAULT_METRICS,
    check_in,
    program_check_ins,
    program_end,
    rep_programs,
    review_program,
    start_program,
)
from attain.workflow.ramp import RampRow, store_ramp
from attain.workflow.skills import (
    SKILLS,
    recommend_training,
    set_score,
    skills_matrix,
    suggest_skills,
)

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)
"""Days a program, check-in or payout period may name (as for the as-of day: dates far outside
any CRM's data overflow the core's calendar arithmetic)."""

PRIORITY_CHANGES_SHOWN = 20
"""Latest product-priority changes the products page lists from the audit log."""


class ProgramIn(BaseModel):
    """An intensive program to start for a rep."""

    model_config = ConfigDict(extra="forbid")

    rep_id: str = Field(min_length=1, max_length=64, description="The CRM id of the rep.")
    start: date = Field(ge=EARLIEST_DAY, le=LATEST_DAY, description="The program's first day.")
    weeks: int = Field(ge=1, le=52, description="How many weeks it lasts.")
    goal: str = Field(min_length=1, max_length=1000, description="What the program is for.")
    metrics: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Metrics to watch (win_rate or countable metrics); none: "
        + ", ".join(DEFAULT_METRICS)
        + ".",
    )


class CheckInIn(BaseModel):
    """A weekly check-in of a program: a coaching session inside the program's weeks."""

    model_config = ConfigDict(extra="forbid")

    held_at: datetime = Field(
        ge=datetime(1900, 1, 1, tzinfo=UTC),
        le=datetime(2199, 12, 31, tzinfo=UTC),
        description="When it took place (a time without a zone is UTC).",
    )
    duration_minutes: int = Field(30, ge=1, le=24 * 60)
    notes: str = Field("", max_length=10_000)
    topics: list[str] = Field(default_factory=list, max_length=20)


class SkillScoreIn(BaseModel):
    """A manager's score of one of a rep's skills."""

    model_config = ConfigDict(extra="forbid")

    rep_id: str = Field(min_length=1, max_length=64, description="The CRM id of the rep.")
    skill: Skill
    score: int = Field(ge=1, le=5, description="1 (weak) to 5 (strong).")
    note: str = Field("", max_length=2000, description="Why this score.")


class PriorityIn(BaseModel):
    """A product's tier, and the differentiators reps should lead with (kept when absent)."""

    model_config = ConfigDict(extra="forbid")

    tier: ProductTier
    differentiators: str | None = Field(None, max_length=2000)


def _name(services: Services, rep_id: str) -> str:
    entry = services.roster().get(rep_id)
    return entry.name if entry else rep_id


# -- intensive programs ----------------------------------------------------------------------
def _visible_program(session: Session, program_id: int, allowed: Visibility) -> Program:
    """The program when it exists and its rep is in the scope; else NotFound."""
    program = session.get(Program, program_id)
    if program is None or not allowed.sees_rep(program.rep_id):
        raise NotFound(f"no program {program_id}")
    return program


def _program_row(services: Services, session: Session, program: Program) -> dict[str, Any]:
    return {
        "id": program.id,
        "rep_id": program.rep_id,
        "name": _name(services, program.rep_id),
        "start": program.start_date.isoformat(),
        "end": program_end(program).isoformat(),
        "weeks": program.weeks,
        "goal": program.goal,
        "metrics": program.metrics.split(","),
        "check_ins": len(program_check_ins(session, program)),
    }


def programs_view(
    services: Services, engine: Engine, user: Principal, rep_id: str | None = None
) -> list[dict[str, Any]]:
    """Programs of the reps the user may see (one rep's when `rep_id` is given), newest
    start first, with how many check-ins each has had."""
    allowed = scope(services, user, Resource.PROGRAMS)
    if rep_id is not None:
        allowed.rep(rep_id, services.roster())
    with session_scope(engine) as session:
        return [
            _program_row(services, session, program)
            for program in rep_programs(session, rep_id)
            if allowed.sees_rep(program.rep_id)
        ]


def programs_page(
    services: Services, engine: Engine, user: Principal, rep_id: str | None = None
) -> dict[str, Any]:
    """The programs page: the list, and the reps a writer may start one for."""
    allowed = scope(services, user, Resource.PROGRAMS)
    reps = sorted(
        (entry.rep_id, entry.name)
        for entry in services.roster().values()
        if entry.role == "rep" and allowed.sees_rep(entry.rep_id)
    )
    return {
        "rep_id": rep_id,
        "programs": programs_view(services, engine, user, rep_id),
        "can_start": can_write(user, Resource.PROGRAMS),
        "reps": [{"rep_id": rep, "name": name} for rep, name in reps],
        "default_metrics": list(DEFAULT_METRICS),
        "today": date.today().isoformat(),
    }


def start_program_view(
    services: Services, engine: Engine, user: Principal, asked: ProgramIn
) -> dict[str, Any]:
    """Start a program for a rep, credited to `user` (NotFound outside the scope, Forbidden
    for a role that may not start one)."""
    with rep_write(services, engine, user, Resource.PROGRAMS, asked.rep_id) as write:
        program = start_program(
            write.session,
            rep_id=write.rep_id,
            start=asked.start,
            weeks=asked.weeks,
            goal=asked.goal,
            metrics=asked.metrics,
            by=write.by,
            scope=write.allowed,
        )
        return _program_row(services, write.session, program)


def program_review_view(
    services: Services, engine: Engine, user: Principal, program_id: int, asked: date | None
) -> dict[str, Any]:
    """The program's check-ins and each watched metric before and during it (means,
    Mann–Whitney U, p) with the verdict, as of the asked day."""
    allowed = scope(services, user, Resource.PROGRAMS)
    day = services.as_of(asked).day
    settings = services.settings
    with session_scope(engine) as session:
        program = _visible_program(session, program_id, allowed)
        key = (
            "program_review",
            program.id,
            program.rep_id,
            program.start_date,
            program.weeks,
            program.metrics,
            day,
            tuple(record.id for record in program_check_ins(session, program)),
        )
        review = services.with_store(
            key,
            lambda backend: review_program(
                session,
                backend,
                program.id,
                day,
                settings=settings.workflow,
                zone=settings.performance.timezone,
            ),
        )
        data: dict[str, Any] = review.to_dict()
        data.update(
            {
                "as_of": day.isoformat(),
                "name": _name(services, program.rep_id),
                "weeks": program.weeks,
                "metrics": program.metrics.split(","),
                "can_check_in": can_write(user, Resource.PROGRAMS),
                "today": date.today().isoformat(),
            }
        )
        return data


def check_program_writer(
    services: Services, engine: Engine, user: Principal, program_id: int
) -> str:
    """The program's rep when `user` may log its check-ins: NotFound when the user cannot
    see the program, Forbidden when the role may not write."""
    allowed = scope(services, user, Resource.PROGRAMS)
    with session_scope(engine) as session:
        program = _visible_program(session, program_id, allowed)
        return check_rep_writer(user, allowed, program.rep_id, services.roster())


def program_check_in_view(
    services: Services, engine: Engine, user: Principal, program_id: int, asked: CheckInIn
) -> dict[str, Any]:
    """Log a weekly check-in of a program (NotFound when the user cannot see the program,
    Forbidden for a role that may not write, InputError for a day outside the program)."""
    check_program_writer(services, engine, user, program_id)
    allowed = scope(services, user, Resource.PROGRAMS)
    with acting_session(engine, user) as (session, coach):
        program = _visible_program(session, program_id, allowed)
        record, week = check_in(
            session,
            program.id,
            coach=coach,
            held_at=asked.held_at,
            duration_minutes=asked.duration_minutes,
            notes=asked.notes,
            topics=asked.topics,
            scope=allowed,
        )
        (found,) = [r for r in app_records(session, [program.rep_id]) if r.id == str(record.id)]
        return {"program_id": program.id, "week": week, "session": found.to_dict()}


# -- the skills matrix -----------------------------------------------------------------------
def skills_view(
    services: Services, engine: Engine, user: Principal, rep_id: str | None = None
) -> list[dict[str, Any]]:
    """The skills matrix: every selling rep the user may see (one when `rep_id` is given), by
    id, with the score in force per skill (absent when never scored), who gave it and when."""
    allowed = scope(services, user, Resource.SKILLS)
    roster = services.roster()
    if rep_id is not None:
        allowed.rep(rep_id, roster)
    with session_scope(engine) as session:
        scored = {
            row.rep_id: row.to_dict()["scores"]
            for row in skills_matrix(session, None if rep_id is None else [rep_id], allowed)
        }
    reps = sorted(
        rep
        for rep, entry in roster.items()
        if (entry.role == "rep" or rep in scored) and allowed.sees_rep(rep)
    )
    return [
        {"rep_id": rep, "name": roster[rep].name, "scores": scored.get(rep, {})}
        for rep in reps
        if rep_id in (None, rep)
    ]


def skills_page(services: Services, engine: Engine, user: Principal) -> dict[str, Any]:
    """The skills page: the matrix, the skills and whether the user may score them."""
    return {
        "rows": skills_view(services, engine, user),
        "skills": [skill.value for skill in SKILLS],
        "can_score": can_write(user, Resource.SKILLS),
    }


def rep_skills_view(
    services: Services, engine: Engine, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any]:
    """A rep's scores, the skills their findings point at (largest stake first) and the
    recommended training, as of the asked day."""
    allowed = scope(services, user, Resource.SKILLS)
    allowed.rep(rep_id, services.roster())
    day = services.as_of(asked).day
    suggestions = suggest_skills(services.diagnosis(day).findings, rep_id)
    with session_scope(engine) as session:
        rows = skills_matrix(session, [rep_id])
    entries = rows[0].scores if rows else {}
    training = recommend_training(
        {skill: entry.score for skill, entry in entries.items()},
        suggestions,
        services.settings.workflow,
    )
    return {
        "rep_id": rep_id,
        "name": _name(services, rep_id),
        "as_of": day.isoformat(),
        "scores": rows[0].to_dict()["scores"] if rows else {},
        "suggestions": [
            {
                "skill": s.skill.value,
                "causes": list(s.causes),
                "bookings_at_stake": s.bookings_at_stake,
            }
            for s in suggestions
        ],
        "training": [
            {"skill": t.skill.value, "score": t.score, "training": t.training, "reason": t.reason}
            for t in training
        ],
        "skills": [skill.value for skill in SKILLS],
        "can_score": can_write(user, Resource.SKILLS),
    }


def set_skill_score_view(
    services: Services, engine: Engine, user: Principal, asked: SkillScoreIn
) -> dict[str, Any]:
    """Record a score of a rep's skill, credited to `user` (NotFound outside the scope,
    Forbidden for a role that may not score)."""
    with rep_write(services, engine, user, Resource.SKILLS, asked.rep_id) as write:
        row = set_score(
            write.session,
            write.rep_id,
            asked.skill,
            asked.score,
            by=write.by,
            note=asked.note,
            scope=write.allowed,
        )
        return {
            "id": row.id,
            "rep_id": row.rep_id,
            "skill": row.skill.value,
            "score": row.score,
            "note": row.note,
            "scored_by": user.email,
            "scored_at": row.scored_at.isoformat(),
        }


# -- new-hire ramp ---------------------------------------------------------------------------
def _ramp_rows(services: Services, day: date) -> list[RampRow]:
    settings = services.settings
    return services.with_store(
        ("ramp", day),
        lambda backend: store_ramp(
            backend, day, settings=settings.workflow, zone=settings.performance.timezone
        ),
    )


def _ramp_line(services: Services, row: RampRow) -> dict[str, Any]:
    last = row.months[-1] if row.months else None
    return {
        "rep_id": row.rep_id,
        "name": _name(services, row.rep_id),
        "hire_date": row.hire_date.isoformat(),
        "cohort": row.cohort,
        "months_done": len(row.months),
        "cumulative_bookings": last.cumulative_bookings if last else None,
        "cohort_median_cumulative_bookings": (
            last.cohort_median_cumulative_bookings if last else None
        ),
        "activities": last.activities if last else None,
        "cohort_median_activities": last.cohort_median_activities if last else None,
        "behind": row.behind,
        "reason": row.reason,
        "months": row.to_dict()["months"],
    }


def ramp_chart(name: str, months: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Bookings since hire and activities per month since hire, the rep's against the cohort
    median's, side by side (None without a completed month)."""
    if not months:
        return None
    points = []
    for month in months:
        for measure, mine, median in (
            ("bookings since hire", "cumulative_bookings", "cohort_median_cumulative_bookings"),
            ("activities in the month", "activities", "cohort_median_activities"),
        ):
            points.append(
                {"month": month["month"], "measure": measure, "who": name, "value": month[mine]}
            )
            points.append(
                {
                    "month": month["month"],
                    "measure": measure,
                    "who": "cohort median",
                    "value": month[median],
                }
            )
    chart = (
        alt.Chart(pd.DataFrame(points))
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title="month since hire"),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
            color=alt.Color("who:N", title=None),
            strokeDash=alt.StrokeDash("who:N", legend=None),
            tooltip=["who:N", "month:O", alt.Tooltip("value:Q", format=",.0f")],
        )
        .properties(width=280, height=220)
        .facet(column=alt.Column("measure:N", title=None))
        .resolve_scale(y="independent")
        .properties(title=f"Ramp of {name} against the cohort median")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def ramp_view(
    services: Services,
    user: Principal,
    asked: date | None,
    rep_id: str | None = None,
    behind_only: bool = False,
) -> dict[str, Any]:
    """Ramp lines of the new hires the user may see (reps behind first), and the chart of one
    of them (`rep_id`, else the first line) against the cohort median."""
    allowed = scope(services, user, Resource.RAMP)
    if rep_id is not None:
        allowed.rep(rep_id, services.roster())
    day = services.as_of(asked).day
    lines = [
        _ramp_line(services, row)
        for row in _ramp_rows(services, day)
        if allowed.sees_rep(row.rep_id) and (row.behind or not behind_only)
    ]
    shown = rep_id or (lines[0]["rep_id"] if lines else None)
    picked = next((line for line in lines if line["rep_id"] == shown), None)
    notes = []
    if rep_id is not None and picked is None:
        notes.append(f"{rep_id} was not hired since the store's first activity: no ramp curve")
    return {
        "as_of": day.isoformat(),
        "rep_id": shown,
        "rows": lines,
        "behind": sum(1 for line in lines if line["behind"]),
        "chart": (
            services.derived(
                ("ramp_chart", day, picked["rep_id"]),
                lambda: ramp_chart(picked["name"], picked["months"]),
            )
            if picked
            else None
        ),
        "notes": notes,
    }


# -- product priorities ----------------------------------------------------------------------
def _priorities_key(session: Session) -> tuple[tuple[str, str, str], ...]:
    """The tiers set in Attain, as a cache key of results that depend on them."""
    return tuple(
        (product, row.tier.value, row.differentiators)
        for product, row in sorted(app_priorities(session).items())
    )


def _product_rows(services: Services, session: Session) -> list[dict[str, Any]]:
    return services.with_store(
        ("product_rows", _priorities_key(session)),
        lambda backend: [row.to_dict() for row in product_rows(session, backend)],
    )


def products_view(services: Services, engine: Engine, user: Principal) -> dict[str, Any]:
    """Every product with its tier in force (Attain's over the CRM's) and differentiators, the
    latest changes from the audit log, and whether the user may edit them."""
    scope(services, user, Resource.PRODUCTS)
    with session_scope(engine) as session:
        rows = _product_rows(services, session)
        changes = [c.to_dict() for c in priority_changes(session, PRIORITY_CHANGES_SHOWN)]
    return {
        "products": rows,
        "tiers": [tier.value for tier in ProductTier],
        "changes": changes,
        "can_edit": can_write(user, Resource.PRODUCTS),
    }


def set_priority_view(
    services: Services, engine: Engine, user: Principal, product_id: str, asked: PriorityIn
) -> dict[str, Any]:
    """Set a product's tier (and differentiators), credited to `user` in the audit log;
    Forbidden for a role that may not edit, NotFound for a product not in the store."""
    scope(services, user, Resource.PRODUCTS)
    check_writer(user, Resource.PRODUCTS)
    with acting_session(engine, user) as (session, by):
        if product_id not in {row["product_id"] for row in _product_rows(services, session)}:
            raise NotFound(f"no product {product_id}")
        set_priority(session, product_id, asked.tier, asked.differentiators, by=by)
    with session_scope(engine) as session:
        (row,) = [r for r in _product_rows(services, session) if r["product_id"] == product_id]
        return row


# -- compensation ----------------------------------------------------------------------------
def comp_plan(services: Services) -> CompPlan:
    """The plan named by the `comp_plan` setting; ConfigError when none is set or it is
    unreadable (the page and API answer 409 with what to fix)."""
    path = services.settings.workflow.comp_plan
    if path is None:
        raise ConfigError(
            "no compensation plan: set comp_plan in the [workflow] table of attain.toml (or "
            "ATTAIN_WORKFLOW__COMP_PLAN) to a plan file, see docs/workflow.md"
        )
    try:
        return load_plan(path)
    except InputError as error:
        raise ConfigError(str(error)) from None


def payout_period(text: str | None, day: date) -> Period:
    """The period asked for ('2026-Q4' or 'YYYY-MM-DD..YYYY-MM-DD'), else the quarter of
    `day`; InputError outside 1900–2199 or when it ends before it starts."""
    span = parse_period(text) if text else quarter_of(day)
    if span.end < span.start:
        raise InputError(f"period {text!r} ends before it starts")
    if span.start < EARLIEST_DAY or span.end > LATEST_DAY:
        raise InputError(f"a period lies between {EARLIEST_DAY} and {LATEST_DAY}, not {text!r}")
    return span


def payouts_view(
    services: Services,
    engine: Engine,
    user: Principal,
    asked: date | None,
    period: str | None = None,
    rep_id: str | None = None,
) -> dict[str, Any]:
    """Each rep's payout for the period (base by tier, accelerators, SPIFs, deal by deal) and
    whether the plan pays more for priority products than for loss leaders, over the payouts
    the user may see (one rep's when `rep_id` is given)."""
    allowed = scope(services, user, Resource.COMPENSATION)
    if rep_id is not None:
        allowed.rep(rep_id, services.roster())
    plan = comp_plan(services)
    day = services.as_of(asked).day
    span = payout_period(period, day)
    zone = services.settings.performance.timezone
    with session_scope(engine) as session:

        def compute(backend: Store) -> tuple[list[WonDeal], dict[str, float]]:
            tiers = tier_map(session, backend)
            return won_deals(backend, span, tiers, zone), bookings_quotas(backend, span)

        deals, quotas = services.with_store(
            ("payout_inputs", span.start, span.end, _priorities_key(session)), compute
        )

    def keep(rep: str) -> bool:
        return allowed.sees_rep(rep) and rep_id in (None, rep)

    report = payout_report(
        plan,
        span,
        [deal for deal in deals if keep(deal.rep_id)],
        {rep: quota for rep, quota in quotas.items() if keep(rep)},
    )
    data = report.to_dict()
    for row in data["reps"]:
        row["name"] = _name(services, row["rep_id"])
    data.update(
        {
            "as_of": day.isoformat(),
            "period_label": span.label,
            "period_asked": period or "",
            "rep_id": rep_id,
            "covers": "company" if allowed.company and rep_id is None else "visible reps",
        }
    )
    return data
