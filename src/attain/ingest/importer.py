"""Import files into the store in one transaction: validate, report rejects, upsert by key."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from attain.errors import InputError, RejectedRowsError, StoreError
from attain.ingest import changed_rows
from attain.ingest.encodings import READ_AS_IS
from attain.ingest.presets import preset
from attain.ingest.readers import (
    HEADER,
    RAW_PREFIX,
    ROW,
    SERIAL_CSV,
    TEXT_SUFFIXES,
    FileRead,
    ReadOptions,
    files_read,
    needs_serial,
    quote_ident,
    quote_literal,
    same_key,
    scalar,
    temporary_table_exists,
)
from attain.ingest.sources import Lines, Plan, Source, canonical_source, expand_paths
from attain.ingest.validate import (
    FILE,
    REJECT_COLUMNS,
    SUSPECT,
    keys_distinct,
    reference_check,
    row_checks,
    typed_select,
    unknown_references,
)
from attain.ingest.versions import (
    DELETABLE,
    HISTORIES,
    check_taken_at,
    file_hashes,
    hash_beside,
    keep_seen_keys,
    latest_version,
    may_skip_files,
    record_changes,
    record_deletions,
    unchanged_files,
)
from attain.reports.csv_safe import write_rows
from attain.schema import TABLES, Table
from attain.store.connect import bounded_memory, connect, raw_duckdb
from attain.store.ddl import (
    IMPORT_MONEY_TABLE,
    IMPORT_TABLES_TABLE,
    IMPORTS_TABLE,
    LOG_TABLES,
    create_tables,
)
from attain.store.dialects import backend_kind, copy_to_duckdb, write_tables
from attain.store.inventory import WonMoney

Progress = Callable[[str, int, int | None], None]
"""Called before each step with a description, steps done and total steps (None: unknown)."""

IMPORT_MEMORY_LIMIT = "1GB"
"""DuckDB's memory during `attain import` when neither --memory-limit nor the settings give
one: an import streams its files, and beyond this it spills to disk, so its peak stays near
this whatever the machine's RAM (docs/scaling.md)."""

REJECTS = "_attain_rejects"
SOURCE = "_source"
"""Staged column: the number of the row's source among its table's (see `_stage`)."""
IMPLIED = "_implied"
"""Staged column: the row was implied by its file (see Source.implied)."""


@dataclass(frozen=True)
class TableResult:
    """What one import did to one table."""

    table: str
    files: tuple[str, ...]
    rows_read: int
    rows_rejected: int
    inserted: int
    updated: int
    implied: int = 0
    """Rows read that a preset made from what the files imply (a rep per owner)."""
    backdated: int = 0
    """Deals loaded whose creation comes after their close (entered after they were won)."""
    won: tuple[WonMoney, ...] = ()
    """Won deals loaded and rejected, per currency (opportunities only)."""
    changed: int = 0
    """Of the updated rows, those whose stored values changed (any column)."""
    deleted: int = 0
    """Stored rows a full export no longer held, now removed (opportunities only)."""

    @property
    def unchanged(self) -> int:
        """Updated rows whose stored values stayed as they were."""
        return self.updated - self.changed

    @property
    def loaded(self) -> int:
        """Rows written to the store (inserted or updated)."""
        return self.inserted + self.updated


@dataclass(frozen=True)
class Reject:
    """One invalid cell: where it is and why it was refused."""

    table: str
    file: str
    row: int
    column: str
    value: str | None
    reason: str


@dataclass(frozen=True)
class ImportResult:
    """The outcome of an import: per-table counts, rejects, and notes for the user."""

    tables: list[TableResult]
    rejects: int
    sample: list[Reject]
    notes: list[str] = field(default_factory=list)
    committed: bool = True
    files: list[FileRead] = field(default_factory=list)
    """Each file read: its encoding, rows and repeated header rows dropped."""
    version: int | None = None
    """The data version (import id) this import committed; None when it committed nothing."""
    unchanged_since: int | None = None
    """The data version this export repeats: nothing was committed (see docs/history.md)."""
    history_rows: int = 0
    """Rows added to the deals' and reps' history (seeded rows included)."""

    @property
    def rows_loaded(self) -> int:
        """Rows written across all tables."""
        return sum(table.loaded for table in self.tables)


def import_files(
    store: duckdb.DuckDBPyConnection | Any,
    paths: list[Path],
    *,
    preset_name: str = "generic",
    strict: bool = False,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
    options: ReadOptions | None = None,
    taken_at: datetime | None = None,
    partial: bool = False,
    source: str | None = None,
    memory_limit: str | None = None,
) -> ImportResult:
    """Load `paths` into `store` (a DuckDB connection or any store's Ibis backend) at once.

    Valid rows are inserted or, when their key exists, updated; invalid rows go to the rejects
    report (`rejects_path`, CSV) with file, row, column and reason. With `strict`, any reject
    rolls the whole import back and raises RejectedRowsError.

    The import is a data version taken at `taken_at` (when the export was taken; default now,
    UTC): the deals' and reps' history records what changed, and unless `partial`, deals the
    export no longer holds are deleted. An export repeating the latest one of its preset
    commits nothing (`unchanged_since`). See docs/history.md. `source` names where the data
    came from in the import log when it is not the preset (`sync:salesforce` for a connector).

    DuckDB does the reading, validation and merging on every backend: for PostgreSQL and
    Spark the stored tables are copied into an in-memory DuckDB, the import runs there, and
    the tables it changed are written back in one step (see attain.store.dialects).

    `memory_limit` (e.g. "1GB") bounds DuckDB's memory during the import; beyond it the work
    spills to a temporary directory (attain.store.connect.bounded_memory). Default: the
    store's own limit.
    """
    step = progress or (lambda _message, _done, _total: None)
    if hasattr(store, "forget_views"):
        store.forget_views()  # views built before would not see the currencies imported now
    if isinstance(store, duckdb.DuckDBPyConnection):
        con = store
    elif backend_kind(store) == "duckdb":
        con = raw_duckdb(store)
    else:
        return _import_through_duckdb(
            store,
            paths,
            preset_name,
            strict,
            rejects_path,
            progress=step,
            options=options,
            version=_Version(taken_at, partial, source=source),
            memory_limit=memory_limit,
        )
    create_tables(con)
    # Checkpoints after an import do not merge under-full row groups (DuckDB's vacuum): after
    # a bulk load, the first checkpoint with any change rewrote every row group of the loaded
    # tables (1.3 s for 1 M activities, for 2% of the file's size), so a re-import of a few
    # changed rows paid most of a full import (docs/scaling.md). Left set on the connection:
    # the checkpoint at its close is one of them.
    con.execute("SET max_vacuum_tasks = 0")
    now = datetime.now(UTC).replace(tzinfo=None)
    taken = _utc(taken_at) if taken_at else now
    version = _Version(taken, partial, now, source=source)
    with bounded_memory(con, memory_limit):
        return _import_in_transaction(
            con, paths, preset_name, strict, rejects_path, step, options, version
        )


