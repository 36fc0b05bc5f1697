"""`attain changes`: what changed in the CRM between two data versions or dates."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attain.cli.options import DB, OUTPUT, opened_store, optional_option
from attain.cli.output import finish, text_console, write
from attain.reports.formats import Format

if TYPE_CHECKING:
    from attain.history.changes import ChangeRecord

R = TypeVar("R")

SHOWN_PER_KIND = 10
"""Deals listed under each kind in the text view (JSON and CSV list every one)."""


ChangesFormat = Literal[Format.TEXT, Format.JSON, Format.CSV]
"""Output formats of the change record, the waterfall and the calls."""

FORMAT = typer.Option(Format.TEXT, "--format", "-f", help="Output format.")


def changes_command(
    since: str | None = optional_option(
        "--since",
        metavar="DATE|VERSION",
        help="From this data version (import id) or day (its start, UTC) \\[default: the "
        "version before the latest: what the latest import changed].",
    ),
    until: str | None = optional_option(
        "--until",
        metavar="DATE|VERSION",
        help="To this data version or day (its end) \\[default: the latest data version].",
    ),
    db: str | None = DB,
    output_format: ChangesFormat = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """What changed between two data versions or dates: deals created, moved stage, pulled
    into or pushed out of a quarter, resized, won, lost, deleted or reassigned, and reps who
    changed team.

    Read from the history every import keeps (docs/history.md, "What changed"). Amounts are in
    the corporate currency; the text view lists the first deals of each kind, --format json
    or csv every one.
    """
    from attain.config import load_settings
    from attain.history.changes import changes
    from attain.history.states import parse_moment
    from attain.metrics.targets import roster_entries
    from attain.reports.history import changes_csv, changes_json

    start = None if since is None else parse_moment(since, "--since")
    end = None if until is None else parse_moment(until, "--until")
    settings = load_settings()
    with opened_store(db, read_only=True) as backend:
        record = changes(backend, start, end, currency=settings.currency)
        names = {entry.rep_id: entry.name for entry in roster_entries(backend)}
    emit(
        record,
        output_format,
        output,
        changes_json,
        partial(changes_csv, rep_names=names),
        print_changes,
    )


def print_changes(console: Console, record: ChangeRecord) -> None:
    """The record as a table of counts and money per kind, then the deals of each kind."""
    from attain.history.changes import ChangeKind
    from attain.reports.history import currency_note
    from attain.reports.templating import label, money

    until = "the latest data version" if record.until is None else str(record.until)
    console.print(f"[bold]Changes[/] from {record.since} to {until} (UTC)")
    console.print(f"[dim]{escape(currency_note(record.currency))}[/]")
    table = Table(title="By kind")
    for header in ("kind", "deals", "amount"):
        table.add_column(header, justify="left" if header == "kind" else "right")
    for total in record.totals:
        signed = total.kind is ChangeKind.RESIZED
        amount = f"{total.amount:+,.0f}" if signed else money(total.amount)
        table.add_row(label(total.kind.value), f"{total.deals:,}", amount)
    table.add_row("reps who changed team", f"{len(record.reps):,}", "")
    console.print(table)
    for kind in ChangeKind:
        found = record.of(kind)
        if not found:
            continue
        console.print(f"[bold]{label(kind.value)}[/] ({len(found):,})")
        for change in found[:SHOWN_PER_KIND]:
            move = f" {change.before or '—'} → {change.after or '—'}"
            console.print(
                f"  {escape(change.opportunity_id)} ({escape(change.owner_rep_id or '—')}): "
                f"{change.amount:,.0f}{escape(move)}"
            )
        if len(found) > SHOWN_PER_KIND:
            console.print(f"  [dim]… and {len(found) - SHOWN_PER_KIND:,} more[/]")
    for rep in record.reps:
        console.print(
            f"[bold]changed team[/]: {escape(rep.rep_id)} "
            f"{escape(rep.team_before or '—')} → {escape(rep.team_after or '—')}"
        )


def emit(
    result: R,
    output_format: Format,
    output: Path | None,
    to_json: Callable[[R], str],
    to_csv: Callable[[R], str],
    to_text: Callable[[Console, R], None],
) -> None:
    """`result` rendered as asked, to the terminal or `output`."""
    if output_format is Format.JSON:
        write(to_json(result), output)
    elif output_format is Format.CSV:
        write(to_csv(result), output)
    else:
        console = text_console(output, highlight=False)
        to_text(console, result)
        finish(console, output)
