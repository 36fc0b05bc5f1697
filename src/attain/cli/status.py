"""`attain status`: what the store holds."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from attain.cli.options import DB, open_store
from attain.store.inventory import inventory


def status_command(db: str | None = DB) -> None:
    """Show each table's row count and date range, and the last import."""
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
    console = Console()
    console.print(table)
    if report.last_import is not None:
        console.print(
            f"Imports so far: {report.imports}; last at {report.last_import:%Y-%m-%d %H:%M} UTC."
        )
    else:
        console.print("Nothing imported yet: run `attain import`.")
