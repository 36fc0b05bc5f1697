"""Re-import only the lines of a file that changed since the last import (issue #23 part 3).

An import that reads a UTF-8 text file whose lines are its rows (no blank line, no value
spanning lines, no repeated header) keeps a hash of each line, and of each row's key, in the
store (LINE_HASHES_TABLE). The next full `generic` import of a changed file of that table reads
the file's lines once, finds the lines whose hash it has not seen, and stages, types, checks
and merges only those, under their own row numbers; the lines it has seen are rows the store
holds already, counted as read and unchanged. A file whose changed rows cannot be told this way
is read whole, as before.

Deals (opportunities) are always read whole: a full export deletes the deals it leaves out,
and their import counts money and backdated deals over every row read.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import duckdb

from attain.ingest.readers import (
    FILES_READ,
    ROW,
    TEXT_SUFFIXES,
    RawFile,
    ReadOptions,
    quote_ident,
    quote_literal,
    stage_file,
)
from attain.ingest.sources import Lines
from attain.ingest.versions import DELETABLE
from attain.schema import Column, Table
from attain.store.ddl import IMPORT_TABLES_TABLE, IMPORTS_TABLE, LINE_HASHES_TABLE

_LINES = (
    "header = false, columns = {'line': 'VARCHAR'}, delim = '\\x1f', quote = '', escape = '', "
    "auto_detect = false"
)
"""read_csv options giving each line of a file as one value (a blank line as NULL)."""


class ReadWhole(Exception):
    """A changed line repeats the key of a line that did not change: only reading the file
    whole finds both rows (as duplicates), so the import starts again reading files whole."""


def candidates(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[Path, str]:
    """The files whose changed lines alone may be read, with their tables.

    The newest data version must be a full `generic` import that recorded its files' hashes,
    kept the table's line hashes and rejected none of its rows: the store then holds a row for
    every line hashed.
    """
    latest = con.execute(
        f"SELECT import_id, preset, partial, file_hashes FROM {IMPORTS_TABLE} "
        "ORDER BY import_id DESC LIMIT 1"
    ).fetchall()
    if not latest or latest[0][1] != "generic" or latest[0][2] or not latest[0][3]:
        return {}
    ready = {
        name
        for (name,) in con.execute(
            f"SELECT h.table_name FROM {LINE_HASHES_TABLE} h JOIN {IMPORT_TABLES_TABLE} t "
            "ON t.table_name = h.table_name AND t.import_id = h.import_id "
            "WHERE h.key_hash IS NULL AND h.import_id = ? AND t.rejected = 0",
            [latest[0][0]],
        ).fetchall()
    }
    return {
        path: path.stem.lower()
        for path in paths
        if path.stem.lower() in ready
        and path.stem.lower() != DELETABLE
        and path.suffix.lower() in TEXT_SUFFIXES
    }


def stage_changed(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, options: ReadOptions
) -> tuple[RawFile, Lines] | None:
    """Stage the lines of `path` not seen by the last import, numbered as in the file.

    Returns the staged file (its rows counting every line read) and its lines, or None when
    the file must be read whole: a blank line, another header, a line repeated, no changed
    line, or a value spanning lines among the changed ones.
    """
    lines, gone = f"_lines_{table}", f"_gone_{table}"
    header = _header(path)
    how = read_as(options)
    if header is None or _header_hash(con, header, how) != _stored_header(con, table):
        return None
    # Counted, and checked to be UTF-8, before DuckDB reads it: a reader's error would abort
    # the import's transaction, where the file is to be read whole instead.
    total = _utf8_line_count(path)
    if total is None:
        return None
    # One join of the file's lines with the hashes kept, keeping only the lines not seen
    # (with their text and line number `n`) and the hashes of lines gone from the file (no
    # `n`): the lines seen, nearly all, are counted, not kept.
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT l.n, l.h, l.line, s.line_hash, "
            "s.key_hash FROM (SELECT row_number() OVER () + 1 AS n, hash(line) AS h, line "
            f"FROM read_csv({quote_literal(str(path))}, {_LINES}, skip = 1)) l "
            f"FULL JOIN (SELECT line_hash, key_hash FROM {LINE_HASHES_TABLE} "
            f"WHERE table_name = {quote_literal(table)} AND key_hash IS NOT NULL) s "
            "ON l.h = s.line_hash WHERE s.line_hash IS NULL OR l.n IS NULL"
        )
    except duckdb.Error:
        return None  # a line longer than the reader takes, or not UTF-8: read whole
    counts = con.execute(
        "SELECT count(*) FILTER (WHERE n IS NOT NULL AND line IS NULL), "
        "count(*) FILTER (WHERE n IS NOT NULL), count(*) FILTER (WHERE n IS NULL) "
        f"FROM {lines}"
    ).fetchall()[0]
    blanks, changed, gone_lines = (int(count) for count in counts)
    repeated = total - 1 - changed
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {gone} AS SELECT line_hash FROM {lines} WHERE n IS NULL"
    )
    stored = _scalar(
        con,
        f"SELECT count(*) FROM {LINE_HASHES_TABLE} "
        f"WHERE table_name = {quote_literal(table)} AND key_hash IS NOT NULL",
    )
    # Each stored line hash is one row; a line seen twice now would be counted twice.
    same = stored - gone_lines == repeated
    staged = None
    if not blanks and changed and same:
        staged = _stage_lines(con, path, header, lines, changed, options)
    if staged is None:
        con.execute(f"DROP TABLE {lines}")
        con.execute(f"DROP TABLE {gone}")
        return None
    raw = replace(staged, rows=staged.rows + repeated)
    con.execute(
        f"UPDATE {FILES_READ} SET rows = ? WHERE path = ?", [raw.rows, str(path)]
    ).fetchall()
    return raw, Lines(str(path), lines, repeated, how)


def _header(path: Path | str) -> str | None:
    """The first line of a text file (without a byte-order mark); None when not UTF-8."""
    try:
        with Path(path).open("rb") as source:
            return source.readline().decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        return None


def read_as(options: ReadOptions) -> str:
    """The read options that change what a line's text means (Lines.read_as)."""
    declared = (options.date_format, options.encoding)
    return "" if declared == (None, None) else "\x1f".join(part or "" for part in declared)


