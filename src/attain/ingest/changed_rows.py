"""Re-import only the lines of a file that changed since the last import (issue #23 part 3).

An import that reads a UTF-8 text file whose lines are its rows (no blank line, no value
spanning lines, no repeated header) keeps a hash of each line, with its line number, and of
each row's key, in the store (LINE_HASHES_TABLE). The next full `generic` import of a changed
file of that table reads the file once (one DuckDB scan: each line's hash and length), finds
the lines whose hash it has not seen (in NumPy: against the hash kept for the same line number,
then, for the lines that moved, by hash alone), and stages, types, checks and merges only
those, copied from the file by their offsets, under their own row numbers; the lines it has
seen are rows the store holds already, counted as read and unchanged. A file whose changed
rows cannot be told this way is read whole, as before.

Deals (opportunities) are always read whole: a full export deletes the deals it leaves out,
and their import counts money and backdated deals over every row read.
"""

from __future__ import annotations

import mmap
import shutil
import tempfile
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from attain.ingest.readers import (
    FILES_READ,
    ROW,
    TEXT_SUFFIXES,
    RawFile,
    ReadOptions,
    quote_ident,
    quote_literal,
    same_key,
    scalar,
    stage_file,
    temporary_table_exists,
)
from attain.ingest.sources import Lines
from attain.ingest.validate import key_hash
from attain.ingest.versions import DELETABLE, file_hashes, newest_full
from attain.schema import Column, Table
from attain.store.ddl import IMPORT_TABLES_TABLE, LINE_HASHES_TABLE

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
    latest = newest_full(con, "generic")
    if latest is None:
        return {}
    ready = {
        name
        for (name,) in con.execute(
            f"SELECT h.table_name FROM {LINE_HASHES_TABLE} h JOIN {IMPORT_TABLES_TABLE} t "
            "ON t.table_name = h.table_name AND t.import_id = h.import_id "
            "WHERE h.key_hash IS NULL AND h.import_id = ? AND t.rejected = 0",
            [latest[0]],
        ).fetchall()
    }
    return {
        path: path.stem.lower()
        for path in paths
        if path.stem.lower() in ready
        and path.stem.lower() != DELETABLE
        and path.suffix.lower() in TEXT_SUFFIXES
    }


