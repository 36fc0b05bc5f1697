"""`attain forecast`: where this quarter's bookings will land, and how well that worked before."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from attain.cli.options import AS_OF, DB, OUTPUT, TARGET, opened_store, read_overrides
from attain.cli.output import finish, text_console, write
from attain.cli.users import APP_DB
from attain.errors import InputError
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.forecast.backtest import Backtest
    from attain.forecast.forecast import Forecast, ForecastRow
    from attain.forecast.history import DealHistory
    from attain.forecast.settings import ForecastSettings
    from attain.metrics.periods import Period
    from attain.reports.forecast import Kind

LAST_WEEK = 13
"""A quarter's last week (its 91st day; week 13 ends a day or two before a long quarter does)."""

HELP_WEEKS = "1,2,3,4,5,6,7,8,9,10,11,12"
"""`--weeks`' default: attain.forecast.backtest.WEEKS (a test checks they agree), written out
so that `attain --help` does not load the backtest."""


ForecastFormat = Literal[Format.TEXT, Format.JSON, Format.HTML]
"""Output formats of the forecast and the backtest."""

FORMAT = typer.Option(Format.TEXT, "--format", "-f", help="Output format.")

app = typer.Typer()


@app.callback(invoke_without_command=True)
def forecast_command(
    ctx: typer.Context,
    db: str | None = DB,
    as_of: datetime | None = AS_OF,
    scope: str | None = typer.Option(
        None,
        "--scope",
        metavar="<company|team|rep>",
        help="Show only these rows \\[default: all].",
        show_default=False,
    ),
    output_format: ForecastFormat = FORMAT,
    output: Path | None = OUTPUT,
    simulations: int | None = typer.Option(
        None,
        "--simulations",
        min=100,
        help="Monte Carlo runs \\[default: simulations in the \\[forecast] table].",
        show_default=False,
    ),
    app_db: str | None = APP_DB,
    target: float | None = TARGET,
    recompute: bool = typer.Option(
        False,
        "--recompute",
        help="Compute the forecast again even when one is kept for this data version, and keep "
        "the new one.",
    ),
) -> None:
    """Where this quarter's bookings will land (P10–P90, chance of target), and a backtest.

    Per company, team and rep: P10, P50 and P90 of the quarter's bookings and the chance of
    hitting target, beside the weighted pipeline and run-rate a CRM would show. Open deals are
    simulated with win probabilities learned at the same point of past quarters, plus business
    not yet created; managers' live overrides (`attain overrides`) replace the model's
    probabilities. --format html adds the cone: how the forecast narrowed week by week.
    `attain forecast backtest` measures all of them on past quarters. Settings are in the
    \\[forecast] table of attain.toml; the method is in docs/forecast.md. The forecast is kept
    beside the store per data version, so asking again (another --scope or --format) answers at
    once.
    """
    from attain.config import load_settings
    from attain.forecast.kept import Question, kept_note, kept_or_computed
    from attain.reports.forecast import SCOPES, calibration_lines, to_html, to_json
    from attain.store.freshness import data_through, resolve_as_of
    from attain.store.inventory import data_quality

    if ctx.invoked_subcommand is not None:
        return
    if scope is not None and scope not in SCOPES:
        raise InputError(f"--scope must be company, team or rep, not {scope!r}")
    settings = load_settings()
    options = settings.forecast
    if simulations is not None:
        options = options.model_copy(update={"simulations": simulations})
    zone = settings.performance.timezone
    notes: list[str] = []
    overrides = read_overrides(app_db)
    with opened_store(db, read_only=True, as_of=as_of) as backend:
        day = resolve_as_of(
            as_of.date() if as_of else None, date.today(), data_through(backend), notes
        )
        question = Question(
            as_of=as_of,
            day=day,
            zone=zone,
            settings=settings.model_copy(update={"forecast": options}).model_dump(),
            overrides=overrides,
            target=target,
            # HTML shows the cone (a forecast per week so far); the others the as-of day's alone.
            cone=output_format is Format.HTML,
        )
        cone, kept = kept_or_computed(
            backend, question, options, recompute=recompute, preload_models=True
        )
        quality = data_quality(backend).note()
    notes.extend([quality] if quality else [])
    notes.extend([kept_note(kept)] if kept else [])
    result = cone[-1]
    notes.extend(calibration_lines(result))
    notes.extend(target_notes(result, target))
    if output_format is Format.TEXT:
        console = text_console(output)
        _print(console, result, scope, notes)
        finish(console, output)
        return
    if output_format is Format.JSON:
        write(to_json(result, scope, notes), output)
    else:
        write(to_html(cone, scope, notes), output)


