"""`attain history`: look after the deals' and reps' dated history (docs/history.md)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

from attain.cli.options import DB, open_store

app = typer.Typer(help="The dated history of deals and reps that each import keeps.")


@app.command("prune")
def prune_command(
    before: datetime = typer.Option(
        ...,
        "--before",
        metavar="<date>",
        help="Remove closed history rows that ended before this date or time (UTC).",
        show_default=False,
    ),
    db: str | None = DB,
) -> None:
    """Delete closed history rows that ended before --before, in one transaction.

    Current rows (every deal's and rep's latest state, deleted deals included) always stay;
    what changed before the date can no longer be read (changes, waterfall, point in time).
    """
    from attain.store.prune import prune_history

    backend, name = open_store(db)
    try:
        pruned = prune_history(backend, before)
    finally:
        backend.disconnect()
    parts = ", ".join(f"{rows:,} from {table}" for table, rows in pruned.rows.items())
    freed = (
        f"; {pruned.bytes_freed:,} bytes freed in the store file"
        if pruned.bytes_freed is not None
        else ""
    )
    Console(highlight=False, soft_wrap=True).print(
        f"Pruned {pruned.total:,} closed history row(s) of {name} ended before "
        f"{before:%Y-%m-%d %H:%M}: {parts}{freed}."
    )
