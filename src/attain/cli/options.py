"""Options shared by several commands."""

from __future__ import annotations

from typing import Any

import typer

from attain.config import load_settings
from attain.store import connect

DB = typer.Option(
    None,
    "--db",
    help="Analytic store: DuckDB file path or duckdb:// URL "
    "\\[default: $ATTAIN_DB or attain.duckdb].",
    show_default=False,
)


AS_OF = typer.Option(
    None,
    "--as-of",
    formats=["%Y-%m-%d"],
    help="As of this day \\[default: today, or the last day of data if older].",
    show_default=False,
)
TARGET = typer.Option(
    None,
    "--target",
    min=0,
    help="Quarterly bookings target per selling rep, for data without quotas.",
    show_default=False,
)
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of the terminal.")


def open_store(db: str | None, *, read_only: bool = False) -> tuple[Any, str]:
    """The store backend and its name: --db if given, else ATTAIN_DB, attain.toml, attain.duckdb."""
    settings = load_settings()
    target = db or settings.db
    return connect(target, read_only=read_only, memory_limit=settings.memory_limit), target
