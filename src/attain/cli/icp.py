"""`attain icp`: propose an ideal customer profile from which segments win most."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.cli.options import DB, day_option, opened_store

if TYPE_CHECKING:
    from attain.leads.suggest import IcpSuggestion

app = typer.Typer(help="The ideal customer profile: propose one from won and lost leads.")

VERDICT_STYLE = {"above": "green", "below": "red", "inconclusive": "", "too_few": "dim"}


@app.command("suggest")
def suggest_command(
    db: str | None = DB,
    as_of: datetime | None = day_option(
        "--as-of", "Judge outcomes as of this day \\[default: the last day of data]."
    ),
    min_leads: int = typer.Option(50, "--min-leads", min=1, help="Leads a segment needs."),
    confidence: float = typer.Option(
        0.95, "--confidence", min=0.5, max=0.999, help="Confidence of the Wilson intervals."
    ),
    min_age_days: int = typer.Option(
        90, "--min-age-days", min=0, help="Days a lead without a deal needs to count as lost."
    ),
    min_lift: float = typer.Option(
        0.8, "--min-lift", min=0, help="Win rate over the base rate a kept segment needs."
    ),
) -> None:
    """Win rate, lift and confidence interval per industry, size band, country, title word and
    source, and the `\\[icp]` rules they support, ready to paste into attain.toml."""
    from attain.leads.suggest import suggest_icp

    with opened_store(db, read_only=True) as backend:
        suggestion = suggest_icp(
            backend,
            as_of=as_of,
            min_leads=min_leads,
            confidence=confidence,
            min_age_days=min_age_days,
            min_lift=min_lift,
        )
    console = Console()
    console.width = max(console.width, 120)
    _print(console, suggestion)


def _print(console: Console, suggestion: IcpSuggestion) -> None:
    console.print(
        f"[bold]ICP suggestion[/] as of {suggestion.as_of:%Y-%m-%d}: "
        f"{suggestion.won} won of {suggestion.decided_leads} decided leads "
        f"(base rate {_pct(suggestion.base_rate)}; {suggestion.confidence:.0%} intervals)"
    )
    for note in suggestion.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    table = Table(title="Segments")
    for header in ("dimension", "segment", "leads", "won", "win rate", "lift", "interval"):
        table.add_column(header, justify="left" if header in ("dimension", "segment") else "right")
    table.add_column("verdict")
    table.add_column("in ICP")
    for s in suggestion.segments:
        table.add_row(
            s.dimension,
            escape(s.value),
            str(s.leads),
            str(s.won),
            _pct(s.win_rate),
            "—" if s.lift is None else f"{s.lift:.2f}×",
            f"{_pct(s.ci_low)}–{_pct(s.ci_high)}",
            f"[{VERDICT_STYLE[s.verdict]}]{s.verdict}[/]"
            if VERDICT_STYLE[s.verdict]
            else s.verdict,
            "yes" if s.in_proposal else "",
        )
    console.print(table)
    console.print("Proposed profile (paste into attain.toml after review):")
    console.print(escape(suggestion.toml()), highlight=False)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
