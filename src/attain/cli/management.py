"""`attain program`, `attain skills`, `attain ramp`, `attain products` and `attain comp`:
intensive programs, the skills matrix and training, new-hire ramp, product priorities and
compensation plans (see docs/workflow.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.appdb.kinds import SKILLS
from attain.cli.options import (
    AS_OF,
    AS_USER,
    BY,
    DB,
    FORMAT,
    TextOrJson,
    acting_as,
    app_session,
    check_rep,
    command_group,
    diagnose_store,
    echo_json,
    json_or_empty,
    opened_store,
    optional_option,
    store_facts,
    user_visibility,
    writer_scope,
)
from attain.cli.users import APP_DB
from attain.errors import InputError
from attain.reports.formats import Format

program_app = command_group(
    "Intensive multi-week programs: start, weekly check-ins, before/after review."
)
skills_app = command_group(
    "The skills matrix: scores 1–5 per rep and skill, suggestions and training."
)
products_app = command_group(
    "Product priority tiers and differentiators (Attain's over the CRM's)."
)
comp_app = command_group("Compensation plans: payouts per rep for a period.")

DAY = ["%Y-%m-%d"]


@program_app.command("start")
def program_start_command(
    rep: str = typer.Option(..., "--rep", help="The CRM id of the rep in the program."),
    start: datetime = typer.Option(..., "--start", formats=DAY, help="First day."),
    weeks: int = typer.Option(..., "--weeks", min=1, help="How many weeks it lasts."),
    goal: str = typer.Option(..., "--goal", help="What the program is for."),
    metric: list[str] = typer.Option(
        [],
        "--metric",
        help="A metric to watch (repeatable) \\[default: meetings, opportunities_created, "
        "win_rate, bookings].",
        show_default=False,
    ),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Start an intensive program for a rep (one `--by` may coach on the web)."""
    from attain.access import Resource
    from attain.workflow.programs import start_program

    with acting_as(app_db, by) as (session, user):
        program = start_program(
            session,
            scope=writer_scope(user, Resource.PROGRAMS, db),
            rep_id=rep,
            start=start.date(),
            weeks=weeks,
            goal=goal,
            metrics=metric,
            by=user,
        )
        typer.echo(
            f"Program {program.id} for {program.rep_id}: {program.weeks} weeks from "
            f"{program.start_date}, watching {program.metrics.replace(',', ', ')}."
        )