@app.command("backtest")
def backtest_command(
    db: str | None = DB,
    periods: int | None = typer.Option(
        None,
        "--periods",
        min=1,
        help="Backtest the last N complete quarters \\[default: all].",
        show_default=False,
    ),
    weeks: str = typer.Option(
        HELP_WEEKS,
        "--weeks",
        metavar="<1,2,...>",
        help=f"Weeks of each quarter to forecast at the end of, 1 to {LAST_WEEK}, comma-separated.",
    ),
    output_format: ForecastFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Forecast past quarters at the end of each week from what was known then, and score the
    P50 and the CRM's weighted pipeline and run-rate against what actually closed.

    Per week: MAPE and bias of each, and how often the actual fell inside P10–P90 (80% if the
    band is honest). Each forecast uses backtest_simulations runs (\\[forecast] table).
    """
    from attain.config import load_settings
    from attain.forecast.backtest import default_periods
    from attain.forecast.history import load_history
    from attain.leads.model import PRELOADED
    from attain.preload import preload
    from attain.reports.forecast import backtest_to_html, backtest_to_json

    chosen = parse_weeks(weeks)
    settings = load_settings()
    zone = settings.performance.timezone
    with opened_store(db, read_only=True) as backend:
        preload(*PRELOADED)  # as the forecast does: beside the history read
        history = load_history(backend)
    quarters = default_periods(history, zone, periods)
    if not quarters:
        raise InputError(
            "no complete quarter to backtest: one needs a whole quarter of closed deals before "
            "it and must have ended by the last day of data"
        )
    notes: list[str] = []
    if periods is not None and len(quarters) < periods:
        notes.append(f"only {len(quarters)} complete quarter(s) in the data; backtesting those")
    result = _run(history, quarters, zone, settings.forecast, chosen)
    if output_format is Format.TEXT:
        console = text_console(output)
        _print_backtest(console, result, notes)
        finish(console, output)
        return
    if output_format is Format.JSON:
        write(backtest_to_json(result, notes), output)
    else:
        write(backtest_to_html(result, notes), output)


def parse_weeks(text: str) -> list[int]:
    """Week numbers from "1,4,8,12": each from 1 to LAST_WEEK, in order, without repeats."""
    found = set()
    for part in text.split(","):
        word = part.strip()
        if not word.isdigit() or not 1 <= int(word) <= LAST_WEEK:
            raise InputError(
                f"--weeks takes week numbers from 1 to {LAST_WEEK} separated by commas, "
                f"e.g. 1,4,8,12; {word!r} is not one"
            )
        found.add(int(word))
    return sorted(found)


def _run(
    history: DealHistory,
    quarters: list[Period],
    zone: str,
    settings: ForecastSettings,
    weeks: list[int],
) -> Backtest:
    from attain.forecast.backtest import backtest

    columns = (
        TextColumn("Backtesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("forecasts"),
        TimeElapsedColumn(),
        TextColumn("left about"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("backtest", total=len(quarters) * len(weeks))
        return backtest(
            history,
            quarters,
            zone=zone,
            settings=settings,
            weeks=weeks,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def target_notes(result: Forecast, target: float | None) -> list[str]:
    """What --target did, in the words `attain report` uses."""
    from attain.forecast.forecast import OTHER_PERIODS, SUMMED_PERIODS

    if result.target_source.startswith("flat") and target is not None:
        return [f"no bookings quotas in the store: every selling rep's target is {target:,.0f}"]
    if target is not None:
        return [f"--target {target:,.0f} ignored: the store holds bookings quotas"]
    if result.target_source == "none":
        return ["no bookings quotas in the store: set a target with --target AMOUNT per rep"]
    if result.target_source.startswith(SUMMED_PERIODS):
        how = result.target_source.removeprefix(SUMMED_PERIODS).strip(" ()")
        return [f"bookings targets for {result.period.label}: {how}"]
    if result.target_source == OTHER_PERIODS:
        return [
            f"the store's bookings quotas are for other periods (e.g. months), none for "
            f"{result.period.label}: no chance of hitting target is given; set a quarterly "
            "target with --target AMOUNT per rep"
        ]
    return []


def _print(console: Console, result: Forecast, scope: str | None, notes: list[str]) -> None:
    from attain.reports.forecast import (
        FORECAST_COLUMNS,
        baseline_line,
        headline,
        method_line,
        progress_line,
        tables,
    )
    from attain.reports.templating import ratio

    console.print(
        f"[bold]Forecast {result.period.label}[/] as of {result.as_of} "
        f"({ratio(result.elapsed)} of the period gone)"
    )
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(f"[bold]Company:[/] {escape(headline(result))}")
    console.print(escape(progress_line(result)))
    console.print(escape(baseline_line(result)))
    console.print(f"[dim]{escape(method_line(result))}[/]")
    groups, idle = tables(result, scope)
    for title, rows in groups:
        table = Table(title=title if title != "Reps" else "Reps (lowest chance of target first)")
        for column in FORECAST_COLUMNS:
            table.add_column(
                column.header,
                justify="left" if column.kind == "text" else "right",
                no_wrap=True,
                max_width=30 if column.kind == "text" else None,
            )
        for row in rows:
            table.add_row(
                *(_cell(row, column.kind, column.value(row)) for column in FORECAST_COLUMNS)
            )
        console.print(table)
    if idle:
        console.print(f"[dim]{idle} row(s) with nothing booked, open or targeted are left out.[/]")
    console.print(
        "P10 / P90: a 1-in-10 chance of landing below / above; chance: share of simulations "
        "reaching the target;\nweighted: booked + open value × stage win rates; run-rate: "
        "booked ÷ share of the period gone.\nCone chart: --format html; every row: --format json."
    )


def _cell(row: ForecastRow, kind: Kind, value: str | float | int | None) -> str:
    from attain.reports.templating import chance, ratio, short

    if value is None:
        return "—"
    if kind == "text":
        name = str(value) if row.scope != "rep" or row.name == row.id else f"{row.id} {value}"
        return escape(name)
    if kind == "count":
        return f"{value:,}"
    if kind == "chance":
        share = float(value)
        style = "bold red" if share < 0.25 else "yellow" if share < 0.5 else "green"
        return f"[{style}]{chance(share)}[/]"
    if kind == "ratio":
        return ratio(float(value))
    return short(float(value))


def _print_backtest(console: Console, result: Backtest, notes: list[str]) -> None:
    from attain.reports.forecast import SCORE_COLUMNS, coverage_line
    from attain.reports.templating import ratio

    console.print(
        f"[bold]Backtest[/] of {len(result.periods)} quarter(s) ({', '.join(result.periods)}): "
        "company bookings forecast at the end of each week from what was known then"
    )
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    table = Table(title="Accuracy by week of the quarter")
    for column in SCORE_COLUMNS:
        table.add_column(column.header, justify="right")
    for score in result.scores:
        cells = []
        for column in SCORE_COLUMNS:
            value = column.value(score)
            if column.kind == "count":
                cells.append(str(value))
            elif column.kind == "signed":
                cells.append(f"{value:+.0%}")
            else:
                cells.append(ratio(value))
        table.add_row(*cells)
    console.print(table)
    console.print(coverage_line(result))
    console.print(
        "MAPE: mean |forecast − actual| ÷ actual; bias: mean (forecast − actual) ÷ actual, "
        "negative when too low.\nCharts per quarter: --format html; every point: --format json."
    )
