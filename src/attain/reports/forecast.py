"""The forecast and its backtest as a person reads them: which rows to show in what order, the
columns of their tables, a headline sentence, and JSON and HTML pages (the terminal view in the
CLI uses the same rows and columns).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from attain.forecast.backtest import Backtest, WeekScore
from attain.forecast.calibration import MIN_QUARTERS
from attain.forecast.forecast import COMPANY, Forecast, ForecastRow
from attain.reports.jsonable import dumps, dumps_ready, jsonable
from attain.reports.templating import chance, environment, money, ratio

SCOPES = ("company", "team", "rep")
"""Row scopes of a forecast, in the order they are shown."""

Kind = Literal["text", "money", "count", "ratio", "signed", "chance"]
"""How a column's value is formatted: as it is, an amount, a count, a share, a signed share, a
chance from simulations (never 0% or 100%: see `attain.reports.templating.chance`)."""


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, how to read it from a row, and what it holds."""

    header: str
    kind: Kind
    value: Callable[[ForecastRow], str | float | int | None]


@dataclass(frozen=True)
class ScoreColumn:
    """One column of the backtest's table per week."""

    header: str
    kind: Kind
    value: Callable[[WeekScore], float | int]


FORECAST_COLUMNS = (
    Column("name", "text", lambda row: row.name),
    Column("booked", "money", lambda row: row.booked),
    Column("open deals", "count", lambda row: row.open_deals),
    Column("P10", "money", lambda row: row.p10),
    Column("P50", "money", lambda row: row.p50),
    Column("P90", "money", lambda row: row.p90),
    Column("target", "money", lambda row: row.target),
    Column("chance", "chance", lambda row: row.chance_of_target),
    Column("weighted", "money", lambda row: row.weighted_pipeline),
    Column("run-rate", "money", lambda row: row.run_rate),
)
"""The forecast table: where bookings will land (P10–P90), the target and the chance of
hitting it, and the two numbers CRMs show (weighted pipeline and run-rate)."""

SCORE_COLUMNS = (
    ScoreColumn("week", "count", lambda score: score.week),
    ScoreColumn("periods", "count", lambda score: score.periods),
    ScoreColumn("P50 MAPE", "ratio", lambda score: score.mape),
    ScoreColumn("P50 bias", "signed", lambda score: score.bias),
    ScoreColumn("weighted MAPE", "ratio", lambda score: score.mape_weighted),
    ScoreColumn("weighted bias", "signed", lambda score: score.bias_weighted),
    ScoreColumn("run-rate MAPE", "ratio", lambda score: score.mape_run_rate),
    ScoreColumn("run-rate bias", "signed", lambda score: score.bias_run_rate),
    ScoreColumn("P10–P90 coverage", "ratio", lambda score: score.coverage),
    ScoreColumn("calibrated MAPE", "ratio", lambda score: score.mape_calibrated),
    ScoreColumn("calibrated coverage", "ratio", lambda score: score.coverage_calibrated),
)
"""The backtest table: per week of the period, how far each forecast was from what closed."""

SCOPE_TITLES = {"company": "Company", "team": "Teams", "rep": "Reps"}


def shown_rows(forecast: Forecast, scope: str | None = None) -> list[ForecastRow]:
    """The rows of one scope (all when None): company, then teams, then reps, each most at risk
    first (lowest chance of target, then lowest P50; rows without a target last)."""
    scopes = SCOPES if scope is None else (scope,)
    return sorted(
        (row for row in forecast.rows if row.scope in scopes),
        key=lambda row: (
            SCOPES.index(row.scope),
            row.chance_of_target is None,
            row.chance_of_target or 0.0,
            row.p50,
            row.name,
        ),
    )


def is_idle(row: ForecastRow) -> bool:
    """Nothing booked, open, expected or targeted this period (e.g. a rep who has left)."""
    return (
        row.booked == 0
        and row.open_deals == 0
        and row.target is None
        and row.expected_new == 0
        and row.p90 == 0
    )


def tables(
    forecast: Forecast, scope: str | None = None
) -> tuple[list[tuple[str, list[ForecastRow]]], int]:
    """(title, rows) per scope shown, idle rows left out, and how many were left out. The
    company gets a table only when `scope` asks for it; otherwise its headline says it all."""
    rows = shown_rows(forecast, scope)
    kept = [row for row in rows if not is_idle(row)]
    grouped = [
        (SCOPE_TITLES[name], [row for row in kept if row.scope == name])
        for name in SCOPES
        if any(row.scope == name for row in kept) and (name != COMPANY or scope == COMPANY)
    ]
    return grouped, len(rows) - len(kept)


def headline(forecast: Forecast) -> str:
    """The company's forecast in one sentence: P50 against target and the chance of hitting it."""
    row = forecast.row(COMPANY)
    spread = f"P10 {money(row.p10)} to P90 {money(row.p90)}"
    if row.target is None:
        return f"P50 {money(row.p50)} ({spread}); no bookings target for {forecast.period.label}"
    return (
        f"P50 {money(row.p50)} of target {money(row.target)} — "
        f"{chance(row.chance_of_target)} chance of hitting it ({spread})"
    )


def progress_line(forecast: Forecast) -> str:
    """Where the company stands: booked so far, and the open pipeline."""
    row = forecast.row(COMPANY)
    return (
        f"{money(row.booked)} booked so far; {row.open_deals:,} open deals worth "
        f"{money(row.open_value)}."
    )


