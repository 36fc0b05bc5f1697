"""Read CSV, Parquet and Excel files into DuckDB as text columns with their file row numbers."""

from __future__ import annotations

import itertools
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from attain.errors import InputError
from attain.ingest.encodings import as_utf8
from attain.schema import Table

ROW = "_row"
"""Column holding each record's row number as a spreadsheet shows it (the header is row 1)."""

HEADER = "_header"
"""Column of a file read as it is used (see `stage_file`'s `lazy`): the row repeats the header."""

RAW_PREFIX = "_raw_"
"""Name prefix of the temporary tables holding staged files (dropped after each import)."""

FILES_READ = "_attain_files"
"""Temporary table recording each staged file (see `files_read`)."""

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xls")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".parquet", *EXCEL_SUFFIXES)

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
    encoding: str | None = None
    """The text encoding the file was read in (Python's name); None for Parquet and Excel."""
    header_repeats: tuple[int, ...] = ()
    """Rows dropped because they repeat the header (exports concatenated from pages)."""
    implied: bool = False
    """Rows the file implies rather than holds (a rep per distinct owner), made by a preset."""
    date_format: str | None = None
    """The layout the user declared for the file's dates (`--date-format`), if any."""
    lazy: bool = False
    """`relation` is a view reading the file where it is used, with HEADER; `rows` and
    `header_repeats` are worked out by the import (attain.ingest.importer)."""