def _import_in_transaction(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    preset_name: str,
    strict: bool,
    rejects_path: Path | None,
    step: Progress,
    options: ReadOptions | None,
    version: _Version,
    whole: bool = False,
) -> ImportResult:
    """Read, validate and merge in one transaction: committed whole, or rolled back.

    Unless `whole`, a file whose earlier lines the store has hashed is read for its changed
    lines only (attain.ingest.changed_rows); when that cannot tell its rows apart, the import
    starts again reading every file whole."""
    assert version.taken_at is not None
    con.execute("BEGIN TRANSACTION")
    try:
        check_taken_at(con, version.taken_at)
        step("reading files", 0, None)
        files_read(con)  # forget files staged outside an import on this connection
        unchanged = _Unchanged.find(con, paths, preset_name, options or ReadOptions(), whole)
        if unchanged.everything:
            result = unchanged.result(con)
        else:
            plan = _plan(con, paths, preset_name, options or ReadOptions(), unchanged, whole)
            files = files_read(con)
            if preset_name == "generic":
                plan = _keep_lines(con, plan, files, options or ReadOptions())
            ahead = len(plan.notes)
            plan.notes.extend(file.note for file in files if file.note)
            plan.notes.extend(unchanged.notes())
            hashing = unchanged.hashing
            if not unchanged.hashes and hashing is None:
                hashing = hash_beside([file.path for file in files])
            version = replace(version, hashes=unchanged.hashes, hashing=hashing)
            previous = unchanged.previous_results(con)
            plan.notes.extend(_Unchanged.kept_notes(con, previous))
            result = _with_files(
                con, _load(con, plan, preset_name, strict, step, version, previous), files, ahead
            )
        if rejects_path is not None and result.rejects:
            _write_rejects(con, rejects_path)
        if result.unchanged_since is not None:
            con.execute("ROLLBACK")  # nothing to add: the data version it repeats stands
            return result
        if not result.committed:
            con.execute("ROLLBACK")
            raise RejectedRowsError(
                f"{result.rejects} invalid value(s) found; nothing was loaded (--strict). "
                f"See {rejects_path or 'the rejects report'}."
            )
        con.execute("COMMIT")
    except RejectedRowsError:
        raise
    except changed_rows.ReadWhole:
        con.execute("ROLLBACK")
        return _import_in_transaction(
            con, paths, preset_name, strict, rejects_path, step, options, version, whole=True
        )
    except (duckdb.Error, InputError) as error:
        con.execute("ROLLBACK")
        if SERIAL_CSV.get() or not needs_serial(error):
            raise
        serial = SERIAL_CSV.set(True)  # a value spans lines: read every file with one thread
        try:
            return _import_in_transaction(
                con, paths, preset_name, strict, rejects_path, step, options, version, whole
            )
        finally:
            SERIAL_CSV.reset(serial)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _with_files(
    con: duckdb.DuckDBPyConnection, result: ImportResult, files: list[FileRead], ahead: int
) -> ImportResult:
    """`result` with the files read, counted: those typed where they were read (readers'
    `lazy`) have their rows and repeated header rows from the import (FILES_COUNTED), and
    their notes join the other files' ones, which follow the `ahead` first notes."""
    if not temporary_table_exists(con, FILES_COUNTED):
        return replace(result, files=files)
    counted = {
        path: (int(rows), tuple(int(row) for row in repeats))
        for path, rows, repeats in con.execute(f"SELECT * FROM {FILES_COUNTED}").fetchall()
    }
    con.execute(f"DROP TABLE {FILES_COUNTED}")
    updated = [
        replace(file, rows=counted[file.path][0], header_repeats=counted[file.path][1])
        if file.path in counted
        else file
        for file in files
    ]
    before = sum(1 for file in files if file.note)
    notes = [file.note for file in updated if file.note]
    return replace(
        result,
        files=updated,
        notes=[*result.notes[:ahead], *notes, *result.notes[ahead + before :]],
    )


