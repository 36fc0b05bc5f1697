"""`attain status`: what the store holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

from attain.cli.options import DB, open_store
from attain.cli.output import text_console

if TYPE_CHECKING:
    from attain.store.inventory import Inventory, WonMoney


def status_command(db: str | None = DB) -> None:
    """Show each table's row count and date range, and the last import."""
    from attain.store.inventory import inventory

    backend, name = open_store(db, read_only=True)
    try:
        report = inventory(backend)
    finally:
        backend.disconnect()
    table = Table(title=f"Store {name}")
    for header in ("table", "rows", "from", "to"):
        table.add_column(header, justify="right" if header == "rows" else "left")
    for entry in report.tables:
        table.add_row(
            entry.table,
            f"{entry.rows:,}",
            str(entry.first or ""),
            str(entry.last or ""),
        )
    console = text_console(None, width=132)
    console.print(table)
    if report.last_import is not None:
        console.print(
            f"Imports so far: {report.imports}; last at {report.last_import:%Y-%m-%d %H:%M} UTC."
        )
    else:
        console.print("Nothing imported yet: run `attain import`.")
    if report.latest:
        console.print(latest_imports_table(report))
    if report.won:
        console.print(won_table(report.won, "Won deals by currency (latest import of deals)"))


def latest_imports_table(report: Inventory) -> Table:
    """What the latest import of each table did."""
    table = Table(title="Latest import of each table")
    headers = ("table", "import", "read", "loaded", "deleted", "rejected", "implied", "backdated")
    for header in headers:
        table.add_column(header, justify="left" if header == "table" else "right")
    for line in report.latest:
        table.add_row(
            line.table,
            f"#{line.import_id}",
            f"{line.rows_read:,}",
            f"{line.loaded:,}",
            *flagged_counts(line.deleted, line.rejected, line.implied, line.backdated),
        )
    return table


def flagged_counts(deleted: int, rejected: int, implied: int, backdated: int) -> tuple[str, ...]:
    """The last four columns of both import tables: rows deleted or backdated in yellow and
    rows rejected in red, when there are any, so that they stand out."""
    return (
        f"[yellow]{deleted:,}[/]" if deleted else "0",
        f"[red]{rejected:,}[/]" if rejected else "0",
        f"{implied:,}",
        f"[yellow]{backdated:,}[/]" if backdated else "0",
    )


def won_table(won: Sequence[WonMoney], title: str) -> Table:
    """Won deals loaded and rejected per currency: the bookings an import did or did not load."""
    table = Table(title=title)
    for header in ("currency", "won loaded", "amount loaded", "won rejected", "amount rejected"):
        table.add_column(header, justify="left" if header == "currency" else "right")
    for entry in won:
        table.add_row(
            entry.currency or "(none: corporate)",
            f"{entry.loaded:,}",
            f"{entry.loaded_amount:,.2f}",
            f"[red]{entry.rejected:,}[/]" if entry.rejected else "0",
            f"[red]{entry.rejected_amount:,.2f}[/]" if entry.rejected else "0.00",
        )
    return table