@dataclass(frozen=True)
class FileRead:
    """What an import read from one file, for its summary."""

    path: str
    encoding: str | None
    rows: int
    header_repeats: tuple[int, ...]

    @property
    def note(self) -> str | None:
        """A note naming the repeated header rows dropped, if any."""
        if not self.header_repeats:
            return None
        shown = ", ".join(str(row) for row in self.header_repeats[:10])
        more = ", ..." if len(self.header_repeats) > 10 else ""
        return (
            f"{self.path}: dropped {len(self.header_repeats)} row(s) repeating the header "
            f"(row {shown}{more})"
        )


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def same_key(table: Table, left: str, right: str) -> str:
    """SQL matching rows `left` and `right` (aliases) on `table`'s key. IS NOT DISTINCT FROM:
    an empty key part (quotas.set_at: set before the period began) matches an empty one."""
    return " AND ".join(
        f"{left}.{quote_ident(part)} IS NOT DISTINCT FROM {right}.{quote_ident(part)}"
        for part in table.key
    )


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The one number `sql` gives (fetchall: no result is left open on the connection)."""
    return int(con.execute(sql).fetchall()[0][0])


def temporary_table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether `con` has made a temporary table `name` (fetchall, as `scalar`)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
    ).fetchall()
    return bool(found[0][0])


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    delimiter: str | None = None,
    options: ReadOptions | None = None,
    lazy: bool = False,
) -> RawFile:
    """Copy one file into a temporary DuckDB table, all columns as text, rows numbered.

    Everything stays in DuckDB (streamed by its readers), so large files never become
    Python objects; Excel files are small by nature and go through pandas. Text files in an
    encoding other than UTF-8 are converted first (attain.ingest.encodings); rows repeating
    the header are dropped. Each staged file is recorded for `files_read`.

    With `lazy`, a UTF-8 text file is not copied: the relation is a view reading it, whose
    HEADER column says which rows repeat the header, for a caller that reads it once (the
    generic preset's import types it straight from the file).
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    relation = f"{RAW_PREFIX}{next(_counter)}"
    encoding: str | None = None
    if suffix in TEXT_SUFFIXES:
        declared = options.encoding if options else None
        with as_utf8(path, declared) as (readable, encoding):
            if lazy and readable == path:
                return _stage_lazily(con, relation, path, delimiter, encoding, options)
            _create(con, relation, path, _csv_select(readable, delimiter))
    elif suffix == ".parquet":
        literal = quote_literal(str(path))
        _create(
            con,
            relation,
            path,
            f"SELECT file_row_number + 2 AS {ROW}, COLUMNS(* EXCLUDE (file_row_number))::VARCHAR"
            f" FROM read_parquet({literal}, file_row_number = true)",
        )
    else:
        con.register(f"{relation}_frame", _read_excel(path))
        try:
            _create(
                con,
                relation,
                path,
                f"SELECT row_number() OVER () + 1 AS {ROW}, * FROM {relation}_frame",
            )
        finally:
            con.unregister(f"{relation}_frame")
    columns = tuple(
        name
        for (name,) in con.execute(f"SELECT name FROM pragma_table_info('{relation}')").fetchall()
    )[1:]
    repeats = () if suffix == ".parquet" else _drop_repeated_headers(con, relation, columns)
    raw = RawFile(
        path=path,
        relation=relation,
        columns=columns,
        rows=_count(con, relation),
        encoding=encoding,
        header_repeats=repeats,
        date_format=options.date_format if options else None,
    )
    _record(con, raw)
    return raw


def _stage_lazily(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    path: Path,
    delimiter: str | None,
    encoding: str | None,
    options: ReadOptions | None,
) -> RawFile:
    """A view over the UTF-8 text file `path` (see `stage_file`'s `lazy`)."""
    select = _csv_select(path, delimiter)
    try:
        names = tuple(row[0] for row in con.execute(f"DESCRIBE {select}").fetchall())[1:]
    except duckdb.Error as error:
        raise InputError(f"{path}: cannot be read: {_first_line(error)}") from error
    con.execute(
        f"CREATE TEMP VIEW {relation} AS SELECT *, {repeats_header(names)} AS {HEADER} "
        f"FROM ({select})"
    )
    raw = RawFile(
        path=path,
        relation=relation,
        columns=names,
        rows=0,
        encoding=encoding,
        date_format=options.date_format if options else None,
        lazy=True,
    )
    _record(con, raw)
    return raw


def files_read(con: duckdb.DuckDBPyConnection) -> list[FileRead]:
    """The files staged on `con` since the last call, in staging order; forgets them."""
    if not temporary_table_exists(con, FILES_READ):
        return []
    rows = con.execute(
        f"SELECT path, encoding, rows, header_repeats FROM {FILES_READ} ORDER BY seq"
    ).fetchall()
    con.execute(f"DROP TABLE {FILES_READ}")
    return [
        FileRead(path=path, encoding=encoding, rows=rows, header_repeats=tuple(repeats))
        for path, encoding, rows, repeats in rows
    ]


SERIAL_CSV: ContextVar[bool] = ContextVar("attain_serial_csv", default=False)
"""Read CSV files with DuckDB's one-thread reader: its parallel reader cannot pad short rows
(`null_padding`) in a file with a value spanning lines (a quoted line break, common in CRM
notes and descriptions). An import sets it and starts again when the parallel reader says so
(`needs_serial`), so files without such values keep the parallel reader's speed."""


def needs_serial(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is DuckDB asking for its one-thread CSV reader."""
    found: BaseException | None = error
    while found is not None:
        if isinstance(found, duckdb.Error) and "parallel=false" in str(found):
            return True
        found = found.__cause__
    return False


def _csv_select(path: Path, delimiter: str | None) -> str:
    csv_options = "header = true, all_varchar = true, null_padding = true"
    if SERIAL_CSV.get():
        csv_options += ", parallel = false"
    if delimiter is not None:
        csv_options += f", delim = {quote_literal(delimiter)}"
    return (
        f"SELECT row_number() OVER () + 1 AS {ROW}, * "
        f"FROM read_csv({quote_literal(str(path))}, {csv_options})"
    )


def _create(con: duckdb.DuckDBPyConnection, relation: str, path: Path, select: str) -> None:
    try:
        con.execute(f"CREATE TEMP TABLE {relation} AS {select}")
    except duckdb.Error as error:
        raise InputError(f"{path}: cannot be read: {_first_line(error)}") from error


def _drop_repeated_headers(
    con: duckdb.DuckDBPyConnection, relation: str, columns: tuple[str, ...]
) -> tuple[int, ...]:
    """Delete rows that repeat the header; their row numbers.

    A row repeats the header when every non-empty cell after the first is its column's name
    (trimmed, any case) and at least two cells are. The first cell may differ because
    monday.com starts each group of a board export with the group's name and the column names;
    one matching cell alone can be a real value (a status called `Status`). Rows keep their
    numbers, so later rejects still point at the file's real rows.
    """
    if len(columns) < 2:
        return ()
    condition = repeats_header(columns)
    rows = con.execute(f"SELECT {ROW} FROM {relation} WHERE {condition} ORDER BY {ROW}").fetchall()
    if rows:
        con.execute(f"DELETE FROM {relation} WHERE {condition}").fetchall()
    return tuple(int(row) for (row,) in rows)


def repeats_header(columns: tuple[str, ...]) -> str:
    """SQL: the row repeats the header (see `_drop_repeated_headers`); false with one column.

    The first test (the second cell is its column's name or empty) fails on nearly every
    row, so the rest is worked out only for the rows it passes."""
    if len(columns) < 2:
        return "false"

    def matches(name: str) -> str:
        return f"lower(TRIM({quote_ident(name)})) = {quote_literal(name.strip().lower())}"

    def blank(name: str) -> str:
        return f"NULLIF(TRIM({quote_ident(name)}), '') IS NULL"

    first, *rest = (f"({matches(name)} OR {blank(name)})" for name in columns[1:])
    count = " + ".join(f"CASE WHEN {matches(name)} THEN 1 ELSE 0 END" for name in columns)
    others = " AND ".join([*rest, f"{count} >= 2"])
    return f"CASE WHEN {first} THEN {others} ELSE false END"


def _record(con: duckdb.DuckDBPyConnection, raw: RawFile) -> None:
    """Add the staged file to the FILES_READ table the importer reports from."""
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {FILES_READ} (seq BIGINT, path VARCHAR, "
        "encoding VARCHAR, rows BIGINT, header_repeats BIGINT[])"
    )
    con.execute(
        f"INSERT INTO {FILES_READ} VALUES (?, ?, ?, ?, ?)",
        [next(_counter), str(raw.path), raw.encoding, raw.rows, list(raw.header_repeats)],
    ).fetchall()


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
