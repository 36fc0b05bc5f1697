"""`attain leads channels`: which sources and campaigns bring leads that turn into revenue."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.cli.options import DB, day_option, opened_store
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.leads.channels import ChannelLine, ChannelReport

ChannelsFormat = Literal[Format.TEXT, Format.JSON, Format.CSV, Format.MARKDOWN]
"""Output formats of the channel report."""


def channels_command(
    db: str | None = DB,
    as_of: datetime | None = day_option(
        "--as-of", "Count leads and outcomes up to this day \\[default: the last day of data]."
    ),
    output_format: ChannelsFormat = typer.Option(
        Format.TEXT, "--format", "-f", help="Output format."
    ),
) -> None:
    """Per source and campaign: leads, MQL, SQL, opportunities, won, the conversion rates between
    them, won revenue, days to win and rejections, ranked by revenue per lead."""
    from attain.leads.channels import channel_report
    from attain.reports.jsonable import dumps

    with opened_store(db, read_only=True) as backend:
        report = channel_report(backend, as_of)
    if output_format is Format.TEXT:
        console = Console()
        console.width = max(console.width, 160)
        _print(console, report)
        return
    rendered = {
        Format.JSON: lambda r: dumps(_jsonable_report(r)),
        Format.CSV: _csv,
        Format.MARKDOWN: _markdown,
    }[output_format](report)
    typer.echo(rendered, nl=not rendered.endswith("\n"))


def _jsonable_report(report: ChannelReport) -> dict[str, Any]:
    return {
        "as_of": report.as_of,
        "notes": report.notes,
        "total": report.total.row(),
        "sources": [line.row() for line in report.sources],
        "campaigns": [line.row() for line in report.campaigns],
    }


def _csv(report: ChannelReport) -> str:
    from attain.reports.csv_safe import write_csv

    rows = report.rows()
    return write_csv(rows, list(rows[0]))


def _markdown(report: ChannelReport) -> str:
    rows = report.rows()
    headers = list(rows[0])
    lines = [
        f"# Channels as of {report.as_of:%Y-%m-%d}",
        "",
        *[f"- {note}" for note in report.notes],
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    lines += ["| " + " | ".join(_cell(row[h]) for h in headers) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value).replace("|", "\\|")


def _print(console: Console, report: ChannelReport) -> None:
    total = report.total
    console.print(
        f"[bold]Channels[/] as of {report.as_of:%Y-%m-%d}: {total.leads} leads, {total.won} won, "
        f"revenue {total.revenue:,.0f}"
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for title, lines in (("Sources", report.sources), ("Campaigns", report.campaigns)):
        if lines:
            console.print(_table(title, lines))


def _table(title: str, lines: list[ChannelLine]) -> Table:
    table = Table(title=f"{title}, by revenue per lead")
    headers = ("channel", "leads", "MQL", "SQL", "opps", "won", "MQL→SQL", "SQL→opp", "opp→won")
    for header in (*headers, "revenue", "per lead", "days to win", "rejected", "top reasons"):
        table.add_column(
            header, justify="left" if header in ("channel", "top reasons") else "right"
        )
    for line in lines:
        table.add_row(
            escape(line.channel or "(none)"),
            str(line.leads),
            str(line.mqls),
            str(line.sqls),
            str(line.opportunities),
            str(line.won),
            _pct(line.mql_to_sql),
            _pct(line.sql_to_opportunity),
            _pct(line.opportunity_to_won),
            f"{line.revenue:,.0f}",
            "—" if line.revenue_per_lead is None else f"{line.revenue_per_lead:,.0f}",
            "—" if line.median_days_to_won is None else f"{line.median_days_to_won:.0f}",
            _pct(line.rejection_share),
            escape(", ".join(f"{reason} ({n})" for reason, n in line.top_rejection_reasons)),
        )
    return table


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
