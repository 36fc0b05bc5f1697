"""Salesforce through its REST API (simple-salesforce): the objects of a Data Export.

Records come back with the same API field names a Data Export writes, so the `salesforce`
preset reads the snapshot exactly as it reads an export (attain.ingest.presets.salesforce).
Each object is read with SOQL through query, following `nextRecordsUrl` from page to page
(a full sync of the largest objects through Bulk API 2.0 query jobs instead);
an incremental sync reads what changed since the cursor by `SystemModstamp` (field history by
`CreatedDate`) and what was deleted through queryAll (`IsDeleted = true`). Small reference
objects (users, roles, products, campaigns, currencies, quotas) are read whole every time.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from attain.errors import ConfigError
from attain.ingest.connectors import SyncError
from attain.ingest.connectors.settings import SECRET_VARIABLES, SalesforceSync
from attain.ingest.connectors.snapshot import ObjectRecords
from attain.ingest.connectors.sync import Fetched


@dataclass(frozen=True)
class SObject:
    """One object read, and how."""

    name: str
    fields: tuple[str, ...]
    since: str | None = "SystemModstamp"
    """The field an incremental sync filters on; None: read whole every sync."""
    where: str | None = None
    parent: tuple[str, str] | None = None
    """(object, field): the record goes when that parent is deleted."""
    deletable: bool = True
    """Deleted records are read through queryAll (IsDeleted)."""


OBJECTS = (
    SObject(
        "User",
        (
            "Id",
            "Name",
            "FirstName",
            "LastName",
            "Email",
            "IsActive",
            "UserType",
            "UserRoleId",
            "ManagerId",
            "CreatedDate",
        ),
        since=None,
        deletable=False,
    ),
    SObject("UserRole", ("Id", "Name", "ParentRoleId"), since=None, deletable=False),
    SObject(
        "Account",
        ("Id", "Name", "Industry", "NumberOfEmployees", "AnnualRevenue", "BillingCountry"),
    ),
    SObject("Product2", ("Id", "Name", "Family"), since=None),
    SObject("Campaign", ("Id", "Name"), since=None),
    SObject(
        "Lead",
        (
            "Id",
            "CreatedDate",
            "OwnerId",
            "Status",
            "IsConverted",
            "ConvertedDate",
            "LeadSource",
            "Company",
            "Industry",
            "NumberOfEmployees",
            "Country",
            "Title",
            "ConvertedOpportunityId",
        ),
    ),
    SObject(
        "CampaignMember", ("Id", "CampaignId", "LeadId", "CreatedDate"), parent=("Lead", "LeadId")
    ),
    SObject(
        "Opportunity",
        (
            "Id",
            "AccountId",
            "OwnerId",
            "LeadSource",
            "StageName",
            "Amount",
            "CurrencyIsoCode",
            "CreatedDate",
            "CloseDate",
            "IsClosed",
            "IsWon",
            "Probability",
            "ForecastCategoryName",
        ),
    ),
    SObject(
        "OpportunityFieldHistory",
        ("Id", "OpportunityId", "Field", "OldValue", "NewValue", "CreatedDate"),
        since="CreatedDate",
        where="Field = 'StageName'",
        parent=("Opportunity", "OpportunityId"),
        deletable=False,
    ),
    SObject(
        "OpportunityLineItem",
        ("Id", "OpportunityId", "Product2Id", "TotalPrice"),
        parent=("Opportunity", "OpportunityId"),
    ),
    SObject(
        "Task",
        (
            "Id",
            "OwnerId",
            "CreatedDate",
            "Type",
            "TaskSubtype",
            "IsClosed",
            "Status",
            "ActivityDate",
            "CompletedDateTime",
            "WhatId",
            "WhoId",
            "CallDisposition",
        ),
    ),
    SObject(
        "Event",
        (
            "Id",
            "OwnerId",
            "CreatedDate",
            "Type",
            "StartDateTime",
            "ActivityDateTime",
            "ActivityDate",
            "WhatId",
            "WhoId",
        ),
    ),
    SObject(
        "ForecastingQuota",
        ("Id", "QuotaOwnerId", "StartDate", "QuotaAmount", "ForecastingTypeId"),
        since=None,
        deletable=False,
    ),
    SObject(
        "CurrencyType",
        ("Id", "IsoCode", "ConversionRate", "IsCorporate", "IsActive"),
        since=None,
        deletable=False,
    ),
    SObject(
        "DatedConversionRate",
        ("Id", "IsoCode", "ConversionRate", "StartDate", "NextStartDate"),
        since=None,
        deletable=False,
    ),
)
"""What a sync reads; the fields are those the `salesforce` preset maps (docs/presets.md).
Objects or fields an org lacks (no multi-currency, no forecasting) are left out, with a note."""


BULK_PAGE = 50_000
"""Records per page of a Bulk API 2.0 query job's results."""