def start_scans(
    con: duckdb.DuckDBPyConnection, files: dict[Path, str], options: ReadOptions
) -> tuple[dict[Path, Scan], Future[dict[str, str]] | None]:
    """The scans of `files` (`candidates`, with their tables), started in a worker thread
    for those whose first lines already differ from the ones kept, and the SHA-256 of those
    files (versions.file_hashes), worked out in the same thread once their scans are done
    (None when no scan started).

    A file whose first lines changed cannot be unchanged, so the import needs its SHA-256
    only for its log: worked out after the scan, it runs beside the staging, typing and
    merging of the changed lines (mostly on one core) instead of beside the scan, which
    takes both cores (10 M lines: SHA-256 0.42 CPU s, scan 0.9 to 1.2). The caller hashes
    the other files meanwhile. Other candidates are scanned once the hashes say they changed
    (`Scan.result`): an unchanged file, which is not read, would otherwise pay for a scan
    (DuckDB does not stop one promptly).
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attain-scan")
    try:
        scans = {path: Scan.start(con, path, table, options, pool) for path, table in files.items()}
        started = [str(path) for path, scan in scans.items() if scan.future is not None]
        return scans, pool.submit(file_hashes, started) if started else None
    finally:
        pool.shutdown(wait=False)  # the scans and hashes submitted still run


@dataclass(frozen=True)
class Scan:
    """A candidate file's header and its lines' hashes (`_scan`), read in a worker thread
    when `start` finds the file changed, else when asked for (`result`)."""

    path: Path
    table: str
    first: _FirstLine | None
    """The header line; None when the file cannot be read by lines (nothing is scanned)."""
    future: Future[_Scanned | None] | None = None
    """The scan started by `start`; None when it was not."""
    older: bool = False
    """The header's hash kept is an older Attain's (`hash()` of the text): the file is read
    whole once, and the summary says why (OLDER_HASHES)."""

    @classmethod
    def start(
        cls,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        table: str,
        options: ReadOptions,
        pool: ThreadPoolExecutor,
    ) -> Scan:
        """The header of `path` when it is the one kept for `table` as it is read now
        (`read_as`), with the scan submitted to `pool` when the first lines changed; else a
        Scan without a header (the file is read whole)."""
        first = _first_line(path)
        how = read_as(options)
        if first is None:
            return cls(path, table, None)
        kept = _stored_header(con, table)
        if _header_hash(con, first.text, how) != kept:
            return cls(path, table, None, older=_header_hash(con, first.text, how, "hash") == kept)
        if not _first_lines_changed(con, path, first, table):
            return cls(path, table, first)
        return cls(path, table, first, pool.submit(_scan, con.cursor(), path, first))

    def result(self, con: duckdb.DuckDBPyConnection) -> _Scanned | None:
        """The scan (waiting for the one started, else run now on a cursor of `con`); None
        when the file cannot be read by lines."""
        if self.future is not None:
            return self.future.result()
        return None if self.first is None else _scan(con.cursor(), self.path, self.first)


def _first_lines_changed(
    con: duckdb.DuckDBPyConnection, path: Path, first: _FirstLine, table: str, lines: int = 1000
) -> bool:
    """Whether one of the first `lines` lines after the header has another hash than the one
    kept for its line number: the file is not the one the newest import read (a few
    milliseconds: 64 KiB read, the hashes kept read by line number). False when they all
    match, or cannot be compared (a line's text is not UTF-8, no line numbers kept)."""
    with path.open("rb") as source:
        source.seek(first.size)
        block = source.read(1 << 16)
    texts = block.split(b"\n")[:-1][:lines]  # whole lines only
    try:
        decoded = [text.removesuffix(b"\r").decode("utf-8") for text in texts]
    except UnicodeDecodeError:
        return False
    if not decoded:
        return False
    hashes = con.execute(
        f"SELECT list_transform(?::VARCHAR[], lambda x: {line_hash('x')})", [decoded]
    )
    found = hashes.fetchall()[0][0]
    kept = dict(
        con.execute(
            f"SELECT line_number, line_hash FROM {LINE_HASHES_TABLE} WHERE table_name = ? "
            "AND key_hash IS NOT NULL AND line_number BETWEEN 2 AND ?",
            [table, len(decoded) + 1],
        ).fetchall()
    )
    return any(
        number in kept and kept[number] != value for number, value in enumerate(found, start=2)
    )


def stage_changed(
    con: duckdb.DuckDBPyConnection, scan: Scan, options: ReadOptions
) -> tuple[RawFile, Lines] | None:
    """Stage the lines of the scanned file not seen by the last import, numbered as in the
    file.

    Returns the staged file (its rows counting every line read) and its lines, or None when
    the file must be read whole: not UTF-8, a blank line, another header, a line repeated,
    no changed line, or a value spanning lines among the changed ones.
    """
    path, table, first = scan.path, scan.table, scan.first
    if first is None:
        return None
    stored_hashes = (
        f"SELECT line_hash, coalesce(line_number, -1) FROM {LINE_HASHES_TABLE} "
        "WHERE table_name = ? AND key_hash IS NOT NULL"
    )
    # Read while a scan started in a worker thread runs; else after the scan, which may find
    # the file cannot be read by lines.
    stored = _fetch(con, stored_hashes, [table]) if scan.future is not None else None
    scanned = scan.result(con)
    if scanned is None:
        return None
    stored = stored or _fetch(con, stored_hashes, [table])
    hashes, numbers = (np.asarray(column) for column in stored.values())
    match = _match(scanned.hashes, hashes, numbers)
    if match is None:
        return None
    gone = GoneRows.start(con, table, match.gone, few=10 * len(match.changed) < len(hashes))
    staged = _stage_lines(con, path, first, scanned, match.changed, options)
    if staged is None:
        return None
    _keep_match(con, table, scanned.hashes, match, gone)
    repeated = len(scanned.hashes) - len(match.changed)
    raw = replace(staged, rows=staged.rows + repeated)
    con.execute(
        f"UPDATE {FILES_READ} SET rows = ? WHERE path = ?", [raw.rows, str(path)]
    ).fetchall()
    return raw, Lines(str(path), f"_lines_{table}", repeated, read_as(options), gone)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[str]) -> dict[str, Any]:
    """The columns of a query's result as NumPy arrays: through a relation, a third of the
    time of `execute(...).fetchnumpy()` at 10 M rows; through `execute` when `con` holds an
    unfinished result, which stops a relation."""
    try:
        return dict(con.sql(sql, params=params).fetchnumpy())
    except duckdb.Error:
        return dict(con.execute(sql, params).fetchnumpy())


@dataclass(frozen=True)
class _FirstLine:
    """A text file's header line."""

    text: str
    """Without its byte-order mark and line break."""
    size: int
    """In bytes, with its byte-order mark and line break: where the second line starts."""
    newline: bytes
    """The line break the file uses (DuckDB's reader takes one kind per file)."""


def _first_line(path: Path) -> _FirstLine | None:
    """The header line of `path`; None when it is not UTF-8 or has no line break after it."""
    with path.open("rb") as source:
        line = source.readline()
    if not line.endswith(b"\n"):
        return None
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    return _FirstLine(text, len(line), b"\r\n" if line.endswith(b"\r\n") else b"\n")


