"""Data versions and the dated history an import writes (docs/history.md).

Every committed import is a data version: its `attain_imports.import_id`, with when the export
was taken (`taken_at`). After the import has merged its rows, the history tables get, set-wise
and in the import's transaction:

- for each deal or rep whose tracked fields differ from its current history row (or that has
  none yet, or whose current row says deleted): the current row closed at this version and a new
  current row opened (`version_from` = this import, `valid_from` = `taken_at`);
- for a deal that gets its first history row and has stage entries stored (Salesforce
  OpportunityHistory, HubSpot property history): closed rows seeded from those entries;
- for a full (not partial) import of deals: each stored deal the export no longer holds gets a
  `deleted` current row with its last values, and leaves `opportunities` (and its stage entries).

A history row is current while its `valid_to` is NULL.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.readers import quote_ident
from attain.store.ddl import (
    IMPORT_TABLES_TABLE,
    IMPORTS_TABLE,
    LINE_HASHES_TABLE,
    LOG_TABLES,
    OPPORTUNITY_HISTORY_TABLE,
    REP_HISTORY_TABLE,
    VERSIONED,
)


@dataclass(frozen=True)
class History:
    """How one canonical table is versioned."""

    table: str
    history: str
    key: str
    tracked: tuple[str, ...]


def _history(table: str, history: str, key: str) -> History:
    """A table's history: its tracked fields are the history table's columns (attain.store.ddl)
    other than the key and the version range."""
    tracked = tuple(name for name in LOG_TABLES[history] if name != key and name not in VERSIONED)
    return History(table, history, key, tracked)


HISTORIES: dict[str, History] = {
    "opportunities": _history("opportunities", OPPORTUNITY_HISTORY_TABLE, "opportunity_id"),
    "reps": _history("reps", REP_HISTORY_TABLE, "rep_id"),
}
"""The tables with a dated history, their history table, key and tracked fields."""

DELETABLE = "opportunities"
"""The one table whose rows a full export deletes by leaving them out (reps who disappear
from an export stay: people leave through `end_date`, not by vanishing)."""

SEEN = "_attain_seen_keys"
"""Temporary table: every key of DELETABLE the import read, valid or rejected."""


def file_hashes(paths: list[str]) -> dict[str, str]:
    """SHA-256 of each file's content, read in blocks so large exports stay out of memory
    (`hashlib.file_digest`: about half the time of a loop over 1 MiB reads)."""
    hashes = {}
    for path in paths:
        with Path(path).open("rb") as source:
            hashes[path] = hashlib.file_digest(source, "sha256").hexdigest()
    return hashes


def hash_beside(paths: list[str]) -> Future[dict[str, str]]:
    """`file_hashes(paths)` worked out in a thread while the import goes on: hashlib releases
    the GIL, so the SHA-256 of a 10 M-line export (0.4 to 0.5 s) runs beside the files'
    encoding check and typing instead of before them."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attain-sha256")
    try:
        return pool.submit(file_hashes, paths)
    finally:
        pool.shutdown(wait=False)


def may_skip_files(con: duckdb.DuckDBPyConnection, preset: str) -> bool:
    """Whether `unchanged_files` may skip any file: the newest data version is a full
    import of `preset` that kept its files' hashes."""
    return newest_full(con, preset) is not None


def newest_full(con: duckdb.DuckDBPyConnection, preset: str) -> tuple[int, str] | None:
    """The newest data version's id and file hashes (JSON) when it is a full import of
    `preset` that kept them."""
    row = con.execute(
        f"SELECT import_id, preset, partial, file_hashes FROM {IMPORTS_TABLE} "
        "ORDER BY import_id DESC LIMIT 1"
    ).fetchall()
    if not row or row[0][1] != preset or row[0][2] or not row[0][3]:
        return None
    return int(row[0][0]), str(row[0][3])