def _header_hash(con: duckdb.DuckDBPyConnection, header: str, how: str) -> int:
    """The hash kept for a file's header and how it was read (`read_as`)."""
    row = con.execute(
        "SELECT hash(?::VARCHAR)", [header + ("\x1e" + how if how else "")]
    ).fetchone()
    assert row is not None
    return int(row[0])


def _stored_header(con: duckdb.DuckDBPyConnection, table: str) -> int | None:
    row = con.execute(
        f"SELECT line_hash FROM {LINE_HASHES_TABLE} WHERE table_name = ? AND key_hash IS NULL",
        [table],
    ).fetchone()
    return int(row[0]) if row else None


def _utf8_line_count(path: Path) -> int | None:
    """The lines of a text file (the last one counts without a line break), read in 1 MiB
    blocks; None when it is not UTF-8."""
    breaks, last = 0, b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as source:
            while block := source.read(1 << 20):
                decoder.decode(block)
                breaks += block.count(b"\n")
                last = block
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return breaks + (1 if last and not last.endswith(b"\n") else 0)


def _stage_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: str,
    lines: str,
    changed: int,
    options: ReadOptions,
) -> RawFile | None:
    """Stage the header and the changed lines of `path` as a file, then give each row the
    number of its line in `path`. None when a value spans lines (rows and lines differ)."""
    delimiter = con.execute(
        f"SELECT Delimiter FROM sniff_csv({quote_literal(str(path))}, sample_size = 1000)"
    ).fetchall()[0][0]
    folder = Path(tempfile.mkdtemp(prefix="attain-changed-"))
    try:
        part = folder / path.name
        with part.open("w", encoding="utf-8", newline="\n") as target:
            target.write(header + "\n")
            cursor = con.execute(f"SELECT line FROM {lines} WHERE n IS NOT NULL ORDER BY n")
            while batch := cursor.fetchmany(10_000):
                target.write("".join(line + "\n" for (line,) in batch))
        raw = stage_file(con, part, delimiter=delimiter, options=options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if raw.rows + len(raw.header_repeats) != changed:
        con.execute(f"DROP TABLE {quote_ident(raw.relation)}")
        con.execute(f"DELETE FROM {FILES_READ} WHERE path = ?", [str(part)]).fetchall()
        return None
    numbers = f"{lines}_numbers"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {numbers} AS "
        f"SELECT row_number() OVER (ORDER BY n) + 1 AS k, n FROM {lines} WHERE n IS NOT NULL"
    )
    con.execute(
        f"UPDATE {raw.relation} r SET {ROW} = m.n FROM {numbers} m WHERE r.{ROW} = m.k"
    ).fetchall()
    renumbered = dict(con.execute(f"SELECT k, n FROM {numbers}").fetchall())
    con.execute(f"DROP TABLE {numbers}")
    repeats = tuple(int(renumbered[row]) for row in raw.header_repeats)
    con.execute(
        f"UPDATE {FILES_READ} SET path = ?, header_repeats = ? WHERE path = ?",
        [str(path), list(repeats), str(part)],
    ).fetchall()
    return replace(raw, path=path, header_repeats=repeats)


