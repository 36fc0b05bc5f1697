"""`attain report`: are we going to make it, and who is on pace."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.cli.options import AS_OF, DB, OUTPUT, TARGET, opened_store
from attain.cli.output import finish, text_console, write
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.metrics.report import PerformanceReport

STATUS_STYLE = {"ahead": "green", "on_pace": "cyan", "behind": "yellow", "at_risk": "bold red"}
CLASS_SHORT = {
    "top_performer": "top",
    "performer": "perf",
    "under_performer": "under",
    "new": "new",
}
TREND_ARROW = {"improving": "↑", "declining": "↓", "steady": "→"}


def report_command(
    db: str | None = DB,
    as_of: datetime | None = AS_OF,
    target: float | None = TARGET,
    output_format: Format = typer.Option(Format.TEXT, "--format", "-f", help="Output format."),
    output: Path | None = OUTPUT,
    limit: int = typer.Option(
        25, "--limit", help="Reps shown in the text view, most at risk first (0: all)."
    ),
) -> None:
    """Are we going to make it, and who is on pace: per rep, team and company.

    Attainment, pacing to weekly and daily targets, pipeline coverage, classification, SMART
    goal checks, quota ratcheting and early warnings. Thresholds are in the \\[performance]
    table of attain.toml.
    """
    from attain.config import load_settings
    from attain.metrics.report import performance_report
    from attain.reports.jsonable import dumps
    from attain.reports.performance import to_csv, to_html, to_markdown

    settings = load_settings().performance
    with opened_store(db, read_only=True, as_of=as_of) as backend:
        report = performance_report(
            backend, settings, as_of=as_of.date() if as_of else None, target=target
        )
    if output_format is Format.TEXT:
        console = text_console(output, width=132)
        _print(console, report, limit)
        finish(console, output)
        return
    rendered = {
        Format.JSON: dumps,
        Format.CSV: to_csv,
        Format.MARKDOWN: to_markdown,
        Format.HTML: to_html,
    }[output_format](report)
    write(rendered, output)


def _print(console: Console, report: PerformanceReport, limit: int) -> None:
    """The report on the terminal: headline, company line, teams, reps, then the warnings."""
    from attain.reports.performance import scope_lines
    from attain.reports.templating import label, money, ratio, times

    console.print(
        f"[bold]Performance {report.period.label}[/], as of {report.as_of} "
        f"(targets: {report.target_source}; data through {report.data_through or 'n/a'})"
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for line in scope_lines(report, "company"):
        console.print(
            f"Company: {money(line.actual)} booked of {money(line.target)}, "
            f"{money(line.expected)} expected by now → "
            f"[{STATUS_STYLE.get(line.status or '', '')}]{label(line.status)}[/] "
            f"({ratio(line.pace_ratio)} of pace); {money(line.required_daily_rate)} a business "
            f"day needed; coverage {times(line.coverage)}"
        )
    _print_teams(console, report)
    _print_reps(console, report, limit)
    _print_warnings(console, report)


def _print_teams(console: Console, report: PerformanceReport) -> None:
    from attain.reports.performance import scope_lines
    from attain.reports.templating import ratio, short, times

    teams = scope_lines(report, "team")
    if not teams:
        return
    table = Table(title="Teams")
    team_headers = (
        "team",
        "target",
        "booked",
        "expected",
        "pace",
        "status",
        "/day",
        "week",
        "cover",
    )
    for header in team_headers:
        table.add_column(
            header,
            justify="left" if header in ("team", "status") else "right",
            no_wrap=True,
            max_width=24 if header == "team" else None,
        )
    for t in teams:
        table.add_row(
            t.name,
            short(t.target),
            short(t.actual),
            short(t.expected),
            ratio(t.pace_ratio),
            _status(t.status),
            short(t.required_daily_rate),
            f"{short(t.week_actual)}/{short(t.week_target)}",
            times(t.coverage),
        )
    console.print(table)


def _print_reps(console: Console, report: PerformanceReport, limit: int) -> None:
    """The first `limit` reps (all when `limit` <= 0), most at risk first, and the legend."""
    from attain.reports.performance import rep_lines
    from attain.reports.templating import ratio, short, times

    reps = rep_lines(report)
    if not reps:
        # An empty table reads as "no reps"; say why there are no lines instead.
        console.print(
            f"Reps: none to show for {report.period.label}: of the {len(report.reps)} "
            "rep(s) in the store, none has a target for it or closed a deal in it by "
            f"{report.as_of}."
        )
        return
    shown = reps if limit <= 0 else reps[:limit]
    table = Table(title=f"Reps ({len(shown)} of {len(reps)}, most at risk first)")
    headers = (
        "rep",
        "team",
        "class",
        "target",
        "booked",
        "pace",
        "status",
        "week",
        "cover",
        "win",
        "flags",
    )
    for header in headers:
        table.add_column(
            header,
            justify="left" if header in ("rep", "team", "class", "status", "flags") else "right",
            no_wrap=header != "flags",
            max_width={"rep": 24, "team": 14}.get(header),
        )
    for r in shown:
        flags = [f"drop {r.early_warnings}"] if r.early_warnings else []
        flags += ["ratcheted"] if r.ratcheted else []
        flags += [f"goal {r.goal_issues}"] if r.goal_issues else []
        table.add_row(
            r.rep_id if r.name == r.rep_id else f"{r.rep_id} {r.name}",
            r.team_id or "—",
            CLASS_SHORT.get(r.performance_class or "", "—") + TREND_ARROW.get(r.trend or "", ""),
            short(r.target),
            short(r.actual),
            ratio(r.pace_ratio),
            _status(r.status),
            f"{short(r.week_actual)}/{short(r.week_target)}",
            times(r.coverage),
            ratio(r.win_rate),
            "; ".join(flags),
        )
    console.print(table)
    console.print(
        "class: top / perf(ormer) / under / new, with trend ↑ ↓ →; week: done / this week's "
        "target; "
        "full table: --limit 0 or --format csv|markdown|html"
    )


def _print_warnings(console: Console, report: PerformanceReport) -> None:
    """Early warnings, ratcheting signals and the goals' SMART check, one line each."""
    from attain.reports.templating import money

    for warning in report.early_warnings:
        console.print(
            f"[bold red]early warning[/] {warning.rep_id}: {warning.metric} "
            f"{warning.this_week:.0f} in the last 7 days vs a usual {warning.median:.0f}; "
            f"~{money(warning.pipeline_at_risk)} of pipeline at risk"
        )
    for rep in report.ratcheted_reps:
        for signal in rep.signals:
            console.print(f"[bold yellow]ratcheting[/] {rep.rep_id}: {escape(signal.reason)}")
    for team in report.ratcheted_teams:
        console.print(f"[bold yellow]ratcheting[/] team {team.team_id}: {escape(team.reason)}")
    failing = sum(1 for goal in report.goals if not goal.smart)
    if report.goals:
        console.print(
            f"Goals: {len(report.goals) - failing} of {len(report.goals)} pass the SMART check "
            "(details with --format markdown)."
        )


def _status(status: str | None) -> str:
    from attain.reports.templating import label

    return f"[{STATUS_STYLE.get(status or '', '')}]{label(status)}[/]" if status else "—"
