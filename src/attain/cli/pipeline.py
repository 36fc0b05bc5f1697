"""`attain pipeline waterfall` and `attain pipeline calls`: how a quarter's pipeline moved week
by week, and how the CRM's forecast calls compared with what closed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.cli.changes import FORMAT, ChangesFormat, emit
from attain.cli.options import DB, OUTPUT, command_group, day_option, opened_store
from attain.errors import InputError

if TYPE_CHECKING:
    from attain.history.calls import CallAccuracy
    from attain.history.waterfall import Waterfall
    from attain.metrics.periods import Period

app = command_group("The pipeline's movement and the CRM's calls.")

PERIOD = typer.Option(
    ..., "--period", metavar="2026-Q4", help="The quarter (or YYYY-MM-DD..YYYY-MM-DD)."
)
TEAM = typer.Option(None, "--team", help="Only this team's deals (by owner then).")
REP = typer.Option(None, "--rep", help="Only this rep's deals.")
THROUGH = day_option("--through", "Weeks up to this day \\[default: today, or the period's end].")


def _period(text: str, team: str | None, rep: str | None) -> Period:
    from attain.workflow.compensation import parse_period

    if team is not None and rep is not None:
        raise InputError("give --team or --rep, not both")
    return parse_period(text)


def _day(through: datetime | None) -> date | None:
    return through.date() if through is not None else None


@app.command("waterfall")
def waterfall_command(
    period: str = PERIOD,
    team: str | None = TEAM,
    rep: str | None = REP,
    through: datetime | None = THROUGH,
    db: str | None = DB,
    output_format: ChangesFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """The period's pipeline week by week: start, + created, + pulled in, ± reassigned,
    ± resized, − pushed out, − lost, − won, − deleted, = end, in money and deals.

    The pipeline is the open deals expected to close in the period; each week's end is the
    next week's start. --format json lists the deals behind every bar; docs/history.md,
    "Pipeline waterfall", says how each deal's movement is decided.
    """
    from attain.config import load_settings
    from attain.history.waterfall import pipeline_waterfall
    from attain.reports.history import waterfall_csv, waterfall_json

    asked = _period(period, team, rep)
    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        result = pipeline_waterfall(
            backend,
            asked,
            team_id=team,
            rep_id=rep,
            through=_day(through),
            currency=settings.currency,
        )
    emit(result, output_format, output, waterfall_json, waterfall_csv, print_waterfall)


def _who(team: str | None, rep: str | None) -> str:
    return f"team {team}" if team else f"rep {rep}" if rep else "the company"


def print_waterfall(console: Console, result: Waterfall) -> None:
    """One row per week: start, each movement (money, deals in brackets), end."""
    from attain.history.waterfall import OUTFLOWS, Movement
    from attain.reports.history import currency_note
    from attain.reports.templating import label

    console.print(
        f"[bold]Pipeline waterfall[/] {result.period.label} for "
        f"{escape(_who(result.team_id, result.rep_id))}, weeks through {result.through}"
    )
    console.print(f"[dim]{escape(currency_note(result.currency))}[/]")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    shown = [
        movement
        for movement in Movement
        if any(week.bar(movement).deals for week in result.weeks)
        or movement not in (Movement.REOPENED, Movement.REASSIGNED_IN, Movement.REASSIGNED_OUT)
    ]
    table = Table()
    table.add_column("week", justify="left", no_wrap=True)
    table.add_column("start", justify="right")
    for movement in shown:
        sign = "−" if movement in OUTFLOWS else "±" if movement is Movement.RESIZED else "+"
        table.add_column(f"{sign} {label(movement.value)}", justify="right")
    table.add_column("= end", justify="right")
    for week in result.weeks:
        cells = [f"{week.week}: {week.start:%b %d}–{week.end:%b %d}"]
        cells.append(f"{week.start_amount:,.0f} ({week.start_deals})")
        for movement in shown:
            bar = week.bar(movement)
            cells.append(f"{bar.amount:,.0f} ({bar.deals})" if bar.deals else "")
        cells.append(f"{week.end_amount:,.0f} ({week.end_deals})")
        table.add_row(*cells)
    console.print(table)
    console.print("Money (deals). The deals behind each bar: --format json.")


@app.command("calls")
def calls_command(
    period: str = PERIOD,
    team: str | None = TEAM,
    rep: str | None = REP,
    through: datetime | None = THROUGH,
    p50: bool = typer.Option(
        True, "--p50/--no-p50", help="Show Attain's P50 as of each week (a forecast per week)."
    ),
    db: str | None = DB,
    output_format: ChangesFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Forecast-call accuracy: the CRM's commit, best-case and pipeline calls at the end of
    each past week of the period against what closed won in it, beside Attain's P50.

    Calls are read from the history as it stood each week (forecast category and amount of the
    open deals expected to close in the period, plus what had already closed won). Attain's
    P50 uses `backtest_simulations` runs per week; docs/history.md, "Forecast-call accuracy".
    """
    from attain.config import load_settings
    from attain.history.calls import forecast_calls
    from attain.reports.history import calls_csv, calls_json

    asked = _period(period, team, rep)
    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        result = forecast_calls(
            backend,
            asked,
            zone=settings.performance.timezone,
            forecast_settings=settings.forecast if p50 else None,
            team_id=team,
            rep_id=rep,
            through=_day(through),
            currency=settings.currency,
        )
    emit(result, output_format, output, calls_json, calls_csv, print_calls)


def _error(call: float | None, actual: float) -> str:
    if call is None:
        return "—"
    if actual == 0:
        return f"{call:,.0f}"
    return f"{call:,.0f} ({(call - actual) / actual:+.0%})"


def print_calls(console: Console, result: CallAccuracy) -> None:
    """One row per week: won so far, the three calls and Attain's P50, each with its error."""
    from attain.reports.history import currency_note

    console.print(
        f"[bold]Forecast calls[/] {result.period.label} for "
        f"{escape(_who(result.team_id, result.rep_id))}: actual closed won "
        f"{result.actual:,.0f}"
    )
    console.print(f"[dim]{escape(currency_note(result.currency))}[/]")
    if not result.complete:
        console.print(
            f"[yellow]note:[/] {result.period.label} has not ended: the actual is what is won "
            "so far, and the errors will shrink or grow as the rest closes"
        )
    table = Table()
    for header in ("week", "as of", "won so far", "commit", "best case", "pipeline", "P50"):
        table.add_column(header, justify="left" if header in ("week", "as of") else "right")
    for week in result.weeks:
        table.add_row(
            str(week.week),
            week.as_of.isoformat(),
            f"{week.won:,.0f}",
            _error(week.commit_call, result.actual),
            _error(week.best_case_call, result.actual),
            _error(week.pipeline_call, result.actual),
            _error(week.attain_p50, result.actual),
        )
    console.print(table)
    console.print(
        "Calls add up: commit = won + commit; best case = that + best case; pipeline = that + "
        "pipeline. (±%): error against the actual."
    )
    if result.p50_source:
        console.print(f"[dim]{escape(result.p50_source)}.[/]")