def _plan(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    preset_name: str,
    options: ReadOptions,
    unchanged: _Unchanged,
    whole: bool,
) -> Plan:
    """The preset's plan of the files to read; the changed lines alone of the files that
    allow it (see `_import_in_transaction`)."""
    changed, notes = [], []
    for path, scan in ({} if whole else unchanged.changed).items():
        if scan.older:
            notes.append(f"{path}: {changed_rows.OLDER_HASHES}")
            continue
        staged = changed_rows.stage_changed(con, scan, options)
        if staged is not None:
            raw, lines = staged
            changed.append(
                replace(canonical_source(raw, scan.table, options.date_format), lines=lines)
            )
            notes.append(
                f"{path}: only its {raw.rows - lines.repeated:,} new or changed line(s) were "
                f"typed and checked; {lines.repeated:,} line(s) are as the last import read them"
            )
    if not changed:
        plan = preset(preset_name)(con, unchanged.to_read or paths, options)
        plan.notes.extend(notes)
        return plan
    done = {Path(source.file) for source in changed}
    rest = [path for path in (unchanged.to_read or unchanged.files) if path not in done]
    plan = preset(preset_name)(con, rest, options) if rest else Plan(sources=[])
    plan.sources.extend(changed)
    plan.notes.extend(notes)
    return plan


