"""HubSpot through its CRM API (hubspot-api-client): companies, contacts and deals.

Each record is written under its properties' internal names, with values as HubSpot's export
writes them: owners by name (from the owners API), deal stages and pipelines by label (from
the pipelines API), associated companies and contacts as `;`-separated ids, primary company
first; each deal's stage history from its `dealstage` property history. The `hubspot` preset
knows both a property's export label and its internal name (API_NAMES there), so it reads the
snapshot as it reads an export.

A full sync lists every object (CRM v3, `paging.next.after`); an incremental one finds the
records changed since the cursor with the search API (`hs_lastmodifieddate`, for contacts
`lastmodifieddate`) and the ones archived since (`archived=true`), which are deletions. A 429
answer is retried after its `Retry-After` (and 502-504 after a growing wait) by the client's
own urllib3 retry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hubspot import HubSpot  # type: ignore[import-untyped]
from hubspot.crm.associations.v4.models import (  # type: ignore[import-untyped]
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects.models import (  # type: ignore[import-untyped]
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectId,
)
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from attain.errors import ConfigError
from attain.ingest.connectors import SyncError
from attain.ingest.connectors.settings import SECRET_VARIABLES, HubSpotSync
from attain.ingest.connectors.snapshot import ObjectRecords
from attain.ingest.connectors.sync import Fetched
from attain.ingest.presets.hubspot import HISTORY

PAGE = 100
"""Records per page: the most the list and search endpoints return."""

BATCH = 1000
"""Records per association batch read."""

HISTORY_BATCH = 50
"""Deals per batch read of their stage history (HubSpot's most with property history)."""

SEARCH_LIMIT = 10_000
"""The most results the search API pages through for one query; past it, a sync reads the
object whole instead."""

PRIMARY_COMPANY = 5
"""The HUBSPOT_DEFINED association type of a deal's primary company."""


@dataclass(frozen=True)
class HubObject:
    """One object type read, and how."""

    kind: str
    """The object type, and the snapshot file the preset reads (`deals.csv`)."""
    properties: tuple[str, ...]
    modified: str
    """The property the search API filters an incremental sync on."""
    associations: tuple[str, ...] = ()
    file: str = ""
    """The snapshot file, when not named after the object type."""


def _engagement(kind: str, *properties: str) -> HubObject:
    """Calls, e-mails, meetings or tasks: owner and dates, with their deal and contact (lead),
    written to `engagements_<kind>.csv` (attain.ingest.presets.hubspot.ENGAGEMENTS)."""
    common = ("hs_timestamp", "hubspot_owner_id", "hs_createdate")
    return HubObject(
        kind,
        (*common, *properties),
        "hs_lastmodifieddate",
        ("deals", "contacts"),
        file=f"engagements_{kind}",
    )


OBJECTS = (
    HubObject(
        "companies",
        (
            "name",
            "domain",
            "website",
            "industry",
            "numberofemployees",
            "annualrevenue",
            "country",
            "hubspot_owner_id",
            "createdate",
        ),
        "hs_lastmodifieddate",
    ),
    HubObject(
        "contacts",
        (
            "email",
            "createdate",
            "hubspot_owner_id",
            "hs_lead_status",
            "lifecyclestage",
            "industry",
            "numemployees",
            "country",
            "jobtitle",
            "company",
            "hs_analytics_source",
            "hs_lifecyclestage_marketingqualifiedlead_date",
            "hs_lifecyclestage_salesqualifiedlead_date",
            "hs_lifecyclestage_opportunity_date",
        ),
        "lastmodifieddate",
    ),
    HubObject(
        "deals",
        (
            "dealname",
            "dealstage",
            "pipeline",
            "amount",
            "closedate",
            "createdate",
            "hubspot_owner_id",
            "closed_lost_reason",
            "deal_currency_code",
            "hs_deal_stage_probability",
            "hs_manual_forecast_category",
            "hs_analytics_source",
        ),
        "hs_lastmodifieddate",
        ("companies", "contacts"),
    ),
    _engagement("calls"),
    _engagement("emails"),
    _engagement("meetings", "hs_meeting_start_time"),
    _engagement("tasks", "hs_task_status", "hs_task_type", "hs_task_completion_date"),
)
"""What a sync reads; the properties are those the `hubspot` preset maps (docs/presets.md)."""

ASSOCIATED = {
    "companies": "Associated Company IDs",
    "contacts": "Associated Contact IDs",
    "deals": "Associated Deal IDs",
}
"""The export's column for each association read (its ids, `;`-separated)."""


def sign_in(settings: HubSpotSync) -> HubSpot:
    """A client with the private app's token from the environment, retrying 429 and 502-504."""
    variable = SECRET_VARIABLES["hubspot_token"]
    token = os.environ.get(variable)
    if not token:
        raise ConfigError(f"set {variable} in the environment (Attain never stores it)")
    retry = Retry(
        total=settings.retries,
        status_forcelist=(429, 502, 503, 504),
        allowed_methods=None,  # search and association reads are POSTs that only read
        backoff_factor=1.0,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    return HubSpot(access_token=token, retry=retry, host=settings.host)


class HubSpotConnector:
    """Reads the OBJECTS of one portal."""

    name = "hubspot"
    preset = "hubspot"

    def __init__(self, client: HubSpot) -> None:
        self.client = client
        self.calls = 0

    def fetch(self, since: datetime | None) -> Fetched:
        """Every object: all its records, or those changed and archived since."""
        self.calls = 0
        owners = self._owners()
        stages, pipelines = self._pipelines()
        render = _Renderer(owners, stages, pipelines)
        fetched = Fetched(objects=[])
        for hub_object in OBJECTS:
            records = self._read(hub_object, since, render)
            fetched.objects.append(records)
            if hub_object.kind == "deals":
                fetched.objects.append(self._stage_history(records, render))
        fetched.calls = self.calls
        return fetched

    def _read(
        self, hub_object: HubObject, since: datetime | None, render: _Renderer
    ) -> ObjectRecords:
        found = None
        if since is not None:
            try:
                found = list(self._search(hub_object, since))
            except _TooManyChanges:
                since = None  # more changes than search pages through: read the object whole
        if found is None:
            found = list(self._list(hub_object.kind, list(hub_object.properties)))
        ids = [record.id for record in found]
        linked = {
            kind: self._associations(hub_object.kind, kind, ids) for kind in hub_object.associations
        }
        rows = [render.row(record.id, record.properties, linked) for record in found]
        columns = ("hs_object_id", *hub_object.properties, *(ASSOCIATED[k] for k in linked))
        name = hub_object.file or hub_object.kind
        links = tuple((ASSOCIATED[kind], kind) for kind in hub_object.associations)
        records = ObjectRecords(
            name, "hs_object_id", rows, since is None, columns=columns, links=links
        )
        if since is not None:
            archived = self._list(hub_object.kind, ["hs_object_id"], archived=True)
            records.deleted = {
                r.id for r in archived if r.archived_at and _utc(r.archived_at) >= since
            }
        return records

    def _list(self, kind: str, properties: list[str], archived: bool = False) -> Iterator[Any]:
        """Every record of `kind` (CRM v3 list), page after page."""
        after = None
        while True:
            page = self._call(
                self.client.crm.objects.basic_api.get_page,
                kind,
                limit=PAGE,
                after=after,
                properties=properties,
                archived=archived,
            )
            yield from page.results
            if page.paging is None or page.paging.next is None:
                return
            after = page.paging.next.after

    def _search(self, hub_object: HubObject, since: datetime) -> Iterator[Any]:
        """The records modified since `since` (search API), page after page."""
        moment = str(int(since.replace(tzinfo=UTC).timestamp() * 1000))
        changed = Filter(property_name=hub_object.modified, operator="GTE", value=moment)
        after = None
        while True:
            request = PublicObjectSearchRequest(
                filter_groups=[FilterGroup(filters=[changed])],
                properties=list(hub_object.properties),
                limit=PAGE,
                after=after,
            )
            page = self._call(
                self.client.crm.objects.search_api.do_search, hub_object.kind, request
            )
            if page.total > SEARCH_LIMIT:
                raise _TooManyChanges
            yield from page.results
            if page.paging is None or page.paging.next is None:
                return
            after = page.paging.next.after

    def _stage_history(self, deals: ObjectRecords, render: _Renderer) -> ObjectRecords:
        """Each deal read's stage changes: its `dealstage` property history (batch read with
        `propertiesWithHistory`), the stage by label, one row per value set."""
        ids = [row["hs_object_id"] for row in deals.rows]
        rows = []
        for start in range(0, len(ids), HISTORY_BATCH):
            request = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in ids[start : start + HISTORY_BATCH]],
                properties=[],
                properties_with_history=["dealstage"],
            )
            answer = self._call(self.client.crm.objects.batch_api.read, "deals", request)
            for deal in answer.results:
                for change in (deal.properties_with_history or {}).get("dealstage", []):
                    at = _utc(change.timestamp).isoformat()
                    stage = render.stages.get(change.value, change.value)
                    rows.append(
                        {"Entry ID": f"{deal.id}@{at}", "Record ID": str(deal.id)}
                        | {"Deal Stage": stage, "Entered At": at}
                    )
        columns = ("Entry ID", "Record ID", "Deal Stage", "Entered At")
        parent = ("deals", "Record ID")
        return ObjectRecords(
            HISTORY, "Entry ID", rows, deals.complete, parent=parent, columns=columns
        )

    def _associations(self, kind: str, to: str, ids: list[str]) -> dict[str, list[str]]:
        """The ids of `to` records each record of `kind` is associated with, primary first."""
        linked: dict[str, list[str]] = {}
        for start in range(0, len(ids), BATCH):
            inputs = [PublicFetchAssociationsBatchRequest(id=i) for i in ids[start : start + BATCH]]
            answer = self._call(
                self.client.crm.associations.v4.batch_api.get_page,
                kind,
                to,
                BatchInputPublicFetchAssociationsBatchRequest(inputs=inputs),
            )
            for result in answer.results:
                ordered = sorted(result.to, key=lambda target: not _primary(target))
                linked[str(result._from.id)] = [str(target.to_object_id) for target in ordered]
        return linked

    def _owners(self) -> dict[str, str]:
        """Each owner id's name as the export writes it: first and last name, else e-mail."""
        owners: dict[str, str] = {}
        for archived in (False, True):
            after = None
            while True:
                page = self._call(
                    self.client.crm.owners.owners_api.get_page,
                    limit=PAGE,
                    after=after,
                    archived=archived,
                )
                for owner in page.results:
                    name = " ".join(p for p in (owner.first_name, owner.last_name) if p)
                    owners[str(owner.id)] = name or owner.email or str(owner.id)
                if page.paging is None or page.paging.next is None:
                    break
                after = page.paging.next.after
        return owners

    def _pipelines(self) -> tuple[dict[str, str], dict[str, str]]:
        """Deal stage labels and pipeline labels by id."""
        answer = self._call(self.client.crm.pipelines.pipelines_api.get_all, "deals")
        stages = {stage.id: stage.label for p in answer.results for stage in p.stages}
        return stages, {p.id: p.label for p in answer.results}

    def _call(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One API request (the client retries 429 and 502-504 itself)."""
        self.calls += 1
        try:
            return call(*args, **kwargs)
        except HTTPError as error:
            raise SyncError(f"hubspot cannot be reached: {error}") from error
        except Exception as error:
            status = getattr(error, "status", None)
            if status is None:
                raise
            body = str(getattr(error, "body", "") or getattr(error, "reason", ""))[:200]
            raise SyncError(f"hubspot answered {status}: {body}") from error


class _TooManyChanges(Exception):
    """More records changed than the search API can return (SEARCH_LIMIT)."""


@dataclass(frozen=True)
class _Renderer:
    """Writes a record's values as HubSpot's export does."""

    owners: dict[str, str]
    stages: dict[str, str]
    pipelines: dict[str, str]

    def row(
        self, record_id: str, properties: dict[str, Any], linked: dict[str, dict[str, list[str]]]
    ) -> dict[str, str]:
        row = {"hs_object_id": str(record_id)}
        for name, value in properties.items():
            if name in ("hs_object_id", "hs_lastmodifieddate", "lastmodifieddate"):
                continue
            row[name] = self._value(name, "" if value is None else str(value))
        for kind, by_record in linked.items():
            row[ASSOCIATED[kind]] = ";".join(by_record.get(str(record_id), []))
        return row

    def _value(self, name: str, value: str) -> str:
        lookup = {"hubspot_owner_id": self.owners, "dealstage": self.stages}
        if name in lookup:
            return lookup[name].get(value, value)
        if name == "pipeline":
            return self.pipelines.get(value, value)
        return value


def _primary(target: Any) -> bool:
    return any(
        kind.type_id == PRIMARY_COMPANY or (kind.label or "").lower() == "primary"
        for kind in target.association_types
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