def sign_in(settings: SalesforceSync, session: requests.Session | None = None) -> Salesforce:
    """A client signed in as `settings.auth` says, with its secret from the environment."""
    try:
        return _signed_in(settings, session)
    except SalesforceAuthenticationFailed as error:
        raise SyncError(
            f"salesforce refused the sign-in ({settings.auth}): {error}; check the "
            "connected app, its consumer key and the user (docs/connectors.md)"
        ) from error


def _signed_in(settings: SalesforceSync, session: requests.Session | None) -> Salesforce:
    common: dict[str, Any] = {"version": settings.api_version, "session": session}
    if settings.auth == "token":
        if not settings.instance_url:
            raise ConfigError("sync.salesforce.instance_url is needed with auth = 'token'")
        token = _secret("salesforce_token")
        return Salesforce(instance_url=settings.instance_url, session_id=token, **common)
    if not settings.consumer_key:
        raise ConfigError(f"sync.salesforce.consumer_key is needed with auth = {settings.auth!r}")
    if settings.auth == "jwt":
        if not settings.username:
            raise ConfigError("sync.salesforce.username is needed with auth = 'jwt'")
        return Salesforce(
            username=settings.username,
            consumer_key=settings.consumer_key,
            privatekey=_secret("salesforce_private_key"),
            domain=settings.domain,
            **common,
        )
    return Salesforce(
        consumer_key=settings.consumer_key,
        consumer_secret=_secret("salesforce_client_secret"),
        domain=settings.domain,
        **common,
    )


def _secret(name: str) -> str:
    variable = SECRET_VARIABLES[name]
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"set {variable} in the environment (Attain never stores it)")
    return value