@program_app.command("checkin")
def program_checkin_command(
    program_id: int = typer.Argument(..., help="The program's id."),
    at: datetime = typer.Option(
        ..., "--at", formats=["%Y-%m-%d", "%Y-%m-%d %H:%M"], help="When (UTC)."
    ),
    minutes: int = typer.Option(30, "--minutes", min=1, help="How long, in minutes."),
    notes: str = typer.Option("", "--notes", help="What was reviewed and agreed."),
    topic: list[str] = typer.Option([], "--topic", help="A topic discussed (repeatable)."),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Log a weekly check-in of a program (a coaching session of kind program_check_in), for
    a program `--by` may see on the web."""
    from attain.access import Resource
    from attain.workflow.programs import check_in

    with acting_as(app_db, by) as (session, user):
        record, week = check_in(
            session,
            program_id,
            scope=writer_scope(user, Resource.PROGRAMS, db),
            coach=user,
            held_at=at.replace(tzinfo=UTC),
            duration_minutes=minutes,
            notes=notes,
            topics=topic,
        )
        typer.echo(
            f"Check-in {record.id} of program {program_id} (week {week}) with {record.rep_id} "
            f"on {record.held_at:%Y-%m-%d}."
        )


@program_app.command("review")
def program_review_command(
    program_id: int = typer.Argument(..., help="The program's id."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Before/after comparison of the rep's weekly metrics and the program's verdict."""
    from attain.config import load_settings
    from attain.workflow.programs import review_program

    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        day = as_of.date() if as_of else date.today()
        with app_session(app_db, None) as (session, _):
            review = review_program(
                session,
                backend,
                program_id,
                day,
                settings=settings.workflow,
                zone=settings.performance.timezone,
            )
    if output_format is Format.JSON:
        echo_json(review.to_dict())
        return
    typer.echo(
        f"Program {review.program_id} for {review.rep_id}: {review.goal}\n"
        f"{review.start} to {review.end}, {review.weeks_done} week(s) done, "
        f"{len(review.check_ins)} check-in(s). Compared with {review.weeks_done} week(s) from "
        f"{review.before_start}; test: {review.test}, p < {review.max_p_value}."
    )
    table = Table(title=f"Verdict: {review.verdict.replace('_', ' ')}")
    for header in ("metric", "before (mean/wk)", "during (mean/wk)", "U", "p", "verdict"):
        table.add_column(header)
    for c in review.comparisons:
        table.add_row(
            c.metric,
            _number(c.before_mean),
            _number(c.after_mean),
            _number(c.u_statistic),
            "—" if c.p_value is None else f"{c.p_value:.3f}",
            c.verdict.replace("_", " ") + (f" ({c.note})" if c.note else ""),
        )
    console = Console(soft_wrap=True)
    console.print(table)
    for note in review.notes:
        console.print(f"Note: {escape(note)}")


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"


@skills_app.command("set")
def skills_set_command(
    rep: str = typer.Option(..., "--rep", help="The rep scored."),
    skill: str = typer.Option(..., "--skill", help=f"One of {', '.join(SKILLS)}."),
    score: int = typer.Option(..., "--score", min=1, max=5, help="1 (weak) to 5 (strong)."),
    note: str = typer.Option("", "--note", help="Why this score."),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Score a rep's skill 1–5 (kept with who and when; older scores stay as history), for a
    rep `--by` may score on the web."""
    from attain.access import Resource
    from attain.workflow.skills import set_score

    with acting_as(app_db, by) as (session, user):
        scope = writer_scope(user, Resource.SKILLS, db)
        row = set_score(session, rep, skill, score, by=user, note=note, scope=scope)
        typer.echo(f"{row.rep_id} {row.skill.value}: {row.score} of 5 (by {user.email}).")


@skills_app.command("show")
def skills_show_command(
    rep: str | None = typer.Option(None, "--rep", help="Only this rep."),
    as_user: str | None = AS_USER,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """The skills matrix: each rep's score in force per skill."""
    from attain.workflow.skills import skills_matrix

    backend = None
    with app_session(app_db, None) as (session, _):
        scope = None
        if as_user is not None:
            with opened_store(db, read_only=True) as backend:
                scope = user_visibility(session, backend, as_user)
        rows = skills_matrix(session, [rep] if rep else None, scope)
    if json_or_empty(rows, output_format, "No skill scores yet: add one with `attain skills set`."):
        return
    table = Table(title="Skills matrix (1–5)")
    table.add_column("rep")
    for skill in SKILLS:
        table.add_column(skill.value.replace("_", " "))
    for row in rows:
        table.add_row(
            row.rep_id,
            *[str(row.scores[skill].score) if skill in row.scores else "—" for skill in SKILLS],
        )
    Console(soft_wrap=True).print(table)


@skills_app.command("suggest")
def skills_suggest_command(
    rep: str = typer.Option(..., "--rep", help="The rep."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Skills the rep's findings point at, and recommended training for the weakest skills."""
    from attain.reports.jsonable import jsonable
    from attain.workflow.skills import recommend_training, skills_matrix, suggest_skills

    with store_facts(db, as_of) as found:
        check_rep(found.backend, rep)
        suggestions = suggest_skills(diagnose_store(found, rep).findings, rep)
        with app_session(app_db, None) as (session, _):
            rows = skills_matrix(session, [rep])
    scores = {skill: entry.score for skill, entry in (rows[0].scores if rows else {}).items()}
    training = recommend_training(scores, suggestions, found.settings.workflow)
    if output_format is Format.JSON:
        echo_json(
            {
                "rep_id": rep,
                "suggestions": jsonable(suggestions),
                "training": jsonable(training),
            }
        )
        return
    typer.echo(f"Skills suggested by {rep}'s findings (as of {found.report.as_of}):")
    if not suggestions:
        typer.echo("  none: no findings that point at a skill.")
    for s in suggestions:
        typer.echo(
            f"  {s.skill.value}: {', '.join(s.causes)} ({s.bookings_at_stake:,.0f} at stake)"
        )
    typer.echo("Recommended training:")
    if not training:
        typer.echo("  none: no skill scored low or suggested.")
    for t in training:
        typer.echo(f"  {t.skill.value}: {t.training} ({t.reason})")


def ramp_command(
    behind: bool = typer.Option(False, "--behind", help="Only reps behind their cohort."),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
) -> None:
    """New-hire ramp: bookings and activities by month since hire against the cohort median."""
    from attain.config import load_settings
    from attain.workflow.ramp import store_ramp

    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        rows = store_ramp(
            backend,
            as_of.date() if as_of else date.today(),
            settings=settings.workflow,
            zone=settings.performance.timezone,
        )
    if behind:
        rows = [row for row in rows if row.behind]
    if json_or_empty(rows, output_format, "No reps hired since the store's first activity."):
        return
    table = Table(title="Ramp: bookings since hire against the cohort median")
    for header in ("rep", "hired", "cohort", "months", "booked", "cohort median", "acts/mo", ""):
        table.add_column(header)
    for row in rows:
        last = row.months[-1] if row.months else None
        table.add_row(
            row.rep_id,
            str(row.hire_date),
            row.cohort,
            str(len(row.months)),
            "—" if last is None else f"{last.cumulative_bookings:,.0f}",
            "—" if last is None else f"{last.cohort_median_cumulative_bookings:,.0f}",
            "—"
            if last is None
            else f"{last.activities:,.0f} ({last.cohort_median_activities:,.0f})",
            "behind" if row.behind else "",
        )
    Console(soft_wrap=True).print(table)


@products_app.command("priority")
def products_priority_command(
    product: str = typer.Argument(..., help="The CRM product id."),
    tier: str = typer.Argument(..., help="priority, standard or loss_leader."),
    differentiators: str | None = optional_option(
        "--differentiators", help="What to lead with when selling it."
    ),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Set a product's priority tier (and differentiators) in place of the CRM's."""
    from attain.access import Resource
    from attain.workflow.products import set_priority

    with opened_store(db, read_only=True) as backend:
        known = backend.execute(backend.table("products").product_id)
    if product not in set(known.astype(str)):
        raise InputError(f"no product {product} in the store; `attain products show` lists them")
    with acting_as(app_db, by) as (session, user):
        writer_scope(user, Resource.PRODUCTS, db)  # admins and managers only, as on the web
        row = set_priority(session, product, tier, differentiators, by=user)
        typer.echo(f"{row.product_id}: {row.tier.value}.")


@products_app.command("show")
def products_show_command(
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Every product with its tier in force (from Attain or the CRM) and differentiators."""
    from attain.workflow.products import product_rows

    with opened_store(db, read_only=True) as backend, app_session(app_db, None) as (session, _):
        rows = product_rows(session, backend)
    if json_or_empty(rows, output_format):
        return
    table = Table(title="Products")
    for header in ("product", "name", "tier", "from", "differentiators"):
        table.add_column(header)
    for row in rows:
        table.add_row(
            row.product_id,
            escape(row.name),
            row.tier.value,
            row.source,
            escape(row.differentiators),
        )
    Console(soft_wrap=True).print(table)


@comp_app.command("payout")
def comp_payout_command(
    plan_file: Path | None = optional_option(
        "--plan", help="The plan, a TOML file \\[default: the comp_plan setting of [workflow]]."
    ),
    period: str | None = optional_option(
        "--period", help="2026-Q4 or 2026-10-01..2026-12-31 \\[default: the quarter of --as-of]."
    ),
    as_of: datetime | None = AS_OF,
    output_format: TextOrJson = FORMAT,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Each rep's payout for a period from their won deals, and whether the plan pays more for
    priority products than for loss leaders."""
    from attain.config import load_settings
    from attain.metrics.periods import quarter_of
    from attain.workflow.compensation import (
        bookings_quotas,
        load_plan,
        parse_period,
        payout_report,
        won_deals,
    )
    from attain.workflow.products import tier_map

    settings = load_settings()
    plan_file = plan_file or settings.workflow.comp_plan
    if plan_file is None:
        raise InputError("no compensation plan: pass --plan FILE or set comp_plan in [workflow]")
    plan = load_plan(plan_file)
    span = parse_period(period) if period else quarter_of(as_of.date() if as_of else date.today())
    with opened_store(db, read_only=True) as backend:
        with app_session(app_db, None) as (session, _):
            tiers = tier_map(session, backend)
        deals = won_deals(backend, span, tiers, settings.performance.timezone)
        quotas = bookings_quotas(backend, span)
    report = payout_report(plan, span, deals, quotas)
    if output_format is Format.JSON:
        echo_json(report.to_dict())
        return
    table = Table(title=f"Payouts under {escape(report.plan)} for {span.label}")
    for header in ("rep", "bookings", "quota", "attain.", "base", "accel.", "SPIF", "total"):
        table.add_column(header, justify="right" if header != "rep" else "left")
    for rep in report.reps:
        table.add_row(
            rep.rep_id,
            f"{rep.bookings:,.0f}",
            "—" if rep.quota is None else f"{rep.quota:,.0f}",
            "—" if rep.attainment is None else f"{rep.attainment:.0%}",
            f"{rep.base:,.0f}",
            f"{rep.accelerator:,.0f}",
            f"{rep.spif:,.0f}",
            f"{rep.total:,.0f}",
        )
    console = Console(soft_wrap=True)
    console.print(table)
    for tier, rate in report.rates.items():
        console.print(
            f"{tier.value}: {rate.bookings:,.0f} booked, {rate.paid:,.0f} paid, effective rate "
            f"{rate.effective_rate:.1%} (base {rate.base_rate:.1%})"
        )
    if report.finding is not None:
        console.print(f"[bold]Finding:[/] {escape(report.finding.explanation)}")
        console.print(f"→ {escape(report.finding.action)}")
    for note in report.notes:
        console.print(f"Note: {escape(note)}")
