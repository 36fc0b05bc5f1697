"""One sync: fetch from the CRM, merge into the snapshot, import it as a data version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from attain.ingest.connectors.snapshot import Merged, ObjectRecords, Snapshot
from attain.ingest.importer import ImportResult, Progress, import_files


@dataclass
class Fetched:
    """What a connector read from its CRM in one sync."""

    objects: list[ObjectRecords]
    notes: list[str] = field(default_factory=list)
    calls: int = 0
    """API requests made (retries included)."""


class Connector(Protocol):
    """Reads one CRM through its API."""

    name: str
    """The CRM, as in `attain sync <name>` and the data version's source `sync:<name>`."""
    preset: str
    """The export preset that reads the snapshot's files."""

    def fetch(self, since: datetime | None) -> Fetched:
        """Every record when `since` is None, else the records changed or deleted since."""
        ...


@dataclass(frozen=True)
class SyncResult:
    """The outcome of a sync: what it read, what the snapshot and the store became."""

    crm: str
    full: bool
    began: datetime
    since: datetime | None
    fetched: Fetched
    merged: Merged
    imported: ImportResult


def run_sync(
    store: Any,
    connector: Connector,
    folder: Path,
    *,
    full: bool = False,
    overlap: timedelta = timedelta(minutes=10),
    now: datetime | None = None,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Sync `store` with the CRM: incrementally from the snapshot in `folder`, else in full.

    Everything is read before the store is touched, and the import is one transaction; the
    snapshot moves on only after it commits, so a failed sync changes nothing. `now` is when
    the sync begins (the data version's `taken_at`, and the next sync's cursor).
    """
    snapshot = Snapshot(folder / connector.name)
    with snapshot.locked():
        return _sync(store, connector, snapshot, full, overlap, now, rejects_path, progress)


def _sync(
    store: Any,
    connector: Connector,
    snapshot: Snapshot,
    full: bool,
    overlap: timedelta,
    now: datetime | None,
    rejects_path: Path | None,
    progress: Progress | None,
) -> SyncResult:
    """The sync, with the snapshot held (see run_sync)."""
    began = _utc(now or datetime.now(UTC))
    cursor = None if full else snapshot.cursor()
    since = None if cursor is None else cursor - overlap
    step = progress or (lambda _message, _done, _total: None)
    step(f"reading {connector.name}", 0, None)
    fetched = connector.fetch(since)
    merged = snapshot.stage(fetched.objects, began)
    try:
        imported = import_files(
            store,
            [snapshot.staging],
            preset_name=connector.preset,
            source=f"sync:{connector.name}",
            taken_at=began,
            rejects_path=rejects_path,
            progress=progress,
        )
    except BaseException:
        snapshot.discard()
        raise
    snapshot.commit()
    imported.notes[:0] = fetched.notes
    return SyncResult(connector.name, since is None, began, since, fetched, merged, imported)


def _utc(moment: datetime) -> datetime:
    """`moment` as a naive UTC time, as the store keeps it."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