@dataclass(frozen=True)
class _Scanned:
    """Each line after the header, in file order (index i is line i + 2)."""

    hashes: np.ndarray
    """DuckDB's hash of the line's text, as kept in LINE_HASHES_TABLE."""
    ends: np.ndarray
    """The byte offset where the line's text ends (its line break starts)."""
    newline: int
    """The length of a line break in bytes."""
    first: int
    """The byte offset where the first line after the header starts."""
    delimiter: str
    """The file's delimiter, as DuckDB's sniffer finds it."""

    def starts(self, lines: np.ndarray) -> np.ndarray:
        """The byte offsets where `lines` (indexes) start: after the line before's break."""
        after = self.ends[np.maximum(lines - 1, 0)] + self.newline
        return np.where(lines > 0, after, self.first)


def _scan(cursor: duckdb.DuckDBPyConnection, path: Path, first: _FirstLine) -> _Scanned | None:
    """Hash every line after the header in one parallel read of the file, and sniff its
    delimiter; None when it is not UTF-8, has a blank line or none, or its lengths do not add
    up to the file's size.

    The read runs on its own cursor, closed here: a reader's error (not UTF-8, a line
    longer than the reader takes) ends that cursor's statement, not the import's
    transaction, and the file is then read whole. The lengths give each line's place in the
    file, so the changed lines are copied from it without a second read (`_stage_lines`).
    """
    try:
        columns = cursor.sql(
            f"SELECT {line_hash('line')}, coalesce(strlen(line), -1) "
            f"FROM read_csv({quote_literal(str(path))}, {_LINES}, skip = 1)"
        ).fetchnumpy()
        # The delimiter DuckDB's sniffer finds in the file: its changed lines are read with it.
        delimiter = cursor.execute(
            f"SELECT Delimiter FROM sniff_csv({quote_literal(str(path))}, sample_size = 1000)"
        ).fetchall()[0][0]
    except duckdb.Error:
        return None
    finally:
        cursor.close()
    hashes, sizes = (np.asarray(column) for column in columns.values())
    if not len(sizes) or bool((sizes < 0).any()):
        return None  # no line after the header, or a blank line (read as NULL)
    newline = len(first.newline)
    # In place (10 M lines: 80 MB an array): the lengths become where each line ends.
    ends = sizes
    ends += newline
    np.cumsum(ends, out=ends)
    ends += first.size - newline
    size = path.stat().st_size
    if int(ends[-1]) not in (size - newline, size):  # the last line may lack its line break
        return None
    return _Scanned(hashes, ends, newline, first.size, str(delimiter))


@dataclass(frozen=True)
class _Match:
    """The file's lines against the line hashes kept (indexes as in `_Scanned`)."""

    changed: np.ndarray
    """The lines not seen: new or changed."""
    moved: np.ndarray
    """The lines seen under another line number."""
    gone: np.ndarray
    """The hashes kept of lines no longer in the file."""


def _match(hashes: np.ndarray, kept: np.ndarray, numbers: np.ndarray) -> _Match | None:
    """Which lines were seen, by their hash: first each line against the hash kept for its
    line number (nearly every line where lines change in place), then the others against
    the hashes not found in place. None when no line changed, or a line moved is repeated
    (each hash kept stands for one row: a line seen twice would count twice, and a whole read
    rejects both rows as duplicates). A changed line repeating a line seen in place is left
    to `check_keys` (its key is that line's), which sorting every hash kept to find it here
    would cost more than (0.3 s at 10 M lines)."""
    count = len(hashes)
    slots = numbers
    slots -= 2  # the header is line 1; a kept hash without a number is -3
    if _in_order(slots):  # as a whole read keeps them: compare as they come
        both = min(count, len(kept))
        in_place, seen = np.zeros(count, dtype=bool), np.zeros(len(kept), dtype=bool)
        in_place[:both] = seen[:both] = kept[:both] == hashes[:both]
    else:
        in_place, seen = _compare_in_place(hashes, kept, slots)
    rest = np.flatnonzero(~in_place)
    left = np.sort(kept[~seen])
    found = _within(hashes[rest], left)
    changed, moved = rest[~found], rest[found]
    again = np.sort(hashes[moved])
    if not len(changed) or _repeats(again) or _repeats(left):
        return None
    gone = left[~_within(left, again)]
    return _Match(changed, moved, gone)


def _in_order(slots: np.ndarray) -> bool:
    """Whether `slots` are 0, 1, 2, ... in that order."""
    if not len(slots) or slots[0] != 0:
        return False
    step = 1 << 20  # in blocks: no 80 MB difference array at 10 M lines
    for at in range(0, len(slots), step):
        block = slots[at : at + step]
        if not bool((block == np.arange(at, at + len(block))).all()):
            return False
    return True


