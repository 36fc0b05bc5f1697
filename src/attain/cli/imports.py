"""`attain import`: load CRM files into the store and print what happened."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from attain.cli.options import DB, open_store, optional_option
from attain.cli.status import flagged_counts, won_table
from attain.errors import InputError

if TYPE_CHECKING:
    from attain.ingest.handoff import ImportRequest
    from attain.ingest.importer import ImportResult
    from attain.store.owner import ServerClaim


PRESET_NAMES = ("generic", "maven", "olist", "salesforce", "hubspot", "map")
"""The presets `--preset` names in its help, as attain.ingest.presets.PRESETS holds them (a test
checks they agree): written out so that `attain --help` does not load the readers."""

HELP_MEMORY_LIMIT = "1GB"
"""attain.ingest.importer.IMPORT_MEMORY_LIMIT as `--memory-limit`'s help shows it (a test checks
they agree); the import itself uses IMPORT_MEMORY_LIMIT."""


def import_command(
    paths: list[Path] = typer.Argument(
        ..., help="CSV, Parquet or Excel files, or folders of them.", show_default=False
    ),
    preset: str = typer.Option(
        "generic",
        "--preset",
        "-p",
        help=f"Layout of the files: {', '.join(PRESET_NAMES)}. generic expects the canonical "
        "files (reps.csv, opportunities.csv, ...; see docs/schema.md).",
    ),
    column_map: Path | None = optional_option(
        "--map",
        help="A column map (TOML) for any other export; implies --preset map. "
        "Draft one with `attain map suggest FILES` (docs/column-maps.md).",
    ),
    db: str | None = DB,
    strict: bool = typer.Option(
        False, "--strict", help="Load nothing if any row is invalid (default: load the valid rows)."
    ),
    rejects: Path = typer.Option(
        Path("rejects.csv"),
        "--rejects",
        help="Where invalid rows are reported (file, row, column, value, reason).",
    ),
    encoding: str | None = optional_option(
        "--encoding",
        help="Text encoding of the CSV files (utf-8, cp1252, latin-1, utf-16, ...); "
        "default: detected per file.",
    ),
    date_format: str | None = optional_option(
        "--date-format",
        help="How the files write dates that are not ISO, as a strptime layout: %d/%m/%Y, "
        "%m/%d/%y, ... A time after the date is read too. Without it, two-digit years and "
        "dates like 03/04/2024 whose day/month order cannot be told are rejected.",
    ),
    taken_at: datetime | None = optional_option(
        "--taken-at",
        metavar="<time>",
        help="When the export was taken (UTC), e.g. 2026-03-02 or '2026-03-02 06:00:00': the "
        "history dates this data version by it. Default: now.",
    ),
    partial: bool = typer.Option(
        False,
        "--partial",
        help="The files hold only some of the deals (a partial export or a sync): deals they "
        "lack are kept. Without it, deals a full export no longer holds are deleted.",
    ),
    memory_limit: str | None = optional_option(
        "--memory-limit",
        metavar="<size>",
        help="Most memory DuckDB may use for the import, e.g. 1GB or 500MB; beyond it the work "
        f"spills to disk \\[default: memory_limit in attain.toml, else {HELP_MEMORY_LIMIT}].",
    ),
) -> None:
    """Import CRM files into the store, in one transaction, as a new data version.

    Rows whose key is already stored are updated, so re-importing is safe. Invalid rows
    (bad dates or numbers, unknown values or references, duplicate keys) are written to the
    rejects report and the valid rows load, unless --strict. The history keeps what changed
    in deals and reps (docs/history.md); an export identical to the latest one commits nothing.

    While `attain serve` runs on the store, the app imports the files (it is the store's one
    writer): the command hands them over and prints the same summary.
    """
    from attain.ingest.handoff import ImportRequest, hand_import

    if column_map is not None and preset not in ("generic", "map"):
        raise InputError(f"--map reads the files with a column map; drop --preset {preset}")
    if column_map is not None:
        preset = "map"
    console = Console()
    if not console.is_terminal:  # a log or a pipe: room for every column of the summary
        console.width = max(console.width, 132)
    request = ImportRequest(
        paths=paths,
        preset=preset,
        strict=strict,
        rejects=rejects,
        encoding=encoding,
        date_format=date_format,
        column_map=column_map,
        taken_at=taken_at,
        partial=partial,
    )
    claim = serving_app(db)
    if claim is not None:
        with console.status("handing the import to the app serving this store"):
            result = hand_import(claim, request.absolute())
        console.print(f"The app serving this store ({claim.url}) imported the files.")
    else:
        result = _import_here(console, db, request, memory_limit)
    _print_summary(console, result, rejects)


def serving_app(db: str | None) -> ServerClaim | None:
    """The claim of `attain serve` running on the store `db` (None: nobody serves it)."""
    from attain.config import load_settings
    from attain.store.owner import read_claim, store_file

    path = store_file(db or load_settings().db)
    return None if path is None else read_claim(path)


def _import_here(
    console: Console, db: str | None, request: ImportRequest, memory_limit: str | None
) -> ImportResult:
    """Import in this process, with a progress bar (no app serves the store), in at most
    `memory_limit`, the settings' memory_limit or IMPORT_MEMORY_LIMIT."""
    from attain.config import load_settings
    from attain.ingest.importer import IMPORT_MEMORY_LIMIT

    backend, _ = open_store(db)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<32}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("importing", total=None)
            return request.run(
                backend,
                memory_limit=memory_limit or load_settings().memory_limit or IMPORT_MEMORY_LIMIT,
                progress=lambda message, done, total: progress.update(
                    task, description=message, completed=done, total=total
                ),
            )
    finally:
        backend.disconnect()


