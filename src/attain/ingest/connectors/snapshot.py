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
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

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
            current = [] if records.complete else _read(self.folder / f"{records.name}.csv")
            kept, dropped = _without(current, records, gone)
            kept = [_unlinked(row, records.links, gone) for row in kept]
            by_key = {row[records.key]: row for row in kept}
            by_key.update((row[records.key], row) for row in records.rows)
            columns = _columns(records.columns, current, records.rows)
            _write(self.staging / f"{records.name}.csv", columns, by_key.values())
            rows[records.name] = len(by_key)
            changed[records.name] = len(records.rows)
            removed[records.name] = dropped
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


def _without(
    current: list[dict[str, str]], records: ObjectRecords, gone: Mapping[str, set[str]]
) -> tuple[list[dict[str, str]], int]:
    """The stored rows that were not deleted, nor point at a deleted parent; and how many went."""
    own = gone.get(records.name, set())
    parent, link = records.parent or ("", "")
    parents = gone.get(parent, set())
    kept = [
        row
        for row in current
        if row.get(records.key) not in own and (not link or row.get(link) not in parents)
    ]
    return kept, len(current) - len(kept)


def _unlinked(
    row: dict[str, str], links: tuple[tuple[str, str], ...], gone: Mapping[str, set[str]]
) -> dict[str, str]:
    """`row` without the deleted records its link fields name."""
    for name, target in links:
        deleted = gone.get(target)
        if deleted and row.get(name):
            row[name] = ";".join(key for key in row[name].split(";") if key not in deleted)
    return row


def _columns(
    read: tuple[str, ...], current: list[dict[str, str]], rows: list[dict[str, str]]
) -> list[str]:
    """The header: the fields read, then any other the stored or new rows hold."""
    columns = list(read)
    for row in [*current[:1], *rows[:1]]:
        columns.extend(name for name in row if name not in columns)
    return columns


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def _write(path: Path, columns: list[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=columns, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