def _compare_in_place(
    hashes: np.ndarray, kept: np.ndarray, slots: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each line against the hash kept for its place (`slots`: the kept hashes' line
    numbers less 2): the lines found in place, and the kept hashes found there."""
    count = len(hashes)
    placed = (slots >= 0) & (slots < count)
    every = bool(placed.all())  # no copies through a mask of the 10 M numbers
    where, placing = (slots, kept) if every else (slots[placed], kept[placed])
    at = np.zeros(count, dtype=hashes.dtype)
    filled = np.zeros(count, dtype=bool)
    at[where] = placing
    filled[where] = True
    if np.count_nonzero(filled) != len(where):  # numbers repeated: compare by hash alone
        return np.zeros(count, dtype=bool), np.zeros(len(kept), dtype=bool)
    in_place = filled & (at == hashes)
    seen = in_place[where] if every else np.zeros(len(kept), dtype=bool)
    if not every:
        seen[placed] = in_place[where]
    return in_place, seen


def _repeats(ordered: np.ndarray) -> bool:
    """Whether the sorted `ordered` holds a value twice."""
    return bool((ordered[1:] == ordered[:-1]).any())


def _within(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Whether each of `values` is in `pool` (sorted)."""
    if not len(pool):
        return np.zeros(len(values), dtype=bool)
    places = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
    return np.asarray(pool[places] == values)


def _keep_match(
    con: duckdb.DuckDBPyConnection, table: str, hashes: np.ndarray, match: _Match, gone: GoneRows
) -> None:
    """Temporary tables for the rest of the import: the changed lines' numbers and hashes
    (`_lines_<table>`, Lines.table), the hashes of the lines gone (`_gone_<table>`), their
    rows in LINE_HASHES_TABLE (`_gone_rows_<table>`: its rowid, and the row id and key hash
    kept; read by `gone`) and the lines seen under another number (`_moved_<table>`).

    The kept rows of the lines gone are found once: the keys check, the merge and the
    new hashes' record use them by rowid instead of each matching every kept line's hash
    again (10 M lines: 0.07 s each, and the delete 0.055 s against 0.12 s)."""
    frames = {
        f"_lines_{table}": pd.DataFrame({"n": match.changed + 2, "h": hashes[match.changed]}),
        f"_gone_{table}": pd.DataFrame({"line_hash": match.gone}),
        f"_moved_{table}": pd.DataFrame({"n": match.moved + 2, "h": hashes[match.moved]}),
    }
    for name, frame in frames.items():
        _temp_table(con, name, frame)
    rows = gone.rows_read()
    if rows is None:
        find_gone_rows(con, table)
    else:
        _temp_table(con, f"_gone_rows_{table}", rows)


_GONE_ROWS = (
    f"SELECT rowid AS line_rowid, row_id, key_hash FROM {LINE_HASHES_TABLE} "
    "WHERE table_name = {table} AND key_hash IS NOT NULL AND line_hash IN ({hashes})"
)
"""The rows of LINE_HASHES_TABLE kept for the lines gone: their rowid, row id and key hash."""


def find_gone_rows(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create `_gone_rows_<table>`: the rows of LINE_HASHES_TABLE kept for the lines gone
    (`_gone_<table>`), with their rowid, row id and key hash (see `_keep_match`)."""
    rows = _GONE_ROWS.format(
        table=quote_literal(table), hashes=f"SELECT line_hash FROM _gone_{table}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _gone_rows_{table} AS {rows}")


@dataclass(frozen=True)
class GoneRows:
    """The kept rows of a file's lines gone (`find_gone_rows`) and the stored rows they stand
    for (`stored_by_row_id`), read in a worker thread on a cursor of the import's connection
    while the changed lines are staged, typed and checked on one core (10 M lines: 0.05 to
    0.08 s and 0.1 to 0.25 s). The cursor reads what the store holds as committed, which is
    what the import's transaction sees of these two tables until it merges the file."""

    rows: Future[pa.Table]
    stored: Future[pa.Table] | None
    """None when the rows gone are too many for the merge to read them by row id."""

    @classmethod
    def start(
        cls, con: duckdb.DuckDBPyConnection, table: str, gone: np.ndarray, *, few: bool
    ) -> GoneRows:
        """Start reading the rows of `table` kept for the line hashes `gone`, and unless
        not `few`, their stored rows."""
        cursor = con.cursor()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attain-gone")
        try:
            rows = pool.submit(_read_gone_rows, cursor, table, gone, close=not few)
            stored = pool.submit(_read_stored, cursor, table, rows) if few else None
            return cls(rows, stored)
        finally:
            pool.shutdown(wait=False)

    def rows_read(self) -> pa.Table | None:
        """The kept rows of the lines gone; None when the read failed (read them again)."""
        try:
            return self.rows.result()
        except duckdb.Error:
            return None

    def stored_read(self) -> pa.Table | None:
        """The stored rows (`s.*, _rowid`); None when not read or the read failed. Waited
        for whether used or not, so that no read is left running."""
        try:
            return self.stored.result() if self.stored is not None else None
        except duckdb.Error:
            return None


def _read_gone_rows(
    cursor: duckdb.DuckDBPyConnection, table: str, gone: np.ndarray, *, close: bool
) -> pa.Table:
    try:
        cursor.register("_attain_gone", pa.table({"line_hash": gone}))
        rows = _GONE_ROWS.format(
            table=quote_literal(table), hashes="SELECT line_hash FROM _attain_gone"
        )
        return cursor.sql(rows).to_arrow_table()
    finally:
        if close:
            cursor.close()


def _read_stored(cursor: duckdb.DuckDBPyConnection, table: str, rows: Future[pa.Table]) -> pa.Table:
    try:
        cursor.register("_attain_gone_rows", rows.result())
        return cursor.sql(
            f"SELECT s.*, s.rowid AS _rowid FROM {quote_ident(table)} s "
            "SEMI JOIN _attain_gone_rows g ON s.rowid = g.row_id"
        ).to_arrow_table()
    finally:
        cursor.close()


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame | pa.Table) -> None:
    con.register(f"{name}_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
    finally:
        con.unregister(f"{name}_frame")


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


def _header_hash(
    con: duckdb.DuckDBPyConnection, header: str, how: str, hashed: str | None = None
) -> int:
    """The hash kept for a file's header and how it was read (`read_as`); with `hashed`
    ("hash"), the one an older Attain kept: that SQL function of the text itself."""
    text = "?::VARCHAR"
    sql = line_hash(text) if hashed is None else f"{hashed}({text})"
    rows = con.execute(f"SELECT {sql}", [header + ("\x1e" + how if how else "")]).fetchall()
    return int(rows[0][0])


OLDER_HASHES = (
    "read whole once: the line hashes kept for it are an older Attain's (a weaker hash, "
    "which could miss an edit); they are kept anew, and the next import reads only its new "
    "or changed lines"
)
"""What the summary says of a file read whole because its kept hashes are an older Attain's."""


def _stored_header(con: duckdb.DuckDBPyConnection, table: str) -> int | None:
    # fetchall, not fetchone: a result left unfinished on `con` stops its next `sql()`.
    rows = con.execute(
        f"SELECT line_hash FROM {LINE_HASHES_TABLE} WHERE table_name = ? AND key_hash IS NULL",
        [table],
    ).fetchall()
    return int(rows[0][0]) if rows else None


def _stage_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    first: _FirstLine,
    scanned: _Scanned,
    changed: np.ndarray,
    options: ReadOptions,
) -> RawFile | None:
    """Stage the header and the `changed` lines of `path` as a file, read with `path`'s
    delimiter, then give each row the number of its line in `path`. None when a value spans
    lines (rows and lines differ)."""
    delimiter = scanned.delimiter
    folder = Path(tempfile.mkdtemp(prefix="attain-changed-"))
    try:
        part = folder / path.name
        if not _copy_lines(path, first, scanned, changed, part):
            return None
        raw = stage_file(con, part, delimiter=delimiter, options=options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if raw.rows + len(raw.header_repeats) != len(changed):
        con.execute(f"DROP TABLE {quote_ident(raw.relation)}")
        con.execute(f"DELETE FROM {FILES_READ} WHERE path = ?", [str(part)]).fetchall()
        return None
    numbers = f"{raw.relation}_numbers"  # the k-th staged row (row k + 1) is line n
    lines = changed + 2
    _temp_table(con, numbers, pd.DataFrame({"k": np.arange(2, len(changed) + 2), "n": lines}))
    con.execute(
        f"UPDATE {raw.relation} r SET {ROW} = m.n FROM {numbers} m WHERE r.{ROW} = m.k"
    ).fetchall()
    con.execute(f"DROP TABLE {numbers}")
    repeats = tuple(int(lines[row - 2]) for row in raw.header_repeats)
    con.execute(
        f"UPDATE {FILES_READ} SET path = ?, header_repeats = ? WHERE path = ?",
        [str(path), list(repeats), str(part)],
    ).fetchall()
    return replace(raw, path=path, header_repeats=repeats)


def _copy_lines(
    path: Path, first: _FirstLine, scanned: _Scanned, changed: np.ndarray, part: Path
) -> bool:
    """Write the header and the `changed` lines of `path` to `part`, taken from where the
    scan found them; False when one of them is not followed by its line break there."""
    ends = scanned.ends[changed]
    starts = scanned.starts(changed)
    with path.open("rb") as source, part.open("wb") as target:
        content = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            data = np.frombuffer(content, dtype=np.uint8)
            inside = ends < len(data)  # the last line may end the file without a break
            breaks = data[ends[inside]] == first.newline[0]
            del data  # the mmap closes only once no array holds it
            if not bool(breaks.all()):
                return False
            target.write(first.text.encode("utf-8") + b"\n")
            for at in range(0, len(ends), 10_000):
                begin, end = starts[at : at + 10_000].tolist(), ends[at : at + 10_000].tolist()
                lines = [content[s:e] for s, e in zip(begin, end, strict=True)]
                target.write(b"\n".join(lines) + b"\n")
        finally:
            content.close()
    return True


def parents_may_be_gone(target: str, unchanged: Collection[str]) -> bool:
    """Whether a stored row's reference to `target` may have lost its parent since the
    newest import checked it, so that the unchanged lines' references are checked again.

    An import deletes no stored row of a table other than the deals (DELETABLE: a full
    export deletes those it leaves out), so a parent table whose file this import skipped as
    unchanged (`unchanged`: their tables) holds the keys it held then, as the skip itself
    trusts (versions.unchanged_files); its children's stored references are not read again
    (10 M activities: 0.09 s for their rep_id)."""
    return target == DELETABLE or target not in unchanged


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


def line_hash(text: str) -> str:
    """SQL: the hash kept of the line whose text is the SQL `text`: DuckDB's `hash()` of its
    MD5 (as a number: 2.6 CPU s for 10 M lines against 3.1 as hex text), never of the text
    itself.

    `hash()` mixes a text's 8-byte blocks in by xor and a multiply, which carries a
    difference only towards the high bits: two edits in the last byte of two blocks cancel
    about once in 256 (a rep reassigned and a date moved on one line kept its hash, so the
    re-import kept the old row; tests/ingest/test_line_digests.py). The MD5 costs about
    0.16 CPU s more per million lines than `hash()` alone. Hashes kept by an older Attain
    (`hash(line)`, header included) match none of these: their file is read whole once and
    its hashes kept anew.
    """
    return f"hash(md5_number({text}))"


def check_keys(con: duckdb.DuckDBPyConnection, table: Table, typed: str, lines: Lines) -> None:
    """Raise ReadWhole when a changed row has the key of a line that did not change.

    A changed row with the key of a line gone replaces that line's row: the keys kept are
    distinct (one row each), so no unchanged line has it. Only the other rows, new keys
    (none where lines changed in place), are looked up among every key kept (10 M lines:
    a pass over 10 M key hashes, 0.09 to 0.15 s, saved when there are none)."""
    if not lines.table:
        return
    name = table.name
    others = (
        f"SELECT {key_hash(table)} AS k FROM {typed} t "
        f"WHERE {key_hash(table)} NOT IN (SELECT key_hash FROM _gone_rows_{name})"
    )
    if not scalar(con, f"SELECT count(*) FROM ({others} LIMIT 1)"):
        return
    unchanged = (
        f"SELECT key_hash FROM {LINE_HASHES_TABLE} s WHERE table_name = "
        f"{quote_literal(name)} AND key_hash IS NOT NULL "
        f"AND s.rowid NOT IN (SELECT line_rowid FROM _gone_rows_{name})"
    )
    if scalar(con, f"SELECT count(*) FROM ({others}) o WHERE o.k IN ({unchanged})"):
        raise ReadWhole(name)


def record(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    typed: str,
    lines: Lines | None,
    import_id: int,
    *,
    clean: bool,
    first_row: int | None = None,
) -> None:
    """Keep the line hashes of the file just loaded into `table`, when `clean` (no reject).

    `typed` holds its rows as loaded (with `_row`); without `lines`, with rejects, or when
    the file's lines are not its rows, the table keeps no hashes and its next import reads
    its file whole. `first_row`: the rowid of the first row when the rows were appended to
    an empty table in file order (each line's row id is kept, see `stored_by_row_id`).
    """
    name = quote_literal(table.name)
    if lines is not None and lines.table is not None and not clean:
        _drop_match(con, table.name)
        lines = None
    if lines is not None and lines.table is not None:
        _record_changed(con, table, typed, lines.table, import_id)
        _drop_match(con, table.name)
        return
    con.execute(f"DELETE FROM {LINE_HASHES_TABLE} WHERE table_name = {name}").fetchall()
    if lines is not None and clean:
        _record_whole(con, table, typed, lines, import_id, first_row)


def _record_changed(
    con: duckdb.DuckDBPyConnection, table: Table, typed: str, lines: str, import_id: int
) -> None:
    """Keep the hashes of a re-import of changed lines only: the hashes of the lines gone
    are deleted, the changed lines' added, and the lines seen under another number get their
    new one; the thousands of other lines' hashes are not rewritten."""
    name, moved = quote_literal(table.name), f"_moved_{table.name}"
    # By rowid (`_keep_match`): rows keep theirs within the transaction.
    con.execute(
        f"DELETE FROM {LINE_HASHES_TABLE} "
        f"WHERE rowid IN (SELECT line_rowid FROM _gone_rows_{table.name})"
    )
    rowids, row_id, join = f"_rowids_{table.name}", "NULL", ""
    if temporary_table_exists(con, rowids):
        # The changed lines' rows were written by this merge or kept by it (`rows_written`).
        row_id, join = "r.row_id", f" LEFT JOIN {rowids} r ON {same_key(table, 'r', 't')}"
    con.execute(
        f"INSERT INTO {LINE_HASHES_TABLE} ({_COLUMNS}) SELECT {name}, ?, l.h, "
        f"{key_hash(table)}, l.n, {row_id} FROM {typed} t JOIN {lines} l ON l.n = t.{ROW}" + join,
        [import_id],
    )
    con.execute(f"DROP TABLE IF EXISTS {rowids}")
    if scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM {moved} LIMIT 1)"):
        con.execute(
            f"UPDATE {LINE_HASHES_TABLE} s SET line_number = m.n FROM {moved} m "
            f"WHERE s.table_name = {name} AND s.key_hash IS NOT NULL AND s.line_hash = m.h"
        ).fetchall()
    con.execute(
        f"UPDATE {LINE_HASHES_TABLE} SET import_id = ? "
        f"WHERE table_name = {name} AND key_hash IS NULL",
        [import_id],
    ).fetchall()


def _drop_match(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop the temporary tables of `_keep_match`."""
    for name in (f"_lines_{table}", f"_gone_{table}", f"_gone_rows_{table}", f"_moved_{table}"):
        con.execute(f"DROP TABLE {name}")


_COLUMNS = "table_name, import_id, line_hash, key_hash, line_number, row_id"
"""The columns of LINE_HASHES_TABLE (line_number: the line's in the file; the header's row,
without a key hash, has none; row_id: the stored row's rowid, where known)."""


def _record_whole(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    typed: str,
    lines: Lines,
    import_id: int,
    first_row: int | None,
) -> None:
    """Hash every line of `path`, whose line n+1 is the typed row numbered n+1 (the header
    is line 1), when its lines are its rows; with `first_row`, line n+1's row id is
    `first_row` + n - 1 (appended in file order; `stored_by_row_id` checks it)."""
    read, path = "_attain_lines_read", lines.path
    header = _header(path)
    if header is None:
        return
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {read} AS SELECT {line_hash('line')} AS h, "
            "line IS NULL AS blank "
            f"FROM read_csv({quote_literal(path)}, {_LINES}, skip = 1)"
        )
    except duckdb.Error:
        return
    count, blanks = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE blank) FROM {read}"
    ).fetchall()[0]
    rows = scalar(con, f"SELECT count(*) FROM {typed}")
    if not blanks and count == rows:
        con.execute(
            f"INSERT INTO {LINE_HASHES_TABLE} ({_COLUMNS}) VALUES (?, ?, ?, NULL, NULL, NULL)",
            [table.name, import_id, _header_hash(con, header, lines.read_as)],
        )
        row_id = "NULL" if first_row is None else f"n - 2 + {int(first_row)}"
        if not _insert_line_hashes(con, table, typed, import_id, row_id):
            con.execute(
                f"DELETE FROM {LINE_HASHES_TABLE} WHERE table_name = {quote_literal(table.name)}"
            )
    con.execute(f"DROP TABLE {read}")


