"""The snapshot a connector keeps between syncs: one CSV per CRM object, as an export holds it.

A full sync replaces every object; an incremental one merges the records changed since the
last sync into the stored files by key, removes the records the CRM deleted (and the child
records that pointed at them), and replaces the objects that are always read whole. The new
snapshot is written beside the current one and takes its place only once the import that
reads it has committed, so a failed sync leaves both the store and the snapshot as they were.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from attain.ingest.connectors import SyncError
from attain.ingest.readers import quote_ident, quote_literal

STATE = "sync.json"
"""The snapshot's state: when the sync that made it began (the next one's cursor)."""


@dataclass
class ObjectRecords:
    """What a sync read of one CRM object."""

    name: str
    """The file the preset reads it from, without `.csv` (`Opportunity`, `deals`)."""
    key: str
    """The field naming a record (`Id`, `hs_object_id`)."""
    rows: list[dict[str, str]] = field(default_factory=list)
    complete: bool = True
    """The rows are every record (replace the file); else the ones changed since the last sync."""
    deleted: set[str] = field(default_factory=set)
    """Keys of records the CRM deleted since the last sync."""
    parent: tuple[str, str] | None = None
    """(object, field): a record goes when the record of `object` its `field` names is deleted."""
    columns: tuple[str, ...] = ()
    """The fields read, in order (a file keeps its header even with no rows)."""
    links: tuple[tuple[str, str], ...] = ()
    """(field, object): the field lists `;`-separated keys of `object`'s records; a deleted
    record's key leaves the stored rows that name it (the CRM drops the association, without
    counting it as a change of the record that had it)."""


@dataclass(frozen=True)
class Merged:
    """What a sync changed in the snapshot, per object: rows written, changed and removed."""

    rows: dict[str, int]
    changed: dict[str, int]
    removed: dict[str, int]


class Snapshot:
    """The folder of one CRM's snapshot, e.g. attain-sync/salesforce."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.staging = folder.with_name(folder.name + ".new")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the snapshot for one sync: a second sync of the same CRM at the same time
        would overwrite the first one's staging folder."""
        lock = self.folder.with_name(self.folder.name + ".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            raise SyncError(
                f"another sync of {self.folder.name} is running (it holds {lock}); wait for it, "
                "or delete that file if no sync is running"
            ) from None
        try:
            os.write(handle, str(os.getpid()).encode())
            os.close(handle)
            yield
        finally:
            lock.unlink(missing_ok=True)

    def cursor(self) -> datetime | None:
        """When the sync that made the current snapshot began; None when there is none."""
        state = self.folder / STATE
        if not state.is_file():
            return None
        return datetime.fromisoformat(json.loads(state.read_text())["began"])

    def stage(self, objects: Iterable[ObjectRecords], began: datetime) -> Merged:
        """Write the next snapshot into the staging folder, merging changes into the current."""
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        objects = list(objects)
        gone = _deleted_keys(objects)
        rows, changed, removed = {}, {}, {}
        for records in objects:
            stored = self.folder / f"{records.name}.csv"
            target = self.staging / f"{records.name}.csv"
            current = None if records.complete or not stored.is_file() else stored
            rows[records.name], removed[records.name] = _merge(current, records, gone, target)
            changed[records.name] = len(records.rows)
        (self.staging / STATE).write_text(json.dumps({"began": began.isoformat()}))
        return Merged(rows, changed, removed)

    def commit(self) -> None:
        """Make the staged snapshot the current one."""
        old = self.folder.with_name(self.folder.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if self.folder.exists():
            self.folder.rename(old)
        self.staging.rename(self.folder)
        if old.exists():
            shutil.rmtree(old)

    def discard(self) -> None:
        """Forget the staged snapshot (the sync failed)."""
        if self.staging.exists():
            shutil.rmtree(self.staging)


def _deleted_keys(objects: list[ObjectRecords]) -> dict[str, set[str]]:
    """Keys deleted per object."""
    return {records.name: set(records.deleted) for records in objects}


def _merge(
    stored: Path | None, records: ObjectRecords, gone: Mapping[str, set[str]], target: Path
) -> tuple[int, int]:
    """Merge the records read into the stored file (None: replace it), streaming in DuckDB (a
    year of tasks never becomes Python objects): the stored rows neither changed nor deleted
    (nor naming a deleted parent), their links to deleted records dropped, then the rows read;
    in key order, so that an unchanged CRM gives the same files, which the importer recognises
    and commits no new data version for. Returns the rows written and the stored rows deleted."""
    changed = target.with_name(f"{records.name}.changed.csv")
    latest = {row[records.key]: row for row in records.rows}.values()  # a record read twice
    _write(changed, _columns((records.key, *records.columns), records.rows), latest)
    if stored is None:
        return _copy(changed, "SELECT * FROM new", records.key, target), 0
    with stored.open(newline="", encoding="utf-8") as source:
        header = next(csv.reader(source), [])
    key = quote_ident(records.key)
    deleted = [f"{key} IN ({_keys(gone.get(records.name, set()))})"]
    if records.parent is not None:
        parent, link = records.parent
        deleted.append(f"{quote_ident(link)} IN ({_keys(gone.get(parent, set()))})")
    unlinked = [
        f"array_to_string(list_filter(string_split({quote_ident(name)}, ';'), lambda k: "
        f"k NOT IN ({_keys(gone.get(target_object, set()))})), ';') AS {quote_ident(name)}"
        for name, target_object in records.links
        if name in header and gone.get(target_object)
    ]
    is_deleted = f"coalesce({' OR '.join(deleted)}, false)"
    kept = f"SELECT * {'REPLACE (' + ', '.join(unlinked) + ')' if unlinked else ''} FROM old"
    kept += f" WHERE NOT {is_deleted}"
    if records.rows:
        kept += f" AND {key} NOT IN (SELECT {key} FROM new) UNION ALL BY NAME SELECT * FROM new"
    written = _copy(changed, kept, records.key, target, stored)
    con = duckdb.connect()
    try:
        removed = con.execute(f"SELECT count(*) FROM {_csv(stored)} WHERE {is_deleted}").fetchone()
    finally:
        con.close()
    assert removed is not None
    return written, int(removed[0])


def _copy(changed: Path, select: str, key: str, target: Path, stored: Path | None = None) -> int:
    """Write `select` (over the views `new`, the rows read, and `old`, the stored file) to
    `target` in order of `key`; returns the rows written. Removes `changed` after."""
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW new AS SELECT * FROM {_csv(changed)}")
        if stored is not None:
            con.execute(f"CREATE VIEW old AS SELECT * FROM {_csv(stored)}")
        written = con.execute(
            f"COPY (SELECT * FROM ({select}) ORDER BY {quote_ident(key)}) "
            f"TO {quote_literal(str(target))} (HEADER, DELIMITER ',')"
        ).fetchone()
    finally:
        con.close()
        changed.unlink()
    assert written is not None
    return int(written[0])


def _csv(path: Path) -> str:
    """SQL reading a snapshot file as text columns."""
    return (
        f"read_csv({quote_literal(str(path))}, header = true, all_varchar = true, "
        "delim = ',', quote = '\"', escape = '\"')"
    )


def _keys(keys: set[str]) -> str:
    """SQL: a list of key literals for IN (never empty: IN () is not SQL)."""
    return ", ".join(quote_literal(k) for k in sorted(keys)) or "NULL"


def _columns(read: tuple[str, ...], rows: list[dict[str, str]]) -> list[str]:
    """The header: the fields read, then any other the rows hold."""
    columns = dict.fromkeys(read)
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def _write(path: Path, columns: list[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=columns, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