def check_stored_references(
    con: duckdb.DuckDBPyConnection, table: Table, column: Column, valid: str
) -> None:
    """Raise ReadWhole when a stored row of `table` points at a key not in `valid` (the
    parent keys stored or imported now): the line it came from, unchanged and not staged,
    would be rejected by reading the file whole."""
    value = quote_ident(column.name)
    found = con.execute(
        f"SELECT 1 FROM {table.name} WHERE {value} IS NOT NULL AND {value} NOT IN ({valid}) LIMIT 1"
    ).fetchall()
    if found:
        raise ReadWhole(table.name)


def key_hash(table: Table) -> str:
    """SQL: the hash of a typed row's key (alias `t`)."""
    return "hash(" + ", ".join(f"t.{quote_ident(part)}" for part in table.key) + ")"


def check_keys(con: duckdb.DuckDBPyConnection, table: Table, typed: str, lines: Lines) -> None:
    """Raise ReadWhole when a changed row has the key of a line that did not change."""
    unchanged = (
        f"SELECT key_hash FROM {LINE_HASHES_TABLE} s WHERE table_name = "
        f"{quote_literal(table.name)} AND key_hash IS NOT NULL "
        f"AND line_hash NOT IN (SELECT line_hash FROM _gone_{table.name})"
    )
    if lines.table and _scalar(
        con, f"SELECT count(*) FROM {typed} t WHERE {key_hash(table)} IN ({unchanged})"
    ):
        raise ReadWhole(table.name)


def record(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    typed: str,
    lines: Lines | None,
    import_id: int,
    *,
    clean: bool,
) -> None:
    """Keep the line hashes of the file just loaded into `table`, when `clean` (no reject).

    `typed` holds its rows as loaded (with `_row`); without `lines`, with rejects, or when
    the file's lines are not its rows, the table keeps no hashes and its next import reads
    its file whole.
    """
    name = quote_literal(table.name)
    if lines is not None and lines.table is not None and not clean:
        con.execute(f"DROP TABLE {lines.table}")
        con.execute(f"DROP TABLE _gone_{table.name}")
        lines = None
    if lines is not None and lines.table is not None:
        con.execute(
            f"DELETE FROM {LINE_HASHES_TABLE} WHERE table_name = {name} AND key_hash IS NOT NULL "
            f"AND line_hash IN (SELECT line_hash FROM _gone_{table.name})"
        )
        con.execute(
            f"INSERT INTO {LINE_HASHES_TABLE} SELECT {name}, ?, l.h, {key_hash(table)} "
            f"FROM {typed} t JOIN {lines.table} l ON l.n = t.{ROW}",
            [import_id],
        )
        con.execute(
            f"UPDATE {LINE_HASHES_TABLE} SET import_id = ? "
            f"WHERE table_name = {name} AND key_hash IS NULL",
            [import_id],
        ).fetchall()
        con.execute(f"DROP TABLE {lines.table}")
        con.execute(f"DROP TABLE _gone_{table.name}")
        return
    con.execute(f"DELETE FROM {LINE_HASHES_TABLE} WHERE table_name = {name}").fetchall()
    if lines is not None and clean:
        _record_whole(con, table, typed, lines, import_id)


def _record_whole(
    con: duckdb.DuckDBPyConnection, table: Table, typed: str, lines: Lines, import_id: int
) -> None:
    """Hash every line of `path`, whose line n+1 is the typed row numbered n+1 (the header
    is line 1), when its lines are its rows."""
    read, path = "_attain_lines_read", lines.path
    header = _header(path)
    if header is None:
        return
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {read} AS SELECT hash(line) AS h, line IS NULL AS blank "
            f"FROM read_csv({quote_literal(path)}, {_LINES}, skip = 1)"
        )
    except duckdb.Error:
        return
    count, blanks = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE blank) FROM {read}"
    ).fetchall()[0]
    rows = _scalar(con, f"SELECT count(*) FROM {typed}")
    if not blanks and count == rows:
        con.execute(
            f"INSERT INTO {LINE_HASHES_TABLE} VALUES (?, ?, ?, NULL)",
            [table.name, import_id, _header_hash(con, header, lines.read_as)],
        )
        # Both in file order: the n-th line after the header is the n-th typed row.
        con.execute(
            f"INSERT INTO {LINE_HASHES_TABLE} SELECT {quote_literal(table.name)}, ?, h, k "
            f"FROM {read} POSITIONAL JOIN (SELECT {key_hash(table)} AS k FROM {typed} t)",
            [import_id],
        )
    con.execute(f"DROP TABLE {read}")


def keep_for_unchanged(con: duckdb.DuckDBPyConnection, tables: list[str], import_id: int) -> None:
    """The tables whose files were skipped as unchanged keep their line hashes for this
    data version: the store still holds a row for every line."""
    if tables:
        listed = ", ".join(quote_literal(name) for name in tables)
        con.execute(
            f"UPDATE {LINE_HASHES_TABLE} SET import_id = ? "
            f"WHERE key_hash IS NULL AND table_name IN ({listed})",
            [import_id],
        ).fetchall()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