_CHUNK_LINES = 1 << 20
"""Lines whose hashes `_insert_line_hashes` pairs with their rows at a time (24 MB of arrays,
whatever the file's size)."""


def _insert_line_hashes(
    con: duckdb.DuckDBPyConnection, table: Table, typed: str, import_id: int, row_id: str
) -> bool:
    """Insert the hash of each line read (`_attain_lines_read`, as many as typed rows) with
    its typed row's key hash and number: both in file order, the n-th line after the header
    is the n-th typed row (row and line n + 1). `row_id`: SQL of the row id from `n`.

    Paired in NumPy a chunk at a time, each table's rows read by rowid range, and inserted
    from Arrow, which DuckDB does on every thread: a POSITIONAL JOIN of the two tables ran
    the insert on one thread (10 M activities: 2.7 to 3.3 s, against 1.5 s on two threads
    for the same 2.7 to 3.0 CPU s). False, having inserted part of them, when the typed
    rows' ids are not consecutive.
    """
    read, rows = "_attain_lines_read", f"{typed}_rows"
    first, last, count = con.execute(
        f"SELECT min(rowid), max(rowid), count(*) FROM {rows}"
    ).fetchall()[0]
    if not count:
        return True
    if last - first + 1 != count:
        return False
    line_first = scalar(con, f"SELECT min(rowid) FROM {read}")
    # The typed view's row number: a column, or the rowid less the first row's (`_stage`).
    named = [column[0] for column in con.execute(f"SELECT * FROM {rows} LIMIT 0").description]
    number = f"t.{ROW}"
    if ROW not in named:
        number = f"t.rowid - {first} + {scalar(con, f'SELECT {ROW} FROM {typed} LIMIT 1')}"
    # A relation inserts by position: its columns in the order of the store's table.
    values = {
        "table_name": quote_literal(table.name),
        "import_id": f"{int(import_id)}::BIGINT",
        **{"line_hash": "h", "key_hash": "k", "line_number": "n", "row_id": row_id},
    }
    stored = con.execute(f"SELECT * FROM {LINE_HASHES_TABLE} LIMIT 0").description
    projection = ", ".join(f"{values.get(c[0], 'NULL')} AS {quote_ident(c[0])}" for c in stored)
    for start in range(0, count, _CHUNK_LINES):
        h = con.execute(
            f"SELECT h FROM {read} WHERE rowid >= ? AND rowid < ?",
            [line_first + start, line_first + start + _CHUNK_LINES],
        ).fetchnumpy()["h"]
        keyed = con.execute(
            f"SELECT {key_hash(table)} AS k, {number} AS n FROM {rows} t "
            "WHERE t.rowid >= ? AND t.rowid < ?",
            [first + start, first + start + _CHUNK_LINES],
        ).fetchnumpy()
        if len(h) != len(keyed["k"]):
            return False
        chunk = pa.table({"h": h, "k": keyed["k"], "n": keyed["n"]})
        # In batches of a row group: DuckDB reads an Arrow table a batch per thread. Inserted
        # through a relation, which writes the rows to the store file as they come; an INSERT
        # statement over a registered table kept them in memory until the commit (10 M
        # lines: the import's peak RSS 1,394 to 1,405 MB against 1,224 to 1,238).
        batches = pa.Table.from_batches(chunk.to_batches(max_chunksize=122_880))
        con.from_arrow(batches).project(projection).insert_into(LINE_HASHES_TABLE)
    return True