def _keep_lines(
    con: duckdb.DuckDBPyConnection, plan: Plan, files: list[FileRead], options: ReadOptions
) -> Plan:
    """Mark the sources whose files' lines are to be hashed for the next import: UTF-8 text
    files of tables other than the deals, without repeated headers, in a DuckDB store file
    (an in-memory store, which a PostgreSQL or Spark import works in, keeps none)."""
    in_file = con.execute(
        "SELECT path IS NOT NULL FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not in_file or not in_file[0][0]:
        return plan
    plain = {
        file.path
        for file in files
        if file.encoding in READ_AS_IS
        and not file.header_repeats
        and Path(file.path).suffix.lower() in TEXT_SUFFIXES
    }
    sources = [
        replace(source, lines=Lines(source.file, read_as=changed_rows.read_as(options)))
        if source.lines is None
        and source.file in plain
        and source.table != DELETABLE
        and not source.implied
        and not source.rejects
        else source
        for source in plan.sources
    ]
    return replace(plan, sources=sources)


def _import_through_duckdb(
    backend: Any,
    paths: list[Path],
    preset_name: str,
    strict: bool,
    rejects_path: Path | None,
    *,
    progress: Progress,
    options: ReadOptions | None,
    version: _Version,
    memory_limit: str | None,
) -> ImportResult:
    """Import into a non-DuckDB store: merge in an in-memory DuckDB, then write back at once."""
    work = connect(":memory:", memory_limit=memory_limit)
    try:
        progress("reading the store", 0, None)
        copy_to_duckdb(backend, raw_duckdb(work))
        result = import_files(
            raw_duckdb(work),
            paths,
            preset_name=preset_name,
            strict=strict,
            rejects_path=rejects_path,
            progress=progress,
            options=options,
            taken_at=version.taken_at,
            partial=version.partial,
            source=version.source,
        )
        if result.committed:
            progress("writing the store", 0, None)
            written = [table.table for table in result.tables if table.loaded or table.deleted]
            if any(table.deleted for table in result.tables):
                written.append("opportunity_stages")  # a deleted deal's stage entries go too
            written = list(dict.fromkeys(written))
            write_tables(backend, raw_duckdb(work), [*written, *LOG_TABLES])
        return result
    finally:
        work.disconnect()


@dataclass(frozen=True)
class _Unchanged:
    """The input files whose content the newest data version read already (generic preset).

    Such a file is not read again: the store holds its rows (see versions.unchanged_files).
    """

    to_read: list[Path]
    """The files to read; empty when none was skipped (then `paths` are read as given)."""
    skipped: dict[Path, int]
    """Each skipped file and the data version that read the same content."""
    hashes: dict[str, str]
    """SHA-256 of every input file, skipped or read, by path (empty: not worked out here)."""
    files: list[Path] = field(default_factory=list)
    """Every input file named after a table (generic preset)."""
    changed: dict[Path, changed_rows.Scan] = field(default_factory=dict)
    """Files not skipped whose changed lines alone may be read, with their scans."""
    hashing: Future[dict[str, str]] | None = None
    """The SHA-256 of the input files not in `hashes`, worked out beside the import: every
    file where none can be skipped (`hashes` then empty), else those whose changed lines
    alone are read (changed_rows.start_scans)."""

    @classmethod
    def find(
        cls,
        con: duckdb.DuckDBPyConnection,
        paths: list[Path],
        preset_name: str,
        options: ReadOptions,
        whole: bool = False,
    ) -> _Unchanged:
        """The files to read and skip; unless `whole`, the files whose changed lines alone
        may be read are scanned while every file is hashed (changed_rows.start_scans)."""
        if preset_name != "generic":
            return cls([], {}, {})
        files = [path for path in expand_paths(paths) if path.stem.lower() in TABLES]
        candidates = {} if whole else changed_rows.candidates(con, files)
        # A table given in two files is read whole: its files' rows are checked against each
        # other (duplicate keys), which lines read alone cannot be.
        tables = [path.stem.lower() for path in files]
        candidates = {path: table for path, table in candidates.items() if tables.count(table) == 1}
        scans, hashing = changed_rows.start_scans(con, candidates, options)
        if files and not may_skip_files(con, "generic"):
            # Nothing to compare them with: the import log's hashes are worked out beside.
            return cls([], {}, {}, files, scans, hash_beside([str(path) for path in files]))
        # The files whose scan started changed: hashed after their scan (`hashing`).
        started = {str(path) for path, scan in scans.items() if scan.future is not None}
        hashes = file_hashes([str(path) for path in files if str(path) not in started])
        skipped = unchanged_files(con, {Path(p): digest for p, digest in hashes.items()}, "generic")
        for path in skipped:
            scans.pop(path, None)  # not read (a scan started here cannot have been: changed)
        to_read = [path for path in files if path not in skipped] if skipped else []
        # The files read are these: not hashed twice.
        return cls(to_read, skipped, hashes, files, scans, hashing)

    @property
    def everything(self) -> bool:
        """Every input file repeats the newest data version: nothing to read or commit."""
        return bool(self.skipped) and not self.to_read

    def notes(self) -> list[str]:
        return [
            f"{path}: unchanged since data version {version} (same content); not read again"
            for path, version in self.skipped.items()
        ]

    @staticmethod
    def kept_notes(con: duckdb.DuckDBPyConnection, previous: list[TableResult]) -> list[str]:
        """The stored rows each skipped file does not hold, as `_kept_note` counts them for
        a file read: the table's rows less the file's, which the version it repeats read
        and loaded, every one (no reject, one row a key). None for the deals (a full
        export deletes those it leaves out) or rows a preset implied."""
        notes = []
        for result in previous:
            if result.table != DELETABLE and not result.implied:
                stored = scalar(con, f"SELECT count(*) FROM {result.table}")
                notes.extend(_kept_note(TABLES[result.table], stored, result))
        return notes

    def result(self, con: duckdb.DuckDBPyConnection) -> ImportResult:
        """The outcome when every file is unchanged: the data version it repeats stands."""
        repeated = max(self.skipped.values())
        note = (
            f"unchanged since data version {repeated}: the same files, and no row would "
            "change; nothing was committed"
        )
        previous = self.previous_results(con)
        return ImportResult(
            tables=_in_load_order(previous),
            rejects=0,
            sample=[],
            notes=[note, *self.kept_notes(con, previous)],
            committed=False,
            unchanged_since=repeated,
        )

    def previous_results(self, con: duckdb.DuckDBPyConnection) -> list[TableResult]:
        """What reading each skipped file again would have done: every row read and updated,
        none changed (the counts of the version it repeats, which rejected none of them)."""
        results = []
        for path, version in self.skipped.items():
            line = con.execute(
                f"SELECT rows_read, implied, backdated FROM {IMPORT_TABLES_TABLE} "
                "WHERE import_id = ? AND table_name = ?",
                [version, path.stem.lower()],
            ).fetchall()
            rows, implied, backdated = line[0] if line else (0, 0, 0)
            money = con.execute(
                f"SELECT currency, won_loaded, won_loaded_amount FROM {IMPORT_MONEY_TABLE} "
                "WHERE import_id = ? AND table_name = ? ORDER BY currency NULLS FIRST",
                [version, path.stem.lower()],
            ).fetchall()
            won = tuple(WonMoney(c, int(n), float(amount), 0, 0.0) for c, n, amount in money)
            results.append(
                TableResult(
                    *(path.stem.lower(), (str(path),), int(rows), 0, 0, int(rows)),
                    *(int(implied), int(backdated), won),
                )
            )
        return results


@dataclass(frozen=True)
class _Version:
    """The data version an import makes: when its export was taken, partial or full."""

    taken_at: datetime | None
    partial: bool
    imported_at: datetime | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    """SHA-256 of each file read, by path (see `digests`)."""
    hashing: Future[dict[str, str]] | None = None
    """Those hashes not in `hashes`, being worked out beside the import (versions.hash_beside,
    changed_rows.start_scans)."""
    source: str | None = None
    """What the import log names as its source, when not the preset (a connector's sync)."""

    def digests(self) -> dict[str, str]:
        """SHA-256 of each file read, by path; waits for `hashing` when there is one."""
        return {**self.hashes, **self.hashing.result()} if self.hashing else self.hashes


def _utc(moment: datetime) -> datetime:
    """`moment` as a naive UTC time, the way the store keeps every timestamp."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _load(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    preset_name: str,
    strict: bool,
    step: Progress,
    version: _Version,
    previous: list[TableResult] | None = None,
) -> ImportResult:
    """Validate and merge the plan's sources; `previous`: the results of the files skipped as
    unchanged, reported (and logged) among the tables read."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REJECTS} ("
        + ", ".join(f"{name} {'BIGINT' if name == 'row' else 'VARCHAR'}" for name in REJECT_COLUMNS)
        + ")"
    )
    by_table: dict[str, list[Source]] = {}
    for source in plan.sources:
        by_table.setdefault(source.table, []).append(source)
    notes = list(plan.notes)
    for source in plan.sources:
        if source.ignored:
            notes.append(f"{source.file}: ignored unknown column(s) {', '.join(source.ignored)}")
    ordered = [name for name in TABLES if name in by_table]
    total = 2 * len(ordered)
    present: dict[str, tuple[str, ...]] = {}
    for done, name in enumerate(ordered):
        step(f"validating {name}", done, total)
        present[name] = _stage(con, TABLES[name], by_table[name])
    skipped = {result.table for result in previous or []}
    for name in ordered:
        _reference_checks(con, TABLES[name], present[name], by_table, skipped)
    rejects = scalar(con, f"SELECT count(*) FROM {REJECTS}")
    committed = not (strict and rejects)
    results: list[TableResult] = []
    next_id = scalar(con, f"SELECT coalesce(max(import_id), 0) + 1 FROM {IMPORTS_TABLE}")
    for done, name in enumerate(ordered, start=len(ordered)):
        step(f"loading {name}", done, total)
        table, sources = TABLES[name], by_table[name]
        absent = _stored_not_read(con, table, sources) if committed else None
        results.append(_upsert(con, table, sources, present[name], write=committed, id=next_id))
        notes.extend(_kept_note(table, absent, results[-1]))
    import_id, repeated, history_rows = None, None, 0
    if committed:
        import_id = next_id
        changed_rows.keep_for_unchanged(con, [r.table for r in previous or []], import_id)
        step("recording history", total, total)
        results, history_rows = _record_history(con, results, import_id, version)
        logged = version.source or preset_name
        repeated = _repeated_version(con, logged, version, results, history_rows)
    results = _in_load_order([*results, *(previous or [])])  # skipped files' tables too
    if repeated is not None:
        notes.append(
            f"unchanged since data version {repeated}: the same files, and no row would "
            "change; nothing was committed"
        )
        import_id, committed = None, False
    elif import_id is not None:
        _log_import(con, import_id, plan, version.source or preset_name, version, results)
    _drop_staged_files(con)
    return ImportResult(
        tables=results,
        rejects=rejects,
        sample=_sample(con),
        notes=notes,
        committed=committed,
        version=import_id,
        unchanged_since=repeated,
        history_rows=history_rows,
    )


