"""`attain plan` (the week's work that closes each rep's gap) and `attain overrides`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.appdb.kinds import OverrideKind
from attain.cli.options import (
    AS_OF,
    DB,
    acting_as,
    app_session,
    command_group,
    opened_store,
    optional_option,
    read_overrides,
)
from attain.cli.users import APP_DB
from attain.errors import InputError
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.appdb.models import User
    from attain.forecast.forecast import Forecast
    from attain.plan.plan import OverriddenValue, RepPlan
    from attain.plan.run import PlanReport
    from attain.store.handle import Store

PlanFormat = Literal[Format.TEXT, Format.JSON]
"""Output formats of the plan."""

overrides_app = command_group(
    "A manager's values in place of computed ones: stage probabilities, lead grades, "
    "forecast categories; kept with who and why."
)


def plan_command(
    rep: str | None = optional_option("--rep", help="Plan this rep only."),
    team: str | None = optional_option(
        "--team", help="Plan this team's reps, with the team's total."
    ),
    as_of: datetime | None = AS_OF,
    output_format: PlanFormat = typer.Option(Format.TEXT, "--format", "-f", help="Output format."),
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """The week's work that closes each rep's gap to target this quarter.

    From the gap left after bookings so far and the open pipeline's expected value (the
    forecast's win probabilities, with live overrides), the rep's win rate, deal size, cycle
    and activity ratios over the last completed quarters (the team's when the rep has too few
    closed deals), how many new opportunities, meetings and first contacts a week the rest of
    the quarter needs; whether that is feasible against the rep's 90th-percentile week; and the
    lever with the largest effect. Settings are in the \\[plan] table; see docs/plan.md.
    """
    from attain.config import load_settings
    from attain.plan.run import store_plan
    from attain.store.freshness import data_through, resolve_as_of

    if rep is not None and team is not None:
        raise InputError("give --rep or --team, not both")
    settings = load_settings()
    overrides = read_overrides(app_db)
    notes: list[str] = []
    with opened_store(db, read_only=True) as backend:
        day = resolve_as_of(
            as_of.date() if as_of else None, date.today(), data_through(backend), notes
        )
        reps = _chosen_reps(backend, rep, team)
        report = store_plan(
            backend,
            day,
            zone=settings.performance.timezone,
            settings=settings.plan,
            forecast_settings=settings.forecast,
            overrides=overrides,
            reps=reps,
        )
    if rep is not None and not report.plans:
        raise InputError(f"rep {rep} has no bookings target for {report.period.label}")
    if output_format is Format.JSON:
        typer.echo(json.dumps({**report.to_dict(), "notes": notes}, indent=2, ensure_ascii=False))
        return
    _print(report, team, notes)


def _chosen_reps(backend: Store, rep: str | None, team: str | None) -> list[str] | None:
    from attain.metrics.targets import rep_roster

    if rep is None and team is None:
        return None
    roster = rep_roster(backend)
    if rep is not None:
        if rep not in set(roster["rep_id"].astype(str)):
            raise InputError(f"no rep {rep} in the store; `attain report` lists them")
        return [rep]
    members = roster.loc[roster["team_id"].astype(str) == team, "rep_id"].astype(str).tolist()
    if not members:
        raise InputError(f"no team {team} with reps in the store; `attain report` lists them")
    return sorted(members)


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _print(report: PlanReport, team: str | None, notes: list[str]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]Activity plan {report.period.label} as of {report.as_of}[/]")
    console.print(
        f"Rates from {report.window.start} to {report.window.end}; open pipeline valued with "
        f"the forecast's win probabilities ({report.method})."
    )
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    if not report.plans:
        console.print("No rep has a bookings target this quarter.")
        return
    for plan in report.plans:
        console.print()
        _print_plan(console, plan)
    if team is not None:
        console.print()
        _print_team(console, report, team)


def _print_plan(console: Console, plan: RepPlan) -> None:
    team = f", team {plan.team_id}" if plan.team_id else ""
    console.print(f"[bold]{escape(plan.rep_id)} {escape(plan.name)}[/]{escape(team)}")
    console.print(
        f"  Target {plan.target:,.0f}; booked {plan.booked:,.0f}; expected from "
        f"{plan.open_deals} open deals {plan.expected_open:,.0f} ({plan.pipeline_source}); "
        f"still to close {plan.remaining_gap:,.0f} in {plan.weeks_left:.1f} weeks."
    )
    if plan.remaining_gap > 0 and plan.deals_needed is not None:
        console.print(
            f"  Rates ({plan.rates_source}): win rate {_percent(plan.win_rate)}, "
            f"{_percent(plan.share_won_in_period)} of new deals won in time (median cycle "
            f"{_number(plan.median_cycle_days, 0)} days), average won "
            f"{_number(plan.average_won, 0)}: {plan.deals_needed:.1f} deals, "
            f"{_number(plan.opportunities_needed)} new opportunities, "
            f"{_number(plan.pipeline_needed, 0)} of pipeline."
        )
    table = Table(box=None, padding=(0, 2), show_edge=False)
    for header in ("a week", "needed", "best week (p90)", "last weeks", "needed ÷ best"):
        table.add_column(header, justify="right" if header != "a week" else "left")
    for found in plan.requirements:
        table.add_row(
            found.activity,
            _number(found.per_week),
            _number(found.best_week),
            _number(found.recent_per_week),
            "—" if found.ratio is None else f"{found.ratio:.1f}×",
        )
    console.print(table)
    verdict = {True: "feasible", False: "not feasible", None: "feasibility unknown"}
    ratio = "" if plan.feasibility_ratio is None else f" (at most {plan.feasibility_ratio:.1f}×)"
    console.print(f"  {verdict[plan.feasible].capitalize()}{ratio}.")
    if plan.best_lever is not None:
        lever = plan.best_lever
        after = (
            ""
            if lever.weekly_meetings_after is None
            else f" → {lever.weekly_meetings_after:,.1f} meetings a week"
        )
        console.print(f"  Best lever ({lever.name}): {escape(lever.description)}{after}.")
    for shown in plan.overridden:
        model = "" if shown.computed is None else f" in place of {_replaced(shown)}"
        console.print(
            f"  Override: {shown.kind} {escape(shown.target_id)} = {escape(shown.value)}{model} "
            f"({shown.deals} open deal{'s' if shown.deals != 1 else ''})."
        )
    for note in plan.notes:
        console.print(f"  [yellow]note:[/] {escape(note)}")


def _replaced(shown: OverriddenValue) -> str:
    """The value an override replaces, said so that a reader knows which model it comes from."""
    if shown.kind == OverrideKind.FORECAST_CATEGORY:
        return f"the model's {shown.computed:.2f} chance of winning it by the quarter's end"
    return f"the stage's historical win rate {shown.computed:.2f}"


def _print_team(console: Console, report: PlanReport, team: str) -> None:
    name = report.team_names.get(team, team)
    remaining = sum(plan.remaining_gap for plan in report.plans)
    parts = []
    for activity in ("opportunities", "meetings", "contacts"):
        values = [plan.requirement(activity).per_week for plan in report.plans]
        known = [value for value in values if value is not None]
        parts.append(
            f"{sum(known):,.1f} {activity}"
            + (" (some unknown)" if len(known) < len(values) else "")
        )
    console.print(
        f"[bold]Team {escape(team)} {escape(name)}[/]: still to close {remaining:,.0f}; "
        f"{', '.join(parts)} a week across {len(report.plans)} reps."
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


BY = typer.Option(..., "--by", help="E-mail of the user making the change (an Attain user).")


@overrides_app.command("set")
def set_command(
    kind: OverrideKind = typer.Argument(..., help="What is overridden."),
    target: str = typer.Argument(..., help="The stage name, lead id or opportunity id it is for."),
    value: str = typer.Argument(
        ...,
        help="A probability 0–1 (stage_probability), a grade A–D (lead_grade) or "
        "commit|best_case|pipeline|omitted (forecast_category).",
    ),
    reason: str = typer.Option(..., "--reason", help="Why: kept with the override."),
    by: str = BY,
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Put a value in place of the computed one (superseding any live override of it).

    A deal's forecast category is checked against the web app's rule for `--by` (a manager
    changes only their teams' reps' deals), reading the deal's owner from --db."""
    from attain.plan.overrides import set_override

    with acting_as(app_db, by) as (session, user):
        if kind is OverrideKind.FORECAST_CATEGORY:
            _check_deal_writer(user, target, db)
        override = set_override(session, kind, target, value, reason, user)
        typer.echo(
            f"Override {override.id}: {override.kind.value} {override.target_id} = "
            f"{override.value} (by {user.email}: {override.reason})."
        )