class SalesforceConnector:
    """Reads the OBJECTS of one org; `sleep` waits between retries (tests pass their own)."""

    name = "salesforce"
    preset = "salesforce"

    def __init__(
        self,
        client: Salesforce,
        settings: SalesforceSync,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.settings = settings
        self.sleep = sleep
        self.calls = 0
        client.session.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Count every request the client makes (retries and Bulk API polls included)."""
        self.calls += 1

    def fetch(self, since: datetime | None) -> Fetched:
        """Every object in OBJECTS the org has: all its records, or those changed since."""
        self.calls = 0
        fetched = Fetched(objects=[])
        for sobject in OBJECTS:
            fields = self._fields(sobject)
            if fields is None:
                fetched.notes.append(f"salesforce: the org has no {sobject.name}, not read")
                continue
            fetched.objects.append(self._read(sobject, fields, since))
        fetched.calls = self.calls
        return fetched

    def _fields(self, sobject: SObject) -> tuple[str, ...] | None:
        """The object's fields the org has (describe); None when it has not the object."""
        try:
            described = self._call(self.client.restful, f"sobjects/{sobject.name}/describe/")
        except SalesforceResourceNotFound:
            return None
        names = {entry["name"] for entry in described["fields"]}
        return tuple(name for name in sobject.fields if name in names)

    def _read(
        self, sobject: SObject, fields: tuple[str, ...], since: datetime | None
    ) -> ObjectRecords:
        incremental = since is not None and sobject.since is not None
        conditions = [sobject.where] if sobject.where else []
        if since is not None and sobject.since is not None:
            conditions.append(f"{sobject.since} > {_soql_time(since)}")
        soql = _soql(sobject.name, fields, conditions)
        bulk = not incremental and sobject.name in self.settings.bulk_objects
        rows = self._bulk(sobject.name, soql) if bulk else self._query(soql)
        records = ObjectRecords(
            sobject.name,
            "Id",
            rows,
            complete=not incremental,
            parent=sobject.parent,
            columns=fields,
        )
        if since is not None and incremental and sobject.deletable:
            gone = ["IsDeleted = true", f"SystemModstamp > {_soql_time(since)}"]
            deleted = self._query(_soql(sobject.name, ("Id",), gone), include_deleted=True)
            records.deleted = {row["Id"] for row in deleted}
        return records

    def _bulk(self, name: str, soql: str) -> list[dict[str, str]]:
        """Every record through a Bulk API 2.0 query job: create it, wait for it, read its CSV
        results page after page (`Sforce-Locator`). Retried whole when refused."""
        job = getattr(self.client.bulk2, name)
        wait = self.settings.bulk_poll_seconds
        pages = self._call(lambda: list(job.query(soql, max_records=BULK_PAGE, wait=wait)))
        return [row for page in pages for row in csv.DictReader(io.StringIO(page))]

    def _query(self, soql: str, include_deleted: bool = False) -> list[dict[str, str]]:
        """Every record the query returns, page after page (`nextRecordsUrl`)."""
        page = self._call(self.client.query, soql, include_deleted=include_deleted)
        rows = [_row(record) for record in page["records"]]
        while not page["done"]:
            page = self._call(
                self.client.query_more, page["nextRecordsUrl"], identifier_is_url=True
            )
            rows.extend(_row(record) for record in page["records"])
        return rows

    def _call(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One API request; retried with a growing wait while the org refuses it with
        REQUEST_LIMIT_EXCEEDED, and stopped once the org's daily requests reach the share
        `max_api_share` of its limit (Sforce-Limit-Info)."""
        for attempt in range(self.settings.retries + 1):
            try:
                result = call(*args, **kwargs)
            except SalesforceRefusedRequest as error:
                if not _limit_exceeded(error) or attempt == self.settings.retries:
                    raise SyncError(f"salesforce refused a request: {_message(error)}") from error
                self.sleep(self.settings.backoff_seconds * 2**attempt)
                continue
            except SalesforceResourceNotFound:
                raise
            except SalesforceError as error:
                raise SyncError(f"salesforce answered {error.status}: {_message(error)}") from error
            except requests.RequestException as error:
                raise SyncError(f"salesforce cannot be reached: {error}") from error
            self._check_usage()
            return result
        raise AssertionError("unreachable")

    def _check_usage(self) -> None:
        usage = self.client.api_usage.get("api-usage")
        if usage is None:
            return
        used, total = usage.used, usage.total
        if total and used >= total * self.settings.max_api_share:
            raise SyncError(
                f"salesforce: the org has used {used:,} of its {total:,} daily API requests, "
                f"past sync.salesforce.max_api_share ({self.settings.max_api_share:.0%}); the "
                "sync stopped and changed nothing. Try again tomorrow, or raise the share."
            )


def _soql(name: str, fields: tuple[str, ...], conditions: list[str]) -> str:
    soql = f"SELECT {', '.join(fields)} FROM {name}"
    return soql + (f" WHERE {' AND '.join(conditions)}" if conditions else "")


def _soql_time(moment: datetime) -> str:
    """A SOQL dateTime literal (UTC, unquoted)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(record: dict[str, Any]) -> dict[str, str]:
    """A record as a Data Export writes it: text, empty for null, true/false for booleans."""
    return {name: _text(value) for name, value in record.items() if name != "attributes"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _limit_exceeded(error: SalesforceError) -> bool:
    content = error.content
    errors = content if isinstance(content, list) else [content]
    return any(
        isinstance(entry, dict) and entry.get("errorCode") == "REQUEST_LIMIT_EXCEEDED"
        for entry in errors
    )


def _message(error: SalesforceError) -> str:
    content = error.content
    first = content[0] if isinstance(content, list) and content else content
    if isinstance(first, dict):
        return f"{first.get('errorCode', '')} {first.get('message', '')}".strip()
    return str(first)[:200]
