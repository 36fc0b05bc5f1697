"""Salesforce's Data Export layout: one CSV per object (User.csv, Opportunity.csv, ...).

Columns are API field names. Objects that are missing are skipped with a note; see
docs/presets.md for how each field maps and why. `people` makes reps and teams from users,
`records` the CRM records (accounts to activities), `money` quotas and exchange rates; `fields`
reads values the way Salesforce writes them (empty ids, 1/0 flags, deleted rows).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.presets.exports import match_files, optional, stage
from attain.ingest.presets.salesforce import money, people, records
from attain.ingest.presets.salesforce.fields import not_deleted, scalar
from attain.ingest.readers import RawFile, ReadOptions
from attain.ingest.sources import Plan

OBJECTS = {
    "User": ("Id",),
    "UserRole": ("Id", "Name"),
    "Account": ("Id", "Name"),
    "Product2": ("Id", "Name"),
    "Campaign": ("Id", "Name"),
    "Lead": ("Id", "CreatedDate"),
    "CampaignMember": ("CampaignId", "LeadId"),
    "Opportunity": ("Id", "OwnerId", "StageName", "CreatedDate", "IsClosed", "IsWon"),
    "OpportunityHistory": ("OpportunityId", "StageName", "CreatedDate"),
    "OpportunityFieldHistory": ("OpportunityId", "Field", "NewValue", "CreatedDate"),
    "OpportunityLineItem": ("OpportunityId", "Product2Id"),
    "Task": ("Id", "OwnerId", "CreatedDate"),
    "Event": ("Id", "OwnerId", "CreatedDate"),
    "ForecastingQuota": ("QuotaOwnerId", "StartDate", "QuotaAmount"),
    "CurrencyType": ("IsoCode", "ConversionRate"),
    "DatedConversionRate": ("IsoCode", "ConversionRate", "StartDate"),
}
"""Objects read, with the fields each file must have."""


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """A Source per canonical table that the export's object files can fill."""
    found, unmatched = match_files(
        paths, [name.lower() for name in OBJECTS], lambda kind, stem: kind == stem
    )
    if not found:
        raise InputError(
            f"{', '.join(map(str, paths))}: no Salesforce object file found; expected "
            f"{', '.join(f'{name}.csv' for name in OBJECTS)}"
        )
    raw = {
        name: stage(con, found[name.lower()], required, options)
        for name, required in OBJECTS.items()
        if name.lower() in found
    }
    plan = Plan(sources=[], notes=_deleted_notes(con, raw))
    if "User" in raw:
        plan.sources.extend(people.reps_from_users(con, raw, plan.notes))
    else:
        plan.sources.extend(people.reps_from_owners(con, raw, plan.notes))
    if "Account" in raw:
        plan.sources.append(records.accounts_source(raw["Account"]))
    if "Product2" in raw:
        plan.sources.append(records.products_source(raw["Product2"]))
    if "Lead" in raw:
        campaigns = records.lead_campaigns(con, raw, plan.notes)
        plan.sources.append(records.leads_source(raw["Lead"], campaigns))
    if "Opportunity" in raw:
        plan.sources.append(
            records.opportunities_source(
                raw["Opportunity"], raw.get("Lead"), raw.get("OpportunityLineItem")
            )
        )
        if "OpportunityLineItem" in raw:
            plan.notes.append(records.line_item_note(con, raw["OpportunityLineItem"]))
    plan.sources.extend(records.stage_sources(con, raw, plan.notes))
    if "Task" in raw:
        plan.sources.append(records.tasks_source(raw["Task"]))
    if "Event" in raw:
        plan.sources.append(records.events_source(raw["Event"]))
    if "ForecastingQuota" in raw:
        plan.sources.append(money.quotas_source(con, raw["ForecastingQuota"], plan.notes))
    plan.sources.extend(
        money.rate_sources(con, raw.get("CurrencyType"), raw.get("DatedConversionRate"), plan.notes)
    )
    plan.notes.extend(_unused_notes(raw))
    missing = _missing_note(raw)
    if missing:
        plan.notes.append(missing)
    if unmatched:
        plan.notes.append(
            f"salesforce: ignored {len(unmatched)} other file(s): {', '.join(unmatched)}"
        )
    return plan


def _deleted_notes(con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile]) -> list[str]:
    """A note per file with IsDeleted rows (recycle-bin records), which are skipped."""
    notes = []
    for source in raw.values():
        if optional(source, "IsDeleted") is None:
            continue
        deleted = scalar(
            con, f"SELECT count(*) FROM {source.relation} WHERE NOT ({not_deleted(source)})"
        )
        if deleted:
            notes.append(
                f"salesforce: {source.path.name}: {deleted} deleted row(s) (IsDeleted) skipped"
            )
    return notes


def _unused_notes(raw: dict[str, RawFile]) -> list[str]:
    """Files read that nothing could use, because the file they serve is missing."""
    needs = {
        "Campaign": "CampaignMember",
        "CampaignMember": "Lead",
        "OpportunityLineItem": "Opportunity",
        "UserRole": "User",
    }
    return [
        f"salesforce: {name}.csv not used without {needed}.csv"
        for name, needed in needs.items()
        if name in raw and needed not in raw
    ]


def _missing_note(raw: dict[str, RawFile]) -> str | None:
    """The objects not in the export; stage history needs only one of its two objects."""
    history, field_history = "OpportunityHistory", "OpportunityFieldHistory"
    missing = []
    for name in OBJECTS:
        if name in raw or name == field_history:
            continue
        if name != history:
            missing.append(f"{name}.csv")
        elif field_history not in raw:
            missing.append(f"{history}.csv (or {field_history}.csv)")
    return f"salesforce: not in the export, skipped: {', '.join(missing)}" if missing else None
