"""Read CSV, Parquet and Excel files into DuckDB as text columns with their file row numbers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from attain.errors import InputError

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls")
ROW = "_row"
"""Column holding each record's row number as a spreadsheet shows it (the header is row 1)."""

RAW_PREFIX = "_raw_"
"""Name prefix of the temporary tables holding staged files (dropped after each import)."""

_counter = itertools.count(1)


@dataclass(frozen=True)
class ReadOptions:
    """How the user asked files to be read (`attain import` options)."""

    encoding: str | None = None
    """The files' text encoding; None: detected per file."""
    date_format: str | None = None
    """A strptime layout for dates the files write in a non-ISO order (e.g. %d/%m/%Y)."""
    column_map: Path | None = None
    """A column map (TOML) for the `map` preset."""


@dataclass(frozen=True)
class RawFile:
    """A file staged in DuckDB: a temporary table of VARCHAR columns plus `_row`."""

    path: Path
    relation: str
    columns: tuple[str, ...]
    rows: int
    implied: bool = False
    """Rows the file implies rather than holds (a rep per distinct owner), made by a preset."""


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    delimiter: str | None = None,
    options: ReadOptions | None = None,
) -> RawFile:
    """Copy one file into a temporary DuckDB table, all columns as text, rows numbered.

    Everything stays in DuckDB (streamed by its readers), so large files never become
    Python objects; Excel files are small by nature and go through pandas.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    relation = f"{RAW_PREFIX}{next(_counter)}"
    literal = quote_literal(str(path))
    if suffix == ".parquet":
        source = (
            f"SELECT file_row_number + 2 AS {ROW}, COLUMNS(* EXCLUDE (file_row_number))::VARCHAR"
            f" FROM read_parquet({literal}, file_row_number = true)"
        )
    elif suffix in (".xlsx", ".xls"):
        frame = _read_excel(path)
        con.register(f"{relation}_frame", frame)
        source = f"SELECT row_number() OVER () + 1 AS {ROW}, * FROM {relation}_frame"
    else:
        csv_options = "header = true, all_varchar = true, null_padding = true"
        if delimiter is not None:
            csv_options += f", delim = {quote_literal(delimiter)}"
        source = (
            f"SELECT row_number() OVER () + 1 AS {ROW}, * FROM read_csv({literal}, {csv_options})"
        )
    try:
        con.execute(f"CREATE TEMP TABLE {relation} AS {source}")
    except duckdb.Error as error:
        raise InputError(f"{path}: cannot be read: {_first_line(error)}") from error
    finally:
        if suffix in (".xlsx", ".xls"):
            con.unregister(f"{relation}_frame")
    columns = tuple(
        name
        for (name,) in con.execute(f"SELECT name FROM pragma_table_info('{relation}')").fetchall()
    )[1:]
    rows = _count(con, relation)
    return RawFile(path=path, relation=relation, columns=columns, rows=rows)


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, dtype=str, sheet_name=0)
    except Exception as error:  # openpyxl raises many unrelated types for a bad workbook
        raise InputError(f"{path}: cannot be read as Excel: {_first_line(error)}") from error
    return frame.astype("string").where(frame.notna(), None)


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    result = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
    assert result is not None
    return int(result[0])


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
