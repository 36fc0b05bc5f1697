"""Connection settings of the CRM connectors ([sync.salesforce], [sync.hubspot] in attain.toml).

Secrets never live here: tokens, keys and client secrets are read from the environment at the
moment of a sync (SECRET_VARIABLES), so Attain never writes them to disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SECRET_VARIABLES = {
    "salesforce_token": "ATTAIN_SALESFORCE_TOKEN",
    "salesforce_private_key": "ATTAIN_SALESFORCE_PRIVATE_KEY",
    "salesforce_client_secret": "ATTAIN_SALESFORCE_CLIENT_SECRET",
    "hubspot_token": "ATTAIN_HUBSPOT_TOKEN",
}
"""The environment variables holding each secret a connector may need."""


class SalesforceSync(BaseModel):
    """How to reach a Salesforce org ([sync.salesforce])."""

    model_config = ConfigDict(extra="forbid")

    auth: Literal["token", "jwt", "client_credentials"] = Field(
        default="jwt",
        description="How to sign in: jwt (OAuth 2.0 JWT bearer for a connected app, with the "
        "private key in ATTAIN_SALESFORCE_PRIVATE_KEY), client_credentials (the client secret "
        "in ATTAIN_SALESFORCE_CLIENT_SECRET) or token (an access token already obtained, in "
        "ATTAIN_SALESFORCE_TOKEN, with instance_url).",
    )
    instance_url: str | None = Field(
        default=None,
        description="The org's URL, e.g. https://acme.my.salesforce.com (needed with "
        "auth = token).",
    )
    domain: str = Field(
        default="login",
        description="Where to sign in: login, test (a sandbox) or the My Domain prefix, e.g. "
        "acme.my (client credentials need the My Domain).",
    )
    consumer_key: str | None = Field(
        default=None, description="The connected app's consumer key (jwt, client_credentials)."
    )
    username: str | None = Field(
        default=None, description="The integration user the JWT bearer flow signs in as (jwt)."
    )
    api_version: str = Field(default="62.0", description="The REST API version used.")
    max_api_share: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Stop a sync (changing nothing) once the org has used this share of its "
        "daily API requests, as Salesforce reports in Sforce-Limit-Info, so other "
        "integrations keep theirs.",
    )
    retries: int = Field(
        default=4, ge=0, description="Retries of a call refused with REQUEST_LIMIT_EXCEEDED."
    )
    bulk_objects: list[str] = Field(
        default=["Task", "Event", "OpportunityFieldHistory", "CampaignMember", "Lead"],
        description="Objects a full sync reads through Bulk API 2.0 query jobs (a few calls "
        "for any number of records) instead of query pages of 2,000; incremental syncs read "
        "their few changes through query.",
    )
    bulk_poll_seconds: int = Field(
        default=5, ge=0, description="The wait before asking whether a Bulk API job is done."
    )
    backoff_seconds: float = Field(
        default=30.0,
        ge=0,
        description="The wait before the first retry; each next retry waits twice as long.",
    )


class HubSpotSync(BaseModel):
    """How to reach a HubSpot portal ([sync.hubspot]); the private app's token is read from
    ATTAIN_HUBSPOT_TOKEN."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="https://api.hubapi.com", description="The HubSpot API's address.")
    retries: int = Field(
        default=5,
        ge=0,
        description="Retries of a call answered 429 (rate limit, after its Retry-After) or 5xx.",
    )


class SyncSettings(BaseModel):
    """Live CRM sync ([sync] table); see docs/connectors.md."""

    model_config = ConfigDict(extra="forbid")

    folder: Path = Field(
        default=Path("attain-sync"),
        description="Where each connector keeps its snapshot of the CRM's objects between "
        "syncs (one folder per CRM), so a sync reads only what changed.",
    )
    overlap_minutes: float = Field(
        default=10.0,
        ge=0,
        description="An incremental sync reads records changed since this long before the last "
        "sync began, so clocks a little apart lose no change.",
    )
    every_minutes: float = Field(
        default=0.0,
        ge=0,
        description="While `attain serve` runs, sync each CRM named in `crms` this often (0: "
        "never; `attain sync` still syncs by hand). The app then writes the store itself, "
        "between its reads, and every page says when the last sync ran and the next will.",
    )
    crms: list[Literal["salesforce", "hubspot"]] = Field(
        default=[], description="The CRMs `attain serve` syncs on its schedule."
    )
    salesforce: SalesforceSync = Field(default_factory=SalesforceSync)
    hubspot: HubSpotSync = Field(default_factory=HubSpotSync)