def _check_deal_writer(user: User, opportunity_id: str, db: str | None) -> None:
    """InputError unless `user` may see the deal's owner in the forecast, as on the web: a
    consistency check for operators (whoever runs the CLI holds the database already), not a
    security boundary."""
    from attain.access import Resource, principal, sees, visibility_for
    from attain.appdb.models import Role
    from attain.metrics.targets import roster_entries

    if user.role is Role.ADMIN:
        return
    with opened_store(db, read_only=True) as backend:
        teams = {entry.rep_id: entry.team_id for entry in roster_entries(backend)}
        deals = backend.table("opportunities")
        owners = (
            deals.filter(deals.opportunity_id == opportunity_id.strip())
            .select("owner_rep_id")
            .to_pandas()["owner_rep_id"]
        )
    visibility = visibility_for(principal(user), Resource.FORECAST, teams)
    if owners.empty or not sees(visibility, str(owners.iloc[0])):
        raise InputError(
            f"{user.email} may not change deal {opportunity_id}: it is not a deal of their "
            "teams' reps (the web app refuses it too)"
        )


@overrides_app.command("clear")
def clear_command(
    kind: OverrideKind = typer.Argument(..., help="What was overridden."),
    target: str = typer.Argument(..., help="The stage name, lead id or opportunity id."),
    by: str = BY,
    app_db: str | None = APP_DB,
) -> None:
    """Go back to the computed value: the live override is superseded (and kept in history)."""
    from attain.plan.overrides import clear_override

    with app_session(app_db, by) as (session, _user):
        override = clear_override(session, kind, target)
        typer.echo(f"Cleared override {override.id}: {override.kind.value} {override.target_id}.")