def _stored_not_read(
    con: duckdb.DuckDBPyConnection, table: Table, sources: list[Source]
) -> int | None:
    """Before the merge: the stored rows of `table` whose key no rejected row read now has
    (None for the deals, which a full export deletes by leaving out, and for rows a preset
    implies). Those the valid rows do not update either were not in the files (`_kept_note`).
    """
    if table.name == DELETABLE or any(source.implied for source in sources):
        return None
    stored = scalar(con, f"SELECT count(*) FROM {table.name}")
    _, typed = _names(table)
    rejected = (
        f"SELECT * FROM {typed} t WHERE EXISTS (SELECT 1 FROM {REJECTS} r WHERE r.table_name = "
        f"{quote_literal(table.name)} AND r.file = t.{FILE} AND r.row = t.{ROW})"
    )
    if not stored or not scalar(con, f"SELECT count(*) FROM ({rejected} LIMIT 1)"):
        return stored
    match = same_key(table, "s", "v")
    return stored - scalar(
        con,
        f"SELECT count(*) FROM {table.name} s WHERE EXISTS (SELECT 1 FROM ({rejected}) v "
        f"WHERE {match})",
    )


def _kept_note(table: Table, absent: int | None, result: TableResult) -> list[str]:
    """A note counting the stored rows of `table` the files read did not hold: they stay
    (an export of activities, leads, ... may be partial), so the summary says so instead of
    a bare "deleted 0". `absent`: from `_stored_not_read`."""
    kept = 0 if absent is None else absent - result.updated
    if kept <= 0:
        return []
    where = "this file" if len(result.files) == 1 else "these files"
    return [
        f"{', '.join(result.files)}: {kept:,} stored {table.name} row(s) were not in {where} "
        "(kept: an import deletes only the deals a full export leaves out)"
    ]


def _record_history(
    con: duckdb.DuckDBPyConnection, results: list[TableResult], import_id: int, version: _Version
) -> tuple[list[TableResult], int]:
    """Delete the deals a full export left out, then write the history of what changed.

    Runs after every table is merged, so a deal's stage entries imported now can seed its
    history. Returns the results with their deletions counted, and the history rows added.
    """
    assert version.taken_at is not None
    imported = {result.table for result in results}
    deletes = not version.partial and DELETABLE in imported
    history_rows = 0
    updated = []
    for result in results:
        if deletes and result.table == DELETABLE and result.rows_read:
            deleted = record_deletions(con, import_id, version.taken_at)
            history_rows += deleted
            result = replace(result, deleted=deleted)
        updated.append(result)
    for name in imported & HISTORIES.keys():
        history_rows += record_changes(con, HISTORIES[name], import_id, version.taken_at)
    return updated, history_rows


def _repeated_version(
    con: duckdb.DuckDBPyConnection,
    preset_name: str,
    version: _Version,
    results: list[TableResult],
    history_rows: int,
) -> int | None:
    """The data version this import repeats, or None when it is a new one.

    An import repeats the latest data version of its preset when its files have the same
    contents (whatever their paths) and it inserts, changes and deletes no row and adds no
    history: committing it would only log a version identical to that one.
    """
    if history_rows or any(r.inserted or r.changed or r.deleted for r in results):
        return None
    latest = latest_version(con, preset_name)
    if latest is None or not version.digests():
        return None
    return latest.import_id if latest.hashes == tuple(sorted(version.digests().values())) else None


def _log_import(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    plan: Plan,
    preset_name: str,
    version: _Version,
    results: list[TableResult],
) -> None:
    """Record the data version in the import log, with what it did per table."""
    con.execute(
        f"INSERT INTO {IMPORTS_TABLE} (import_id, imported_at, preset, files, rows_loaded, "
        "rows_rejected, taken_at, partial, file_hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            import_id,
            version.imported_at,
            preset_name,
            ", ".join(sorted({s.file for s in plan.sources})),
            sum(r.loaded for r in results),
            sum(r.rows_rejected for r in results),
            version.taken_at,
            version.partial,
            json.dumps(version.digests(), sort_keys=True),
        ],
    )
    _log_tables(con, import_id, results)