def unchanged_files(
    con: duckdb.DuckDBPyConnection, hashes: dict[Path, str], preset: str
) -> dict[Path, int]:
    """The files an import may skip, with the data version whose file they repeat.

    A file may be skipped when the newest data version is a full import of the same `preset`
    that read a file of the same content (its SHA-256) into the same table and rejected none
    of that table's rows: the store then holds exactly that file's rows, and reading it again
    would change nothing (a rejected row might load now that a parent it lacked arrived, so a
    table with rejects is read again).
    """
    newest = newest_full(con, preset)
    if newest is None:
        return {}
    import_id, recorded = newest[0], json.loads(newest[1])
    clean = {
        name
        for (name,) in con.execute(
            f"SELECT table_name FROM {IMPORT_TABLES_TABLE} WHERE import_id = ? AND rejected = 0",
            [import_id],
        ).fetchall()
    }
    same_table = {(Path(path).stem.lower(), digest) for path, digest in recorded.items()}
    return {
        path: import_id
        for path, digest in hashes.items()
        if path.stem.lower() in clean and (path.stem.lower(), digest) in same_table
    }


@dataclass(frozen=True)
class Version:
    """A stored data version: its import id, when its export was taken, its files' hashes."""

    import_id: int
    taken_at: datetime
    hashes: tuple[str, ...]
    """The content hashes, sorted: the same export under another path is the same."""


def latest_version(con: duckdb.DuckDBPyConnection, preset: str | None = None) -> Version | None:
    """The newest data version (of `preset`, when given)."""
    where = "WHERE preset = ?" if preset is not None else ""
    row = con.execute(
        f"SELECT import_id, coalesce(taken_at, imported_at), file_hashes FROM {IMPORTS_TABLE} "
        f"{where} ORDER BY import_id DESC LIMIT 1",
        [preset] if preset is not None else [],
    ).fetchone()
    if row is None:
        return None
    hashes = json.loads(row[2]) if row[2] else {}
    return Version(int(row[0]), row[1], tuple(sorted(hashes.values())))


def check_taken_at(con: duckdb.DuckDBPyConnection, taken_at: datetime) -> None:
    """Refuse an export taken before the newest data version: history only moves forward."""
    latest = latest_version(con)
    if latest is not None and latest.taken_at is not None and taken_at < latest.taken_at:
        raise InputError(
            f"this export was taken at {taken_at:%Y-%m-%d %H:%M}, before data version "
            f"{latest.import_id} ({latest.taken_at:%Y-%m-%d %H:%M}); import exports in the "
            "order they were taken (into a new store to rebuild the history), or pass a later "
            "--taken-at"
        )


def keep_seen_keys(con: duckdb.DuckDBPyConnection, typed: str) -> None:
    """Remember every deal key the import read (rejected rows too: the export still holds them)."""
    key = quote_ident(HISTORIES[DELETABLE].key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SEEN} AS SELECT DISTINCT {key} FROM {typed} "
        f"WHERE {key} IS NOT NULL"
    )


def record_deletions(con: duckdb.DuckDBPyConnection, version: int, taken_at: datetime) -> int:
    """Close the history of each stored deal the full export left out, then remove the deal.

    Its last state becomes a current `deleted` row; the deal and its stage entries leave the
    store, so no analysis counts it any more. Returns the number of deals deleted.
    """
    spec = HISTORIES[DELETABLE]
    key = quote_ident(spec.key)
    gone = "_attain_gone_keys"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {gone} AS SELECT {key} FROM {spec.table} "
        f"WHERE {key} NOT IN (SELECT {key} FROM {SEEN})"
    )
    deleted = _count(con, gone)
    if deleted:
        _close_current(con, spec, gone, version, taken_at)
        fields = ", ".join(quote_ident(name) for name in spec.tracked)
        con.execute(
            f"INSERT INTO {spec.history} ({key}, version_from, valid_from, deleted, {fields}) "
            f"SELECT {key}, ?, ?, true, {fields} FROM {spec.table} "
            f"WHERE {key} IN (SELECT {key} FROM {gone})",
            [version, taken_at],
        )
        for table in (spec.table, "opportunity_stages"):
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {gone})")
        # The stage file may still hold the deleted deals' entries: its lines are no longer
        # all stored rows, so its next import reads it whole (and rejects those entries).
        con.execute(
            f"DELETE FROM {LINE_HASHES_TABLE} WHERE table_name = 'opportunity_stages'"
        ).fetchall()
    con.execute(f"DROP TABLE {gone}")
    return deleted


