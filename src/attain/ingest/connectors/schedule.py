"""Syncs on a schedule inside `attain serve`: each CRM of `[sync] crms`, every `every_minutes`.

The app is then the store's writer: a sync waits until no page is reading the store, writes
its data version in one transaction, and the pages read the new version afterwards (the caller
passes a lock that its own reads share, `writing`). The outcome of the last run of each CRM,
and when the next is due, are kept for the line every page shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from attain.ingest.connectors import hubspot, salesforce
from attain.ingest.connectors.settings import SyncSettings
from attain.ingest.connectors.sync import Connector, run_sync
from attain.store import connect


def connector_for(crm: str, settings: SyncSettings) -> Connector:
    """Sign in to `crm` with its settings and the secret in the environment."""
    if crm == "salesforce":
        return salesforce.SalesforceConnector(
            salesforce.sign_in(settings.salesforce), settings.salesforce
        )
    return hubspot.HubSpotConnector(hubspot.sign_in(settings.hubspot))


@dataclass(frozen=True)
class LastRun:
    """What the last scheduled sync of a CRM did."""

    crm: str
    finished: datetime
    ok: bool
    detail: str
    """The data version it wrote and its rows, "no change", or the error's one line."""


class SyncSchedule:
    """A thread that syncs each CRM of the settings every `every_minutes` (see the module)."""

    def __init__(
        self,
        settings: SyncSettings,
        store: str,
        writing: Callable[[], AbstractContextManager[object]],
        connect_to: Callable[[str, SyncSettings], Connector] = connector_for,
    ) -> None:
        self.settings = settings
        self.store = store
        self.writing = writing
        self.connect_to = connect_to
        self.last: dict[str, LastRun] = {}
        self.next_run: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="attain-sync", daemon=True)

    @property
    def every(self) -> timedelta:
        return timedelta(minutes=self.settings.every_minutes)

    def start(self) -> None:
        """Start syncing: the first sync now, then every `every_minutes`."""
        self.next_run = datetime.now(UTC)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the sync under way, if any."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def run_once(self) -> list[LastRun]:
        """Sync every CRM of the settings now, one after the other; a failure is recorded and
        leaves the store as it was (each sync is one transaction)."""
        return [self._sync(crm) for crm in self.settings.crms]

    def line(self) -> str | None:
        """The sentence every page shows: each CRM's last sync and when the next is due."""
        if not self.settings.crms:
            return None
        parts = []
        for crm in self.settings.crms:
            run = self.last.get(crm)
            if run is None:
                parts.append(f"{crm}: not synced yet")
            else:
                state = "ok" if run.ok else "failed"
                parts.append(
                    f"{crm}: last sync {run.finished:%Y-%m-%d %H:%M} UTC, {state} ({run.detail})"
                )
        due = f"; next sync {self.next_run:%Y-%m-%d %H:%M} UTC" if self.next_run else ""
        return "; ".join(parts) + due

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self.next_run = datetime.now(UTC) + self.every
            self._stop.wait(self.every.total_seconds())

    def _sync(self, crm: str) -> LastRun:
        try:
            connector = self.connect_to(crm, self.settings)
            with self.writing():
                backend = connect(self.store)
                try:
                    result = run_sync(
                        backend,
                        connector,
                        Path(self.settings.folder),
                        overlap=timedelta(minutes=self.settings.overlap_minutes),
                    )
                finally:
                    backend.disconnect()
            imported = result.imported
            detail = (
                f"data version {imported.version}, {imported.rows_loaded:,} rows"
                if imported.version is not None
                else "no change"
            )
            run = LastRun(crm, datetime.now(UTC), True, detail)
        except Exception as error:  # one CRM's failure must not stop the app or the others
            run = LastRun(crm, datetime.now(UTC), False, str(error).splitlines()[0][:200])
        self.last[crm] = run
        return run