def _stage(con: duckdb.DuckDBPyConnection, table: Table, sources: list[Source]) -> tuple[str, ...]:
    """Stage all sources of a table, type them and record single-row rejects."""
    present = tuple(
        name for name in table.column_names if any(name in source.present for source in sources)
    )
    union = " UNION ALL BY NAME ".join(
        f"SELECT {i} AS {SOURCE}, {quote_literal(source.file)} AS {FILE}, "
        f"{source.implied} AS {IMPLIED}, "
        + ("" if source.lazy else f"false AS {HEADER}, ")
        + f"* FROM ({source.sql})"
        for i, source in enumerate(sources)
    )
    staged, typed = _names(table)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {staged} AS {union}")
    numbered = not _numbered_by_rowid(con, sources)
    select = typed_select(
        table, staged, present, carried=(IMPLIED, HEADER), file=SOURCE, numbered=numbered
    )
    # The typed rows hold their source's number, not its file name (a long text repeated on
    # every row, which at 10 M rows was 400 MB of a 1 GB import); a view names the file.
    files = " ".join(
        f"WHEN {i} THEN {quote_literal(source.file)}" for i, source in enumerate(sources)
    )
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {typed}_rows AS {select}")
        row = "" if numbered else f"{_row_from_rowid(con, f'{typed}_rows')} AS {ROW}, "
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT CASE {SOURCE} {files} END AS {FILE}, "
            f"{row}* EXCLUDE ({SOURCE}) FROM {typed}_rows"
        )
    except duckdb.Error as error:
        lazy = [source.file for source in sources if source.lazy]
        if not lazy:
            raise
        # Files read where they are typed (readers.stage_file's `lazy`) fail here, not when
        # staged: the same message as a staged file's.
        message = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise InputError(f"{', '.join(lazy)}: cannot be read: {message}") from error
    _drop_header_rows(con, typed, sources)
    suspects, found = _suspect_rows(con, staged, typed)
    keyed = all(part in present for part in table.key)
    duplicates = keyed and not scalar(con, keys_distinct(table, typed))
    checks = row_checks(
        table, suspects, typed, present, single_rows=found > 0, duplicates=duplicates
    )
    checks += [
        f"SELECT {quote_literal(table.name)}, {quote_literal(source.file)}, {ROW}, column_name, "
        f"value, reason FROM ({source.rejects})"
        for source in sources
        if source.rejects
    ]
    if checks:
        con.execute(f"INSERT INTO {REJECTS} " + " UNION ALL ".join(checks))
    return present


def _numbered_by_rowid(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> bool:
    """Whether the typed rows of `sources` take their row numbers from the typed table's
    rowids instead of the staged `_row`: one file read where it is typed (readers'
    `lazy`), whose `_row` is its line's number, row_number() OVER () + 1.

    That window function keeps the file's order by running the whole typing pass (reading,
    header check, date formats, casts, checks) on one thread: 12.2 CPU s on one thread for
    10 M activities, against 6.0 + 5.9 on two without it (docs/scaling.md). Left out, the
    rows are typed in parallel and, insertion order preserved, the n-th row of the file is
    the typed table's rowid n - 1 (line n + 1: the header is line 1); deleting the repeated
    header rows leaves the other rows' ids as they are.
    """
    if len(sources) != 1 or not sources[0].lazy:
        return False
    preserved = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    return bool(preserved[0][0])


def _row_from_rowid(con: duckdb.DuckDBPyConnection, rows: str) -> str:
    """SQL: the row number of each row of the table `rows` just created in file order (see
    `_numbered_by_rowid`). Its first rowid is read now, before any row is deleted: a table
    made inside a transaction numbers its rows from DuckDB's transaction-local base
    (2^55 less a little), not from 0."""
    first = scalar(con, f"SELECT coalesce(min(rowid), 0) FROM {rows}")
    return f"rowid - {first} + 2"


FILES_COUNTED = "_attain_files_counted"
"""Temporary table: the rows and repeated header rows of each file typed where it was read."""


def _drop_header_rows(con: duckdb.DuckDBPyConnection, typed: str, sources: list[Source]) -> None:
    """Delete the typed rows repeating their file's header, for the files read where they
    were typed, and count each such file's rows in FILES_COUNTED (see `_count_lazy_files`)."""
    lazy = [source.file for source in sources if source.lazy]
    if not lazy:
        return
    headers: dict[str, list[int]] = {}
    for file, row in con.execute(
        f"SELECT {FILE}, {ROW} FROM {typed} WHERE {HEADER} ORDER BY {ROW}"
    ).fetchall():
        headers.setdefault(file, []).append(int(row))
    if headers:
        con.execute(f"DELETE FROM {typed}_rows WHERE {HEADER}").fetchall()
    if len(sources) == 1:
        counts = {lazy[0]: scalar(con, f"SELECT count(*) FROM {typed}")}
    else:
        grouped = con.execute(f"SELECT {FILE}, count(*) FROM {typed} GROUP BY {FILE}").fetchall()
        counts = {file: int(rows) for file, rows in grouped}
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {FILES_COUNTED} "
        "(path VARCHAR, rows BIGINT, header_repeats BIGINT[])"
    )
    con.executemany(
        f"INSERT INTO {FILES_COUNTED} VALUES (?, ?, ?)",
        [[file, counts.get(file, 0), headers.get(file, [])] for file in lazy],
    )


def _suspect_rows(con: duckdb.DuckDBPyConnection, staged: str, typed: str) -> tuple[str, int]:
    """A temporary table of the staged text of the rows some single-row check fails on, and
    how many there are.

    The checks read the text of these rows only (for the value a reject shows); valid files
    have none, and then the staged rows are not read again and no single-row check runs.
    """
    suspects = f"{staged}_suspects"
    rows = f"(SELECT {FILE}, {ROW} FROM {typed} WHERE {SUSPECT})"
    found = scalar(con, f"SELECT count(*) FROM {rows}")
    if found:  # else no check reads the text (and a file typed where read is not read again)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {suspects} AS SELECT s.* FROM {staged} s "
            f"SEMI JOIN {rows} r USING ({FILE}, {ROW})"
        )
    return suspects, found


def _reference_checks(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    present: tuple[str, ...],
    by_table: dict[str, list[Source]],
    unchanged: Collection[str] = (),
) -> None:
    """Reject values that point at keys neither imported now (validly) nor already stored.

    Tables are checked in load order, so a row rejected in a parent table also rejects the
    children that point at it. `unchanged`: the tables whose files were skipped as unchanged.
    """
    staged, typed = _names(table)
    for column in table.columns:
        if column.references is None or column.name not in present:
            continue
        target_table, target_column = column.references.split(".")
        key = quote_ident(target_column)
        valid = f"SELECT {key} FROM {target_table} WHERE {key} IS NOT NULL"
        if target_table in by_table:
            _, target_typed = _names(TABLES[target_table])
            valid += (
                f" UNION ALL SELECT {key} FROM {target_typed} t WHERE {key} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {REJECTS} r WHERE r.table_name = "
                f"{quote_literal(target_table)} AND r.file = t.{FILE} AND r.row = t.{ROW})"
            )
        if changed_rows.parents_may_be_gone(target_table, unchanged) and any(
            source.lines and source.lines.table for source in by_table[table.name]
        ):
            # Changed lines only were staged: the unchanged ones are stored rows, whose
            # references a whole read would check too (a parent gone since rejects them).
            changed_rows.check_stored_references(con, table, column, valid)
        unknown = f"{staged}_unknown"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {unknown} AS " + unknown_references(column, typed, valid)
        )
        if scalar(con, f"SELECT count(*) FROM {unknown}"):
            con.execute(f"INSERT INTO {REJECTS} " + reference_check(table, column, staged, unknown))
        con.execute(f"DROP TABLE {unknown}")


