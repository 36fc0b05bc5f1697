"""What the last sync of each CRM did: for `attain sync status` (and a web app's sync line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
from ibis.common.exceptions import TableNotFound

from attain.ingest.connectors.snapshot import Snapshot
from attain.store.ddl import IMPORT_TABLES_TABLE, IMPORTS_TABLE

CRMS = ("salesforce", "hubspot")
"""The CRMs `attain sync` reads."""


@dataclass(frozen=True)
class SyncStatus:
    """One CRM's last sync, and the last data version a sync of it committed."""

    crm: str
    began: datetime | None
    """When the last successful sync began (its snapshot's cursor); None: never synced."""
    version: int | None = None
    """The last data version a sync committed (a sync that changed nothing commits none)."""
    taken_at: datetime | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    deleted: int = 0


def sync_statuses(backend: Any, folder: Path) -> list[SyncStatus]:
    """Each CRM's last sync, from its snapshot in `folder` and the store's import log."""
    stored = getattr(backend, "stored_table", backend.table)
    try:
        log, tables = stored(IMPORTS_TABLE), stored(IMPORT_TABLES_TABLE)
    except TableNotFound:  # a store no import has written to yet
        log = tables = None
    statuses = []
    for crm in CRMS:
        status = SyncStatus(crm, Snapshot(folder / crm).cursor())
        if log is not None and tables is not None:
            status = _with_version(status, log, tables)
        statuses.append(status)
    return statuses


def _with_version(status: SyncStatus, log: Any, tables: Any) -> SyncStatus:
    """`status` with the last data version its CRM's syncs committed, if any."""
    mine = log.filter(log.preset == f"sync:{status.crm}")
    latest = mine.order_by(ibis.desc("import_id")).limit(1).execute()
    if latest.empty:
        return status
    row = latest.iloc[0]
    version = int(row["import_id"])
    deleted = tables.filter(tables.import_id == version).deleted.sum().execute()
    return SyncStatus(
        status.crm,
        status.began,
        version,
        row["taken_at"].to_pydatetime() if row["taken_at"] is not None else None,
        int(row["rows_loaded"]),
        int(row["rows_rejected"]),
        int(deleted or 0),
    )
