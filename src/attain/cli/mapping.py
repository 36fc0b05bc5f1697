"""`attain map`: draft a column map for a CRM export that no preset knows."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Column maps: map any CRM export onto Attain's tables (docs/column-maps.md)."
)


@app.command("suggest")
def suggest_command(
    paths: list[Path] = typer.Argument(
        ..., help="CSV, Parquet or Excel files, or folders of them.", show_default=False
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the draft to this file instead of the terminal."
    ),
) -> None:
    """Print a commented first draft of a column map, guessed from headers and values.

    Read it, fix every line marked 'guessed', then import with
    `attain import FILES --map map.toml`. Nothing is written to the store.
    """
    import duckdb

    from attain.ingest.readers import ReadOptions
    from attain.ingest.suggest import suggest_map

    con = duckdb.connect()
    try:
        draft = suggest_map(con, paths, ReadOptions())
    finally:
        con.close()
    if output is None:
        typer.echo(draft, nl=False)
    else:
        output.write_text(draft, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