def _upsert(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    sources: list[Source],
    present: tuple[str, ...],
    *,
    write: bool,
    id: int,
) -> TableResult:
    """Replace stored rows that share a key with valid imported rows, then insert the rest.

    Columns absent from the imported files keep their stored values. Lines read as unchanged
    (attain.ingest.changed_rows) count as rows read and updated, unchanged. `id`: the data
    version the import makes, under which the lines read are hashed.
    """
    staged, typed = _names(table)
    valid = (
        f"(SELECT * FROM {typed} t WHERE NOT EXISTS (SELECT 1 FROM {REJECTS} r "
        f"WHERE r.table_name = {quote_literal(table.name)} AND r.file = t.{FILE} "
        f"AND r.row = t.{ROW}))"
    )
    lines = sources[0].lines if len(sources) == 1 else None
    rows_read = scalar(con, f"SELECT count(*) FROM {typed}") + (lines.repeated if lines else 0)
    valid_rows = rows_read - scalar(
        con,
        f"SELECT count(*) FROM (SELECT DISTINCT file, row FROM {REJECTS} "
        f"WHERE table_name = {quote_literal(table.name)})",
    )
    match = same_key(table, "s", "v")
    stored = scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM {table.name} LIMIT 1)")
    implied = scalar(con, f"SELECT count(*) FROM {typed} WHERE {IMPLIED}")
    backdated, won = 0, tuple[WonMoney, ...]()
    if table.name == "opportunities":
        backdated = scalar(con, f"SELECT count(*) FROM {valid} v WHERE v.closed_at < v.created_at")
        won = _won_money(con, typed, table.name)
    if table.name == DELETABLE:
        keep_seen_keys(con, typed)
    if valid_rows == rows_read:
        valid = typed  # no row of the table was rejected: no lookup in the rejects per row
    names = ", ".join(quote_ident(c) for c in table.column_names)
    updated, changed = 0, 0
    first_row: int | None = None  # the first row id, appended to an empty table
    if lines is not None:  # also unwritten: the rejects must be a whole read's
        changed_rows.check_keys(con, table, typed, lines)
    if write and valid_rows and not stored:
        first_row = changed_rows.Appended.before(con, table.name).start
        con.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {valid} v")
    elif write and valid_rows:
        staged_rows = valid_rows - (lines.repeated if lines else 0)
        few = staged_rows < scalar(con, f"SELECT count(*) FROM {table.name}") // 10
        changed, new = _merge(con, table, valid, match, present, few, lines)
        updated = valid_rows - new
    if write:
        clean = valid_rows == rows_read
        changed_rows.record(con, table, typed, lines, id, clean=clean, first_row=first_row)
    con.execute(f"DROP TABLE IF EXISTS {staged}_suspects")
    con.execute(f"DROP VIEW {staged}")
    con.execute(f"DROP VIEW {typed}")
    con.execute(f"DROP TABLE {typed}_rows")
    return TableResult(
        table=table.name,
        files=tuple(dict.fromkeys(source.file for source in sources)),
        rows_read=rows_read,
        rows_rejected=rows_read - valid_rows,
        inserted=valid_rows - updated if write else 0,
        updated=updated if write else 0,
        implied=implied,
        backdated=backdated,
        won=won,
        changed=changed,
    )


def _merge(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    valid: str,
    match: str,
    present: tuple[str, ...],
    few: bool = False,
    lines: Lines | None = None,
) -> tuple[int, int]:
    """Write the valid rows that are new or change a stored row; return how many stored rows
    changed in any column, and how many rows were new (the one join with the stored rows
    finds both).

    A changed row is the two merged: the imported value of each column the files have, the
    stored one of the others. Stored rows the import repeats unchanged are not rewritten, so
    re-importing an export in which few rows changed writes few rows. `lines` with a
    table: the rows are a file's changed lines (attain.ingest.changed_rows), whose rows' ids
    are then kept.
    """
    by_line = lines is not None and lines.table is not None
    names = ", ".join(quote_ident(c) for c in table.column_names)
    columns = ", ".join(
        f"v.{quote_ident(c)}" if c in present else f"s.{quote_ident(c)}" for c in table.column_names
    )
    differs = " OR ".join(
        f"v.{quote_ident(c)} IS DISTINCT FROM s.{quote_ident(c)}" for c in present
    )
    merged = f"_merged_{table.name}"
    stored = f"SELECT s.*, true AS _stored, s.rowid AS _rowid FROM {table.name} s"
    kept = f"{merged}_stored" if by_line and few else None
    if kept and changed_rows.stored_by_row_id(con, table, kept, lines.gone if lines else None):
        stored = f"SELECT s.*, true AS _stored FROM {kept} s"
    elif few:
        kept = None
        # Few rows against many stored (changed lines only): the row ids of the stored rows
        # sharing their keys are found first, reading the key columns alone, and only those
        # rows are read whole (at 10 M stored rows 0.96 s against 1.2 s reading every column).
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {merged}_ids AS SELECT s.rowid AS _rowid "
            f"FROM {table.name} s SEMI JOIN {valid} v ON {match}"
        )
        stored += f" SEMI JOIN {merged}_ids i ON s.rowid = i._rowid"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {merged} AS SELECT {columns}, s._stored, s._rowid "
        f"FROM {valid} v LEFT JOIN ({stored}) s ON {match} "
        f"WHERE s._stored IS NULL OR {differs or 'false'}"
    )
    counts = con.execute(
        f"SELECT count(*) FILTER (WHERE _stored), count(*) FILTER (WHERE _stored IS NULL) "
        f"FROM {merged}"
    ).fetchall()[0]
    changed, new = int(counts[0]), int(counts[1])
    appended = changed_rows.Appended.before(con, table.name)
    if changed:
        # By row id: the stored rows are not read again (their keys were, by the join).
        con.execute(
            f"DELETE FROM {table.name} WHERE rowid IN (SELECT _rowid FROM {merged} WHERE _stored)"
        )
    con.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {merged}")
    if by_line:
        replaced = f"SELECT _rowid FROM {merged} WHERE _stored"
        changed_rows.rows_written(con, table, appended, kept, replaced)
    con.execute(f"DROP TABLE {merged}")
    con.execute(f"DROP TABLE IF EXISTS {merged}_ids")
    con.execute(f"DROP TABLE IF EXISTS {merged}_stored")
    return changed, new


