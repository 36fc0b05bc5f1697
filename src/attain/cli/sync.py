"""`attain sync`: read a CRM through its API into the store, as a new data version."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from attain.cli.imports import _print_summary, serving_app
from attain.cli.options import DB, command_group, opened_store
from attain.cli.output import text_console

if TYPE_CHECKING:
    from attain.ingest.connectors.sync import Connector, SyncResult

app = command_group(
    "Read Salesforce or HubSpot through their APIs into the store (docs/connectors.md)."
)


class Crm(StrEnum):
    salesforce = "salesforce"
    hubspot = "hubspot"


FULL = typer.Option(
    False,
    "--full",
    help="Read every record again (default: only what changed since the last sync; the first "
    "sync is always full).",
)
REJECTS = typer.Option(
    Path("rejects.csv"),
    "--rejects",
    help="Where invalid rows are reported (file, row, column, value, reason).",
)


@app.command("salesforce")
def salesforce_command(full: bool = FULL, db: str | None = DB, rejects: Path = REJECTS) -> None:
    """Sync the store with Salesforce, in one transaction, as a new data version.

    Settings: [sync.salesforce] in attain.toml; the secret from ATTAIN_SALESFORCE_PRIVATE_KEY
    (auth = jwt), ATTAIN_SALESFORCE_CLIENT_SECRET (client_credentials) or
    ATTAIN_SALESFORCE_TOKEN (token). Records go through the salesforce preset, validation and
    rejects as a Data Export does; a failed sync changes nothing.
    """
    _sync(Crm.salesforce, full, db, rejects)


@app.command("hubspot")
def hubspot_command(full: bool = FULL, db: str | None = DB, rejects: Path = REJECTS) -> None:
    """Sync the store with HubSpot, in one transaction, as a new data version.

    Settings: [sync.hubspot] in attain.toml; the private app's token from ATTAIN_HUBSPOT_TOKEN.
    Records go through the hubspot preset, validation and rejects as an export does; a failed
    sync changes nothing.
    """
    _sync(Crm.hubspot, full, db, rejects)


@app.command("status")
def status_command(db: str | None = DB) -> None:
    """When each CRM was last synced, and what its last data version did.

    The rows its last data version loaded, rejected and deleted; a sync that changed nothing
    commits no new version, so its data version can be older than its last sync.
    """
    from attain.config import load_settings
    from attain.ingest.connectors.status import sync_statuses

    settings = load_settings().sync
    with opened_store(db, read_only=True) as backend:
        statuses = sync_statuses(backend, settings.folder)
    table = Table(title="Syncs")
    for header in ("crm", "last sync began (UTC)", "data version", "taken at (UTC)"):
        table.add_column(header)
    for header in ("loaded", "rejected", "deleted"):
        table.add_column(header, justify="right")
    for status in statuses:
        began = f"{status.began:%Y-%m-%d %H:%M}" if status.began else "never"
        taken = f"{status.taken_at:%Y-%m-%d %H:%M}" if status.taken_at else "-"
        counts = (status.rows_loaded, status.rows_rejected, status.deleted)
        version = str(status.version) if status.version is not None else "-"
        table.add_row(status.crm, began, version, taken, *(f"{n:,}" for n in counts))
    Console(width=132).print(table)


def _sync(crm: Crm, full: bool, db: str | None, rejects: Path) -> None:
    """Sign in to `crm`, sync the store with it and print what happened; while `attain
    serve` runs on the store, the app syncs it (with its own settings and secrets)."""
    from attain.config import load_settings
    from attain.ingest.connectors import hubspot, salesforce
    from attain.ingest.connectors.sync import run_sync
    from attain.ingest.handoff import SyncRequest, hand_sync

    claim = serving_app(db)
    if claim is not None:
        console = Console(width=132) if not Console().is_terminal else Console()
        with console.status(f"the app serving this store is syncing {crm.value}"):
            handed = hand_sync(
                claim, SyncRequest(crm=crm.value, full=full, rejects=rejects.resolve())
            )
        console.print(f"The app serving this store ({claim.url}) synced {crm.value}.")
        _print_sync(console, handed)
        _print_summary(console, handed.imported, rejects)
        return
    settings = load_settings().sync
    connector: Connector
    if crm is Crm.salesforce:
        config = settings.salesforce
        connector = salesforce.SalesforceConnector(salesforce.sign_in(config), config)
    else:
        connector = hubspot.HubSpotConnector(hubspot.sign_in(settings.hubspot))
    console = text_console(None, width=132)
    with opened_store(db) as backend, console.status(f"syncing {crm.value}"):
        result = run_sync(
            backend,
            connector,
            settings.folder,
            full=full,
            overlap=timedelta(minutes=settings.overlap_minutes),
            rejects_path=rejects,
        )
    _print_sync(console, result)
    _print_summary(console, result.imported, rejects)


def _print_sync(console: Console, result: SyncResult) -> None:
    """What was read: full or since when, API calls, records changed and deleted per object."""
    since = (
        "every record"
        if result.since is None
        else f"changes since {result.since:%Y-%m-%d %H:%M} UTC"
    )
    console.print(
        f"{result.crm}: read {since} in {result.fetched.calls:,} API call(s); "
        f"sync began {result.began:%Y-%m-%d %H:%M:%S} UTC"
    )
    for name, rows in result.merged.rows.items():
        changed, removed = result.merged.changed[name], result.merged.removed[name]
        console.print(f"  {name}: {changed:,} read, {removed:,} deleted, {rows:,} in the snapshot")