def _print_files(console: Console, result: ImportResult) -> None:
    """The files read: the encoding of each text file, its rows and repeated headers dropped."""
    if not result.files:
        return
    table = Table(title="Files")
    for header in ("file", "encoding", "rows", "header rows dropped"):
        table.add_column(
            header, justify="right" if header in ("rows", "header rows dropped") else "left"
        )
    for file in result.files:
        table.add_row(
            escape(Path(file.path).name),
            file.encoding or "-",
            f"{file.rows:,}",
            f"{len(file.header_repeats):,}",
        )
    console.print(table)


def _print_summary(console: Console, result: ImportResult, rejects: Path) -> None:
    table = Table(title="Import summary")
    headers = (
        *("read", "inserted", "updated", "changed", "deleted"),
        *("rejected", "implied", "backdated"),
    )
    for header in ("table", "file(s)", *headers):
        table.add_column(header, justify="left" if header in ("table", "file(s)") else "right")
    for row in result.tables:
        table.add_row(
            row.table,
            "\n".join(Path(file).name for file in row.files),
            f"{row.rows_read:,}",
            f"{row.inserted:,}",
            f"{row.updated:,}",
            f"{row.changed:,}",
            *flagged_counts(row.deleted, row.rows_rejected, row.implied, row.backdated),
        )
    console.print(table)
    won = [money for row in result.tables for money in row.won]
    if won:
        console.print(won_table(won, "Won deals by currency"))
    _print_files(console, result)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    if result.rejects:
        console.print(
            f"[red]{result.rejects:,} invalid value(s)[/] in "
            f"{sum(t.rows_rejected for t in result.tables):,} row(s); "
            f"all listed in {rejects}. First ones:"
        )
        sample = Table(show_header=True)
        for header in ("file", "row", "column", "value", "reason"):
            sample.add_column(header)
        for reject in result.sample[:10]:
            sample.add_row(
                reject.file, str(reject.row), reject.column, reject.value or "", reject.reason
            )
        console.print(sample)
    if result.unchanged_since is not None:
        console.print(f"Nothing new: unchanged since data version {result.unchanged_since}.")
        return
    console.print(f"Loaded {result.rows_loaded:,} row(s).")
    if result.version is not None:
        console.print(
            f"Data version {result.version}; {result.history_rows:,} history row(s) added."
        )