@overrides_app.command("list")
def list_command(
    include_superseded: bool = typer.Option(
        False, "--all", help="Also show superseded and cleared overrides."
    ),
    db: str | None = optional_option(
        "--db",
        help="Analytic store whose model values are shown beside the overrides: a stage's "
        "historical win rate, a deal's calibrated probability of being won by the quarter's end.",
    ),
    as_of: datetime | None = AS_OF,
    app_db: str | None = APP_DB,
) -> None:
    """Show the overrides (live ones unless --all), who set them and why, beside the model.

    With --db, a stage override is shown beside the stage's historical win rate and a
    forecast category beside the deal's owner, stage, value and the forecast's probability of
    winning it by the end of the quarter containing --as-of.
    """
    rows = _override_rows(app_db, include_superseded)
    if not rows:
        typer.echo("No overrides: set one with `attain overrides set`.")
        return
    notes: list[str] = []
    rates, found = _model_values(db, as_of, rows, notes) if db is not None else ({}, None)
    console = Console(soft_wrap=True)
    console.print(_overrides_table(rows, rates, found, include_superseded))
    if rates:
        console.print("model: a stage's historical win rate (closed deals that entered it, won).")
    if found is not None:
        console.print(
            f"model of a deal: the forecast's probability, as of {found.as_of}, that it is won "
            f"by {found.period.end} ({found.method})."
        )
    for note in notes:
        console.print(f"note: {escape(note)}")


_OverrideRow = tuple[int, OverrideKind, str, str, str, str, datetime, datetime | None]
"""id, kind, target, value, reason, set by (email), set at, superseded at."""


def _override_rows(app_db: str | None, include_superseded: bool) -> list[_OverrideRow]:
    from sqlalchemy import select

    from attain.appdb.models import User
    from attain.plan.overrides import list_overrides

    with app_session(app_db, None) as (session, _user):
        emails = {user.id: user.email for user in session.scalars(select(User))}
        return [
            (
                override.id,
                override.kind,
                override.target_id,
                override.value,
                override.reason,
                emails.get(override.created_by or -1, ""),
                override.created_at,
                override.superseded_at,
            )
            for override in list_overrides(session, include_superseded)
        ]


def _model_values(
    db: str, as_of: datetime | None, rows: list[_OverrideRow], notes: list[str]
) -> tuple[dict[str, float], Forecast | None]:
    """The stages' historical win rates and, when a deal's category is overridden, the
    forecast whose probabilities are shown beside those deals."""
    from attain.config import load_settings
    from attain.forecast.forecast import stage_win_rates
    from attain.forecast.history import load_history
    from attain.plan.run import plan_forecast
    from attain.store.freshness import data_through, resolve_as_of

    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        rates = stage_win_rates(load_history(backend))
        # The forecast is the slow part: made only when a deal's category is overridden.
        if not any(row[1] is OverrideKind.FORECAST_CATEGORY for row in rows):
            return rates, None
        day = resolve_as_of(
            as_of.date() if as_of else None, date.today(), data_through(backend), notes
        )
        found = plan_forecast(
            backend,
            day,
            zone=settings.performance.timezone,
            forecast_settings=settings.forecast,
        )
        return rates, found


def _overrides_table(
    rows: list[_OverrideRow],
    rates: dict[str, float],
    found: Forecast | None,
    include_superseded: bool,
) -> Table:
    deals = {deal.opportunity_id: deal for deal in found.deals} if found else {}
    table = Table(title="Overrides")
    for header in ("id", "kind", "target", "value", "model", "deal", "reason", "by", "set"):
        table.add_column(header)
    if include_superseded:
        table.add_column("superseded")
    for number, kind, target, value, reason, by, created, superseded in rows:
        model, deal = "", ""
        if kind is OverrideKind.STAGE_PROBABILITY and target in rates:
            model = f"{rates[target]:.2f}"
        elif kind is OverrideKind.FORECAST_CATEGORY and found is not None:
            shown = deals.get(target)
            if shown is None:
                deal = f"not open on {found.as_of}"
            else:
                model = f"{shown.model_probability:.2f}"
                deal = f"{shown.owner_rep_id}, {shown.stage}, {shown.value:,.0f}"
        cells = [str(number), kind.value, target, value, model, deal, reason, by]
        cells = [escape(cell) for cell in cells] + [f"{created:%Y-%m-%d %H:%M}"]
        if include_superseded:
            cells.append("" if superseded is None else f"{superseded:%Y-%m-%d %H:%M}")
        table.add_row(*cells)
    return table
