"""A `Source` is one staged file mapped onto one canonical table, ready to validate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from attain.errors import InputError
from attain.ingest import dates
from attain.ingest.readers import HEADER, ROW, SUPPORTED_SUFFIXES, RawFile, quote_ident
from attain.schema import TABLES, Column, ColumnType

if TYPE_CHECKING:
    from attain.ingest.changed_rows import GoneRows


@dataclass(frozen=True)
class Source:
    """SQL that yields `_row` and canonical columns (as text) for one table, from one file."""

    table: str
    file: str
    sql: str
    present: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    implied: bool = False
    """The rows are implied by the file (derived by a preset), not listed in it."""
    rejects: str | None = None
    """SQL yielding `_row, column_name, value, reason` for rows the preset itself rejects (a
    column map's unmapped value); they go to the rejects report like the importer's own."""
    lazy: bool = False
    """`sql` reads the file where it is used and yields HEADER (readers.stage_file)."""
    lines: Lines | None = None
    """The file's lines are hashed for the next import (attain.ingest.changed_rows); None:
    not a file whose lines are its rows, or not kept."""


@dataclass(frozen=True)
class Lines:
    """A text file whose lines map one to one onto its rows (the header is line 1)."""

    path: str
    table: str | None = None
    """Temporary table of the changed lines' numbers and hashes (`n`, `h`), for a re-import
    of changed rows only (attain.ingest.changed_rows); None: the file is read whole, and its
    lines are hashed when the hashes are recorded."""
    repeated: int = 0
    """Lines the last import read as they are now: their rows are stored, and not staged."""
    read_as: str = ""
    """How the import was asked to read the file (declared date format and encoding; empty:
    as detected), kept with the header's hash: a line is only "as the last import read it"
    when it was read the same way."""
    gone: GoneRows | None = field(default=None, compare=False)
    """The stored rows of the lines gone, read beside the staging and typing of the changed
    lines (attain.ingest.changed_rows.GoneRows); None: read when the merge wants them."""


@dataclass(frozen=True)
class Plan:
    """What a preset makes of the input files: sources to load and notes for the user."""

    sources: list[Source]
    notes: list[str] = field(default_factory=list)


def mapped_source(
    raw: RawFile,
    table: str,
    expressions: Mapping[str, str],
    *,
    where: str | None = None,
) -> Source:
    """Map a staged file onto `table` with one SQL expression (over raw columns) per column.

    Presets use this: `expressions` maps canonical column names to SQL over the file's own
    columns, e.g. `{"rep_id": '"sales_agent"'}`; columns not named are absent.
    """
    spec = TABLES[table]
    unknown = [name for name in expressions if name not in spec.column_names]
    if unknown:
        raise ValueError(f"{table} has no columns {unknown}")
    selects = ", ".join(
        f"CAST({expression} AS VARCHAR) AS {quote_ident(name)}"
        for name, expression in expressions.items()
    )
    sql = f"SELECT {ROW}, {selects} FROM {raw.relation}"
    if where:
        sql += f" WHERE {where}"
    present = tuple(name for name in spec.column_names if name in expressions)
    _require_columns(raw.path, table, present)
    return Source(table=table, file=str(raw.path), sql=sql, present=present, implied=raw.implied)


def canonical_source(raw: RawFile, table: str, date_format: str | None = None) -> Source:
    """A file already in the canonical layout: keep known columns, ignore (and report) others.

    Dates and timestamps in other layouts than ISO are read with `date_format` or, without
    one, when a single day/month order makes a date (attain.ingest.dates).
    """
    spec = TABLES[table]
    present = tuple(name for name in spec.column_names if name in raw.columns)
    ignored = tuple(name for name in raw.columns if name not in spec.column_names)
    _require_columns(raw.path, table, present)
    selects = ", ".join(
        _canonical_select(column, date_format) for column in spec.columns if column.name in present
    )
    header = f", {HEADER}" if raw.lazy else ""
    return Source(
        table=table,
        file=str(raw.path),
        sql=f"SELECT {ROW}, {selects}{header} FROM {raw.relation}",
        present=present,
        ignored=ignored,
        lazy=raw.lazy,
    )


def _canonical_select(column: Column, date_format: str | None) -> str:
    name = quote_ident(column.name)
    layouts = {ColumnType.DATE: dates.DATE_TEXT, ColumnType.TIMESTAMP: dates.TIMESTAMP_TEXT}
    if column.type not in layouts:
        return name
    text = f"NULLIF(TRIM({name}), '')"
    iso = dates.iso_text(text, date_format, month_first=False, layout=layouts[column.type])
    return f"{iso} AS {name}"


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named directly, plus every readable file directly inside named directories."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise InputError(f"{shown}: no CSV, Parquet or Excel files found")
    return files


def _require_columns(path: Path, table: str, present: tuple[str, ...]) -> None:
    missing = [name for name in TABLES[table].required_columns if name not in present]
    if missing:
        raise InputError(
            f"{path}: missing required column(s) {', '.join(missing)} for table {table}; "
            f"see docs/schema.md"
        )
