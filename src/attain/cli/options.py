"""Options shared by several commands."""

from __future__ import annotations

import typer

from attain.config import load_settings

DB = typer.Option(
    None,
    "--db",
    help="Analytic store: DuckDB file path or duckdb:// URL "
    "[default: $ATTAIN_DB or attain.duckdb].",
    show_default=False,
)


def resolve_db(db: str | None) -> str:
    """The store to use: --db if given, else ATTAIN_DB, attain.toml, then attain.duckdb."""
    return db or load_settings().db
