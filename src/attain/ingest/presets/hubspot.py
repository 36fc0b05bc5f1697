"""HubSpot CRM exports: contacts, companies and deals CSVs with display-name headers.

Owners appear by name, so reps are built from the distinct owners (id = name slug).
See docs/presets.md for every mapping decision.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.presets.exports import (
    column,
    date,
    derived,
    fields,
    match_files,
    not_before,
    optional,
    slug,
    stage,
    text,
    timestamp,
    value,
)
from attain.ingest.readers import ROW, RawFile, ReadOptions
from attain.ingest.sources import Plan, Source, mapped_source

KINDS = ("contacts", "companies", "deals")
RECORD_ID = {"contacts": "Contact ID", "companies": "Company ID", "deals": "Deal ID"}
"""Older exports name the id column after the object instead of 'Record ID'."""

LEAD_STATUSES = {
    "new": "new",
    "open": "new",
    "in_progress": "working",
    "attempted_to_contact": "working",
    "connected": "working",
    "bad_timing": "nurturing",
    "open_deal": "converted",
    "unqualified": "disqualified",
}
"""HubSpot's default lead statuses (internal names; labels slug to them); others are kept."""

LIFECYCLE_STATUSES = {
    "subscriber": "new",
    "lead": "new",
    "marketingqualifiedlead": "qualified",
    "salesqualifiedlead": "qualified",
    "opportunity": "converted",
    "customer": "converted",
    "evangelist": "converted",
}
"""Lead status implied by the lifecycle stage, used where Lead Status is empty."""

WON, LOST = "closedwon", "closedlost"
"""Default pipeline's closed stages, as internal names or labels without spaces."""


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """Reps (from owners), accounts, leads and opportunities from whichever exports are given."""
    found, unmatched = match_files(paths, KINDS, lambda kind, stem: kind in stem)
    if not found:
        raise InputError(
            f"{', '.join(map(str, paths))}: no HubSpot export found; expected file names "
            "containing contacts, companies or deals"
        )
    contacts = _stage(con, found, "contacts", ("Create Date",), options)
    companies = _stage(con, found, "companies", (), options)
    deals = _stage(con, found, "deals", ("Deal Stage", "Deal owner"), options)
    plan = Plan(sources=[])
    owners = _owners(con, contacts, deals)
    plan.sources.extend(
        mapped_source(raw, "reps", {"rep_id": "rep_id", "name": "owner", "role": "'rep'"})
        for raw in owners
    )
    if companies is not None:
        plan.sources.append(_accounts(companies))
    if contacts is not None:
        plan.sources.append(_leads(contacts))
    if deals is not None:
        plan.sources.append(_opportunities(deals))
    missing = [kind for kind in KINDS if kind not in found]
    if missing:
        plan.notes.append(f"hubspot: no {', '.join(missing)} export given, skipped")
    if unmatched:
        plan.notes.append(f"hubspot: ignored {', '.join(unmatched)}")
    plan.notes.append("hubspot: no stage history, activities or quotas in these exports")
    return plan


def _stage(
    con: duckdb.DuckDBPyConnection,
    found: dict[str, Path],
    kind: str,
    required: tuple[str, ...],
    options: ReadOptions,
) -> RawFile | None:
    if kind not in found:
        return None
    raw = stage(con, found[kind], required, options)
    column(raw, "Record ID", RECORD_ID[kind])
    return raw


def _record_id(raw: RawFile, kind: str) -> str:
    return text(column(raw, "Record ID", RECORD_ID[kind]))


def _owners(
    con: duckdb.DuckDBPyConnection, contacts: RawFile | None, deals: RawFile | None
) -> list[RawFile]:
    """One row per distinct owner slug: contact owners, then deal owners not among them."""
    owned = [
        (raw, text(found))
        for raw, name in ((contacts, "Contact owner"), (deals, "Deal owner"))
        if raw is not None and (found := optional(raw, name)) is not None
    ]
    result: list[RawFile] = []
    seen = "SELECT ''"
    for raw, owner in owned:
        result.append(
            derived(
                con,
                raw,
                f"SELECT min({ROW}) AS {ROW}, {slug(owner)} AS rep_id, min({owner}) AS owner "
                f"FROM {raw.relation} WHERE {slug(owner)} NOT IN ({seen}) GROUP BY 2",
            )
        )
        seen += f" UNION ALL SELECT rep_id FROM {result[-1].relation}"
    return result


def _accounts(companies: RawFile) -> Source:
    return mapped_source(
        companies,
        "accounts",
        {
            "account_id": _record_id(companies, "companies"),
            "name": text(column(companies, "Company name", "Name")),
            **fields(
                companies,
                {
                    "industry": "Industry",
                    "employees": "Number of Employees",
                    "annual_revenue": "Annual Revenue",
                    "country": "Country/Region",
                },
            ),
        },
    )


def _leads(contacts: RawFile) -> Source:
    """Every contact is a lead; status from Lead Status, else from the lifecycle stage."""
    status = value(contacts, "Lead Status")
    lifecycle = slug(value(contacts, "Lifecycle Stage"), "")
    expressions = {
        "lead_id": _record_id(contacts, "contacts"),
        "created_at": timestamp(column(contacts, "Create Date")),
        "status": f"CASE {slug(status, '_')} "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LEAD_STATUSES.items())
        + f" ELSE coalesce({status}, CASE {lifecycle} "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LIFECYCLE_STATUSES.items())
        + " END) END",
        **fields(
            contacts,
            {
                "company": "Company Name",
                "industry": "Industry",
                "employees": "Number of Employees",
                "country": "Country/Region",
                "title": "Job Title",
                "campaign": "First Touch Converting Campaign",
            },
        ),
    }
    for canonical, name in (
        ("source", "Original Source"),
        ("owner_rep_id", "Contact owner"),
    ):
        if optional(contacts, name) is not None:
            separator = "_" if canonical == "source" else "-"
            expressions[canonical] = slug(value(contacts, name), separator)
    for canonical, name in (
        ("mql_at", "Became a Marketing Qualified Lead Date"),
        ("sql_at", "Became a Sales Qualified Lead Date"),
        ("converted_at", "Became an Opportunity Date"),
    ):
        if optional(contacts, name) is not None:
            expressions[canonical] = timestamp(value(contacts, name))
    return mapped_source(contacts, "leads", expressions)


def _opportunities(deals: RawFile) -> Source:
    """Deals; closed (with closed_at and is_won) only in the closedwon and closedlost stages."""
    stage_name = text(column(deals, "Deal Stage"))
    closed = f"{slug(stage_name, '')} IN ('{WON}', '{LOST}')"
    created = timestamp(value(deals, "Create Date"))
    close_date = timestamp(value(deals, "Close Date"))
    company = optional(
        deals, "Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company ID"
    )
    expressions = {
        "opportunity_id": _record_id(deals, "deals"),
        "owner_rep_id": slug(column(deals, "Deal owner")),
        "stage": stage_name,
        "closed_at": f"CASE WHEN {closed} THEN {not_before(close_date, created)} END",
        "is_won": f"CASE WHEN {closed} THEN CAST({slug(stage_name, '')} = '{WON}' AS VARCHAR) END",
        **fields(deals, {"amount": "Amount", "loss_reason": "Closed Lost Reason"}),
    }
    if optional(deals, "Create Date") is not None:
        expressions["created_at"] = created
    if optional(deals, "Close Date") is not None:
        expressions["expected_close_date"] = date(close_date)
    if company is not None:
        expressions["account_id"] = text(f"split_part({company}, ';', 1)")
    return mapped_source(deals, "opportunities", expressions)