def stored_by_row_id(
    con: duckdb.DuckDBPyConnection, table: Table, target: str, gone: GoneRows | None = None
) -> bool:
    """Create temporary table `target`: the stored rows (with `_rowid`) that the changed
    lines may replace, found by the row ids kept for the lines gone (`find_gone_rows`),
    without reading every stored key (10 M stored activities: the merge 0.40 s against
    0.57 s); those `gone` read beside the typing, when it did. False, creating nothing,
    when the kept row ids cannot be trusted; the caller then joins the keys.

    The lines gone are the only stored rows a changed line's key can have: `check_keys` reads
    the file whole when it has an unchanged line's key, and the table holds no other row when
    it holds as many rows as lines kept (one row each, their keys distinct). Each row found
    must have its line's key hash: DuckDB renumbers rows when it compacts a table (a
    checkpoint or VACUUM after deletes), and the ids kept are then stale.
    """
    read = gone.stored_read() if gone is not None else None
    name, gone_rows = quote_literal(table.name), f"_gone_rows_{table.name}"
    kept = scalar(
        con,
        f"SELECT count(*) FROM {LINE_HASHES_TABLE} "
        f"WHERE table_name = {name} AND key_hash IS NOT NULL",
    )
    if kept != scalar(con, f"SELECT count(*) FROM {table.name}"):
        return False
    lines, known = con.execute(f"SELECT count(*), count(row_id) FROM {gone_rows}").fetchall()[0]
    found = -1
    if lines == known:
        stored = f"SELECT s.*, s.rowid AS _rowid FROM {table.name} s"
        if read is None:
            stored += f" SEMI JOIN {gone_rows} g ON s.rowid = g.row_id"
        else:  # the stored columns' types, the rows read
            stored += " LIMIT 0"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {stored}")
        if read is not None:
            con.register(f"{target}_read", read)
            try:
                con.execute(f"INSERT INTO {target} SELECT * FROM {target}_read")
            finally:
                con.unregister(f"{target}_read")
        found = scalar(
            con,
            f"SELECT count(*) FROM {target} t JOIN {gone_rows} g "
            f"ON t._rowid = g.row_id AND {key_hash(table)} = g.key_hash",
        )
        if found != lines:
            con.execute(f"DROP TABLE {target}")
    return bool(lines == known and found == lines)