def _won_money(con: duckdb.DuckDBPyConnection, typed: str, table: str) -> tuple[WonMoney, ...]:
    """Won deals per currency, split into loaded and rejected, from the typed staged rows."""
    rejected = (
        f"EXISTS (SELECT 1 FROM {REJECTS} r WHERE r.table_name = {quote_literal(table)} "
        f"AND r.file = t.{FILE} AND r.row = t.{ROW})"
    )
    rows = con.execute(
        f"SELECT currency, count(*) FILTER (WHERE NOT bad), "
        f"coalesce(sum(amount) FILTER (WHERE NOT bad), 0), count(*) FILTER (WHERE bad), "
        f"coalesce(sum(amount) FILTER (WHERE bad), 0) "
        f"FROM (SELECT t.currency, t.amount, {rejected} AS bad FROM {typed} t WHERE t.is_won) "
        f"GROUP BY currency ORDER BY currency NULLS FIRST"
    ).fetchall()
    return tuple(
        WonMoney(currency, int(n), float(amount), int(bad), float(bad_amount))
        for currency, n, amount, bad, bad_amount in rows
    )


def _log_tables(con: duckdb.DuckDBPyConnection, import_id: int, results: list[TableResult]) -> None:
    """Record what the import did per table, and its won money per currency, in the log."""
    con.executemany(
        f"INSERT INTO {IMPORT_TABLES_TABLE} (import_id, table_name, rows_read, inserted, "
        "updated, rejected, implied, backdated, changed, unchanged, deleted) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(import_id, r.table, *_counts(r)) for r in results],
    )
    money = [
        [import_id, r.table, m.currency, m.loaded, m.loaded_amount, m.rejected, m.rejected_amount]
        for r in results
        for m in r.won
    ]
    if money:
        con.executemany(f"INSERT INTO {IMPORT_MONEY_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", money)


def _counts(result: TableResult) -> tuple[int, ...]:
    """The counts of a table's line in the log, in its column order."""
    r = result
    return (
        *(r.rows_read, r.inserted, r.updated, r.rows_rejected, r.implied, r.backdated),
        *(r.changed, r.unchanged, r.deleted),
    )


def _drop_staged_files(con: duckdb.DuckDBPyConnection) -> None:
    """Free the temporary copies of the input files once they are loaded."""
    staged = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?)",
        [RAW_PREFIX],
    ).fetchall()
    for (name,) in staged:
        con.execute(f"DROP TABLE {quote_ident(name)}")
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, ?)",
        [RAW_PREFIX],
    ).fetchall()
    for (name,) in views:  # files read where they were typed (readers.stage_file's `lazy`)
        con.execute(f"DROP VIEW {quote_ident(name)}")


def _write_rejects(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Write every reject to `path` as CSV, sorted by table, file and row."""
    # Written row by row through csv_safe, not with COPY: the values are raw CRM text, and a
    # cell like =HYPERLINK(...) would run in the spreadsheet that opens the report.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cursor = con.execute(f"SELECT * FROM {REJECTS} ORDER BY {_REJECT_ORDER}")
        columns = [column[0] for column in cursor.description or ()]
        with path.open("w", encoding="utf-8", newline="") as handle:
            batches = iter(lambda: cursor.fetchmany(10_000), [])
            write_rows(handle, columns, (row for batch in batches for row in batch))
    except (duckdb.Error, OSError) as error:
        raise StoreError(f"{path}: cannot write the rejects report: {error}") from error


_REJECT_ORDER = (
    "CASE table_name "
    + " ".join(f"WHEN {quote_literal(name)} THEN {i}" for i, name in enumerate(TABLES))
    + " END, file, row, column_name"
)
"""Rejects in load order of their tables, parents first: a rejected rep shows before the deals
and tasks it takes with it, so the first lines name the cause."""


def _sample(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[Reject]:
    rows = con.execute(f"SELECT * FROM {REJECTS} ORDER BY {_REJECT_ORDER} LIMIT {limit}").fetchall()
    return [Reject(*row) for row in rows]


def _in_load_order(results: list[TableResult]) -> list[TableResult]:
    """Results in the order tables load (parents first), as the summary lists them."""
    order = list(TABLES)
    return sorted(results, key=lambda result: order.index(result.table))


def _names(table: Table) -> tuple[str, str]:
    return f"_staged_{table.name}", f"_typed_{table.name}"