def record_changes(
    con: duckdb.DuckDBPyConnection, spec: History, version: int, taken_at: datetime
) -> int:
    """Open a current history row for each stored row whose tracked fields changed.

    Compares the stored rows (after the merge, so columns a file lacked keep their values)
    with the current history rows. Returns the number of history rows written, seeds included.
    """
    key = quote_ident(spec.key)
    fields = ", ".join(quote_ident(name) for name in spec.tracked)
    differs = " OR ".join(
        f"s.{quote_ident(name)} IS DISTINCT FROM h.{quote_ident(name)}" for name in spec.tracked
    )
    changed = "_attain_changed_keys"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {changed} AS SELECT s.{key}, "
        f"NOT EXISTS (SELECT 1 FROM {spec.history} a WHERE a.{key} = s.{key}) AS first "
        f"FROM {spec.table} s LEFT JOIN {spec.history} h "
        f"ON h.{key} = s.{key} AND h.valid_to IS NULL "
        f"WHERE h.{key} IS NULL OR h.deleted OR {differs}"
    )
    written = _count(con, changed)
    if written:
        _close_current(con, spec, changed, version, taken_at)
        if spec.table == DELETABLE:
            written += _seed_from_stages(con, spec, changed, taken_at)
        con.execute(
            f"INSERT INTO {spec.history} ({key}, version_from, valid_from, deleted, {fields}) "
            f"SELECT {key}, ?, ?, false, {fields} FROM {spec.table} "
            f"WHERE {key} IN (SELECT {key} FROM {changed})",
            [version, taken_at],
        )
    con.execute(f"DROP TABLE {changed}")
    return written


def _seed_from_stages(
    con: duckdb.DuckDBPyConnection, spec: History, changed: str, taken_at: datetime
) -> int:
    """Closed history rows, one per stored stage entry, for deals getting their first history.

    Each runs from the entry's `entered_at` to the next entry's (the last one to this version's
    `taken_at`), with no version (`version_from`/`version_to` NULL: seeded). The stage, and the
    amount where the entry has one, come from the entry; owner, currency and expected close date
    from the deal as imported now; `closed_at`/`is_won` only on rows starting at or after the
    close; forecast category and probability are unknown (NULL) rather than today's, so that a
    backtest of past forecast calls does not read the outcome.
    """
    key = quote_ident(spec.key)
    before = con.execute(f"SELECT count(*) FROM {spec.history}").fetchone()
    con.execute(
        f"INSERT INTO {spec.history} ({key}, valid_from, valid_to, deleted, owner_rep_id, stage, "
        "amount, currency, expected_close_date, closed_at, is_won, created_at) "
        "SELECT e.opportunity_id, e.entered_at, "
        "coalesce(lead(e.entered_at) OVER (PARTITION BY e.opportunity_id ORDER BY e.entered_at),"
        " ?), false, d.owner_rep_id, e.stage, coalesce(e.amount, d.amount), d.currency, "
        "d.expected_close_date, "
        "CASE WHEN d.closed_at <= e.entered_at THEN d.closed_at END, "
        "CASE WHEN d.closed_at <= e.entered_at THEN d.is_won END, d.created_at "
        "FROM opportunity_stages e JOIN opportunities d USING (opportunity_id) "
        f"WHERE e.entered_at < ? AND e.opportunity_id IN (SELECT {key} FROM {changed} WHERE first)",
        [taken_at, taken_at],
    )
    after = con.execute(f"SELECT count(*) FROM {spec.history}").fetchone()
    assert before is not None and after is not None
    return int(after[0]) - int(before[0])


def _close_current(
    con: duckdb.DuckDBPyConnection, spec: History, keys: str, version: int, taken_at: datetime
) -> None:
    """End the current history row of each key in the temporary table `keys` at this version."""
    key = quote_ident(spec.key)
    con.execute(
        f"UPDATE {spec.history} SET version_to = ?, valid_to = ? "
        f"WHERE valid_to IS NULL AND {key} IN (SELECT {key} FROM {keys})",
        [version, taken_at],
    )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])