def baseline_line(forecast: Forecast) -> str:
    """What a CRM's own numbers would say for the company."""
    row = forecast.row(COMPANY)
    line = (
        f"A CRM would say {money(row.weighted_pipeline)} (weighted pipeline) or "
        f"{money(row.run_rate)} (run-rate)."
    )
    crm = forecast.crm
    if crm is None:
        return line
    calls = crm.categories
    return (
        f"{line} The CRM's own: weighted pipeline {money(crm.weighted_pipeline)} (amount × "
        f"probability over the {crm.deals:,} open deals closing in {forecast.period.label}); "
        f"commit {money(calls['commit'])}, best case {money(calls['best_case'])}, "
        f"pipeline {money(calls['pipeline'])}."
    )


def method_line(forecast: Forecast) -> str:
    """How the win probabilities were made, from how many examples, and how well they did."""
    method = {
        "lightgbm": "LightGBM",
        "logistic_regression": "logistic regression",
        "history rate": "the historical rate (too little history for a model)",
        "no history": "none (no history: open deals count as lost)",
        "stage rates": "each stage's historical rate",
        "crm probability": "each open deal's CRM probability (0 if expected to close later)",
    }.get(forecast.method, forecast.method)
    line = f"Win probabilities: {method}"
    if forecast.method_note:
        line += f" ({forecast.method_note})"
    if forecast.examples:
        line += f" on {forecast.examples:,} past open deals"
    if forecast.card is not None and forecast.method not in ("stage rates", "crm probability"):
        line += f" (ROC AUC {forecast.card.roc_auc:.2f}, Brier {forecast.card.brier:.3f})"
    return f"{line}; {forecast.simulations:,} simulations."


def coverage_line(backtest: Backtest) -> str:
    """How often the actual fell inside P10–P90, over every company forecast of the backtest."""
    company = sum(1 for point in backtest.points if point.scope == COMPANY)
    line = (
        f"Overall: the actual fell inside P10–P90 in {ratio(backtest.coverage)} of {company} "
        f"company forecasts (80% if the band is honest); inside the calibrated band in "
        f"{ratio(backtest.coverage_calibrated)} (each quarter calibrated on the quarters before "
        "it only, as the live forecast is)."
    )
    if len(backtest.periods) < MIN_QUARTERS:
        line += (
            f" Only {len(backtest.periods)} quarter(s) back these figures: fewer than "
            f"{MIN_QUARTERS}, too few to trust them."
        )
    if backtest.quarter_models:
        line += (
            f" In {len(backtest.quarter_models)} of {len(backtest.periods)} quarter(s) "
            "(enough past deals for it) one win model was fitted at the first week and reused "
            "for the later weeks, where a live forecast fits its own each week: these errors may "
            "be a little larger than the live forecast's (docs/forecast.md, One model per "
            "quarter)."
        )
    return line


def to_json(forecast: Forecast, scope: str | None = None, notes: Sequence[str] = ()) -> str:
    """The forecast as JSON with `notes` added, rows of one scope only when `scope` is given
    (idle rows are kept)."""
    shown = jsonable(replace(forecast, rows=shown_rows(forecast, scope)))
    return dumps_ready({**shown, "notes": jsonable(notes)})


def to_html(cone: Sequence[Forecast], scope: str | None = None, notes: Sequence[str] = ()) -> str:
    """The last forecast of `cone` as one self-contained HTML page with its cone charts."""
    # Altair, imported here: the text and JSON views do without it (0.6 s of `attain forecast`).
    from attain.reports.charts import to_svg
    from attain.reports.forecast_charts import cone_chart

    forecast = cone[-1]
    groups, idle = tables(forecast, scope)
    charts = [("Company", to_svg(cone_chart(cone, COMPANY, COMPANY, title="Company")))]
    for row in shown_rows(forecast, "team"):
        if not is_idle(row):
            chart = cone_chart(cone, "team", row.id, title=row.name, width=300, height=170)
            charts.append((row.name, to_svg(chart)))
    return (
        environment(cell=cell)
        .get_template("forecast.html.j2")
        .render(
            forecast=forecast,
            headline=headline(forecast),
            progress=f"{progress_line(forecast)} {baseline_line(forecast)}",
            method=method_line(forecast),
            notes=notes,
            columns=FORECAST_COLUMNS,
            groups=groups,
            idle=idle,
            company_chart=charts[0][1],
            team_charts=charts[1:],
        )
    )


def backtest_to_json(backtest: Backtest, notes: Sequence[str] = ()) -> str:
    """The backtest as JSON: every point (company, teams and reps), the scores, the coverage and
    `notes`."""
    return dumps({**jsonable(backtest), "notes": notes})


def backtest_to_html(backtest: Backtest, notes: Sequence[str] = ()) -> str:
    """The backtest as one self-contained HTML page: the table per week and a chart per period."""
    from attain.reports.charts import to_svg
    from attain.reports.forecast_charts import backtest_chart

    charts = []
    for period in backtest.periods:
        points = [p for p in backtest.points if p.period == period and p.scope == COMPANY]
        if points:
            charts.append((period, to_svg(backtest_chart(points, title=period))))
    return (
        environment(cell=cell)
        .get_template("backtest.html.j2")
        .render(
            backtest=backtest,
            columns=SCORE_COLUMNS,
            coverage=coverage_line(backtest),
            notes=notes,
            charts=charts,
        )
    )


def cell(value: str | float | int | None, kind: Kind) -> str:
    """A table cell as the HTML pages show it: 12,345, 87%, +4%, 1,208."""
    if value is None:
        return "—"
    if kind == "text":
        return str(value)
    if kind == "count":
        return f"{value:,}"
    if kind == "ratio":
        return ratio(float(value))
    if kind == "chance":
        return chance(float(value))
    if kind == "signed":
        return f"{float(value):+.0%}"
    return money(float(value))


def calibration_lines(forecast: Forecast) -> list[str]:
    """One line per scope kind: which method centred the band, its backtested error at this
    week, how much the band was widened, and a warning where too few quarters back it."""
    return [calibration.line() for calibration in forecast.calibrations]