@dataclass(frozen=True)
class Appended:
    """Where rows appended to a table in the import's transaction will be once committed.

    DuckDB numbers the rows a transaction appends from a large constant until it commits;
    the commit appends them, in order, after every row the table's row groups hold, deleted
    ones included (which `estimated_size` counts)."""

    after: int
    """The largest row id of the table's rows before the append (-1: none)."""
    start: int
    """The row id the first row appended will have once committed."""

    @classmethod
    def before(cls, con: duckdb.DuckDBPyConnection, table: str) -> Appended:
        """Read before the transaction's first append to `table`."""
        after = scalar(con, f"SELECT coalesce(max(rowid), -1) FROM {table}")
        start = scalar(
            con,
            "SELECT estimated_size FROM duckdb_tables() WHERE NOT temporary "
            f"AND database_name = current_database() AND table_name = {quote_literal(table)}",
        )
        return cls(after, start)


def rows_written(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    appended: Appended,
    kept: str | None,
    replaced: str,
) -> None:
    """Keep the row ids of the rows a changed-lines merge wrote (`_rowids_<table>`, for
    `_record_changed`): those it appended, as they will be once committed, and the stored
    rows of `kept` (`stored_by_row_id`'s table) not among the `replaced` row ids (SQL),
    which the merge left in place (their line changed, not their row)."""
    keys = ", ".join(quote_ident(part) for part in table.key)
    new = f"FROM {table.name} WHERE rowid > {appended.after}"
    rows = f"SELECT rowid - (SELECT min(rowid) {new}) + {appended.start} AS row_id, {keys} {new}"
    if kept is not None:
        rows += f" UNION ALL SELECT _rowid, {keys} FROM {kept} WHERE _rowid NOT IN ({replaced})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rowids_{table.name} AS {rows}")


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
