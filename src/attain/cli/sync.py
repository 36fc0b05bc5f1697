"""`attain sync`: read a CRM through its API into the store, as a new data version."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from attain.cli.imports import _print_summary
from attain.cli.options import DB, open_store
from attain.config import load_settings
from attain.ingest.connectors import hubspot, salesforce
from attain.ingest.connectors.sync import Connector, SyncResult, run_sync


class Crm(StrEnum):
    salesforce = "salesforce"
    hubspot = "hubspot"


def sync_command(
    crm: Crm = typer.Argument(..., help="The CRM to read: salesforce or hubspot."),
    full: bool = typer.Option(
        False,
        "--full",
        help="Read every record again (default: only what changed since the last sync; the "
        "first sync is always full).",
    ),
    db: str | None = DB,
    rejects: Path = typer.Option(
        Path("rejects.csv"),
        "--rejects",
        help="Where invalid rows are reported (file, row, column, value, reason).",
    ),
) -> None:
    """Sync the store with Salesforce or HubSpot through their APIs, in one transaction.

    Connection settings come from [sync.salesforce] or [sync.hubspot] in attain.toml, secrets
    from the environment (ATTAIN_SALESFORCE_PRIVATE_KEY, ATTAIN_SALESFORCE_CLIENT_SECRET,
    ATTAIN_SALESFORCE_TOKEN or ATTAIN_HUBSPOT_TOKEN). Records go through the same preset,
    validation and rejects as an export; the sync is a data version with source sync:<crm>,
    and a failed sync changes nothing. See docs/connectors.md.
    """
    settings = load_settings().sync
    connector: Connector
    if crm is Crm.salesforce:
        config = settings.salesforce
        connector = salesforce.SalesforceConnector(salesforce.sign_in(config), config)
    else:
        connector = hubspot.HubSpotConnector(hubspot.sign_in(settings.hubspot))
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 132)
    backend, _ = open_store(db)
    try:
        with console.status(f"syncing {crm.value}"):
            result = run_sync(
                backend,
                connector,
                settings.folder,
                full=full,
                overlap=timedelta(minutes=settings.overlap_minutes),
                rejects_path=rejects,
            )
    finally:
        backend.disconnect()
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
