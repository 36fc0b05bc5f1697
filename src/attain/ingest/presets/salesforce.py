"""Salesforce's Data Export layout: one CSV per object (User.csv, Opportunity.csv, ...).

Columns are API field names. Objects that are missing are skipped with a note; see
docs/presets.md for how each field maps and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.presets.exports import (
    boolean,
    column,
    date,
    derived,
    match_files,
    not_before,
    optional,
    stage,
    text,
    timestamp,
)
from attain.ingest.readers import ROW, RawFile, ReadOptions
from attain.ingest.sources import Plan, Source, mapped_source

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

EMPTY_ID = "0{15}([A-Z]{3})?"
"""Salesforce's empty reference (`000000000000000AAA`, or 15 zeros), written for blank lookups."""

QUEUE_PREFIX = "00G"
OPPORTUNITY_PREFIX = "006"
LEAD_PREFIX = "00Q"
"""Salesforce id prefixes: owners that are queues, and what a task's WhatId/WhoId points at."""

LEAD_STATUSES = {
    "open - not contacted": "new",
    "working - contacted": "working",
    "closed - converted": "converted",
    "closed - not converted": "disqualified",
}
"""Salesforce's default lead statuses; other values are kept, so the schema judges them."""

FORECAST_CATEGORIES = {
    "pipeline": "pipeline",
    "bestcase": "best_case",
    "commit": "commit",
    "closed": "closed",
    "omitted": "omitted",
}
"""ForecastCategoryName labels and ForecastCategory values, lower-cased without spaces."""

SELLER_USER_TYPE = "standard"
"""The UserType of internal, fully licensed users. Every other type (AutomatedProcess,
CsnOnly for Chatter Free, PowerPartner, PowerCustomerSuccess, CspLitePortal, Guest, ...)
is a system, portal or community user, never a seller."""

SYSTEM_USER_NAMES = (
    "integration user",
    "automated process",
    "security user",
    "chatter expert",
    "data.com clean",
)
"""Users Salesforce creates for its own features, some of them with UserType Standard
(Integration User, Platform Integration User, Security User); matched within the name."""

EARLIEST_RATE = "1900-01-01"
"""Start date of an undated CurrencyType rate, and the floor for Salesforce's first dated rate
(which starts on 0001-01-01, a day pandas cannot hold)."""


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
        plan.sources.extend(_users(con, raw, plan.notes))
    else:
        plan.sources.extend(_owner_reps(con, raw, plan.notes))
    if "Account" in raw:
        plan.sources.append(_accounts(raw["Account"]))
    if "Product2" in raw:
        plan.sources.append(_products(raw["Product2"]))
    if "Lead" in raw:
        campaigns = _lead_campaigns(con, raw, plan.notes)
        plan.sources.append(_leads(raw["Lead"], campaigns))
    if "Opportunity" in raw:
        plan.sources.append(
            _opportunities(raw["Opportunity"], raw.get("Lead"), raw.get("OpportunityLineItem"))
        )
        if "OpportunityLineItem" in raw:
            plan.notes.append(_line_item_note(con, raw["OpportunityLineItem"]))
    plan.sources.extend(_stage_history(con, raw, plan.notes))
    if "Task" in raw:
        plan.sources.append(_tasks(raw["Task"]))
    if "Event" in raw:
        plan.sources.append(_events(raw["Event"]))
    if "ForecastingQuota" in raw:
        plan.sources.append(_quotas(con, raw["ForecastingQuota"], plan.notes))
    plan.sources.extend(
        _rates(con, raw.get("CurrencyType"), raw.get("DatedConversionRate"), plan.notes)
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


# --- Field values -------------------------------------------------------------------------


def _field(quoted: str, name: str) -> str:
    """SQL: a field's trimmed text; an id field (API name ending in Id) holding the empty id is
    empty too, so a blank ManagerId or AccountId never points at a record that cannot exist."""
    value = text(quoted)
    if not name.endswith("Id"):
        return value
    return f"CASE WHEN regexp_full_match({value}, '{EMPTY_ID}') THEN NULL ELSE {value} END"


def _value(raw: RawFile, name: str, alias: str = "") -> str:
    """SQL: the field `name` (see `_field`), NULL if the file lacks it; `alias` qualifies it."""
    found = optional(raw, name)
    return "NULL" if found is None else _field(alias + found, name)


def _required(raw: RawFile, name: str, alias: str = "") -> str:
    """SQL: the field `name` (see `_field`); InputError naming it if the file lacks it."""
    return _field(alias + column(raw, name), name)


def _fields(raw: RawFile, mapping: Mapping[str, str]) -> dict[str, str]:
    """Canonical column -> SQL for each `{canonical: field}` pair the file has; others absent."""
    return {
        canonical: _value(raw, name)
        for canonical, name in mapping.items()
        if optional(raw, name) is not None
    }


def _is_true(raw: RawFile, name: str, alias: str = "") -> str:
    """SQL condition: a boolean field is true (the export writes true/false or 1/0)."""
    return f"{boolean(_value(raw, name, alias))} = 'true'"


def _not_deleted(raw: RawFile, alias: str = "") -> str:
    """SQL filter dropping rows the export marks IsDeleted (recycle-bin records)."""
    if optional(raw, "IsDeleted") is None:
        return "true"
    return f"{boolean(_value(raw, 'IsDeleted', alias))} IS DISTINCT FROM 'true'"


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


# --- Reps and teams -----------------------------------------------------------------------


def _users(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> list[Source]:
    """Reps from users, with a role from what they own (see docs/presets.md), and their teams.

    A user's team is their manager's (`ManagerId`, when the manager is in the export), else their
    role's (`UserRoleId`, when UserRole.csv is given).
    """
    users = raw["User"]
    this = users.relation
    user_id = _required(users, "Id")
    live = _not_deleted(users)
    known = f"(SELECT {user_id} FROM {this} WHERE {live})"
    manager_id = _value(users, "ManagerId")
    managed_by = f"CASE WHEN {manager_id} IN {known} THEN {manager_id} END"
    managers = f"(SELECT {managed_by} FROM {this} WHERE {live})"
    name = (
        f"coalesce({_value(users, 'Name')}, NULLIF(TRIM(concat_ws(' ', "
        f"{_value(users, 'FirstName')}, {_value(users, 'LastName')})), ''), {user_id})"
    )
    roles = raw.get("UserRole")
    role_team = "NULL"
    if roles is not None and optional(users, "UserRoleId") is not None:
        role_ids = (
            f"(SELECT {_required(roles, 'Id')} FROM {roles.relation} WHERE {_not_deleted(roles)})"
        )
        role_id = _value(users, "UserRoleId")
        role_team = f"CASE WHEN {role_id} IN {role_ids} THEN {role_id} END"
    team = f"coalesce({managed_by}, {role_team})"
    owned = _ownership(con, raw)
    hired = date(_value(users, "CreatedDate"))
    columns = {
        "rep_id": user_id,
        "name": name,
        "role": _role(users, name, user_id, managers, "Opportunity" in raw),
        "team_id": team,
        **_fields(users, {"email": "Email"}),
    }
    if optional(users, "CreatedDate") is not None:
        columns["hire_date"] = hired
    if optional(users, "IsActive") is not None:
        columns["end_date"] = (
            f"CASE WHEN coalesce({boolean(_value(users, 'IsActive'))}, 'false') = 'false' "
            "AND o.last_day IS NOT NULL THEN strftime("
            f"greatest(o.last_day, TRY_CAST({hired} AS DATE)), '%Y-%m-%d') END"
        )
    selects = ", ".join(f"{sql} AS {canonical}" for canonical, sql in columns.items())
    reps = _listed(
        derived(
            con,
            users,
            f"SELECT {this}.{ROW}, {selects} FROM {this} LEFT JOIN ({owned}) o "
            f"ON o.owner_id = {user_id} WHERE {live}",
        )
    )
    teams = _manager_teams(con, users, name, user_id, managers, live)
    if roles is not None:
        teams.extend(_role_teams(con, roles, reps, notes))
    return [*teams, mapped_source(reps, "reps", {column: column for column in columns})]


def _role(users: RawFile, name: str, user_id: str, managers: str, has_deals: bool) -> str:
    """SQL: the rep role. System and portal users are `other`; a manager is `manager`; a user
    owning a deal sells (`rep`); one owning only leads, tasks or events is an `sdr`; a user
    owning nothing is `other` (a licence, not a seller). Without Opportunity.csv what users own
    is unknown, so every standard user sells."""
    user_type = f"lower(coalesce({_value(users, 'UserType')}, '{SELLER_USER_TYPE}'))"
    system_name = " OR ".join(f"contains(lower({name}), '{words}')" for words in SYSTEM_USER_NAMES)
    sells = "o.deals > 0" if has_deals else "true"
    return (
        f"CASE WHEN {user_type} <> '{SELLER_USER_TYPE}' OR {system_name} THEN 'other' "
        f"WHEN {user_id} IN {managers} THEN 'manager' "
        f"WHEN {sells} THEN 'rep' WHEN o.owner_id IS NOT NULL THEN 'sdr' ELSE 'other' END"
    )


def _ownership(con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile]) -> str:
    """SQL: per owner id, the deals they own and the last day they worked anything they own
    (a deal's creation or close, a task's or event's creation)."""
    parts = ["SELECT NULL::VARCHAR AS owner_id, NULL::VARCHAR AS kind, NULL::VARCHAR AS day"]
    deals = raw.get("Opportunity")
    if deals is not None:
        owner, live = _required(deals, "OwnerId"), _not_deleted(deals)
        closed_on = (
            f"CASE WHEN {_is_true(deals, 'IsClosed')} THEN {date(_value(deals, 'CloseDate'))} END"
        )
        for day in (date(_required(deals, "CreatedDate")), closed_on):
            parts.append(f"SELECT {owner}, 'deal', {day} FROM {deals.relation} WHERE {live}")
    leads = raw.get("Lead")
    if leads is not None and optional(leads, "OwnerId") is not None:
        parts.append(
            f"SELECT {_lead_owner(leads)}, 'lead', NULL FROM {leads.relation} "
            f"WHERE {_not_deleted(leads)}"
        )
    for name in ("Task", "Event"):
        if name in raw:
            activity = raw[name]
            parts.append(
                f"SELECT {_required(activity, 'OwnerId')}, 'activity', "
                f"{date(_required(activity, 'CreatedDate'))} FROM {activity.relation} "
                f"WHERE {_not_deleted(activity)}"
            )
    union = " UNION ALL ".join(parts)
    return (
        "SELECT owner_id, count(*) FILTER (WHERE kind = 'deal') AS deals, "
        f"max(TRY_CAST(day AS DATE)) AS last_day FROM ({union}) WHERE owner_id IS NOT NULL "
        "GROUP BY owner_id"
    )


def _manager_teams(
    con: duckdb.DuckDBPyConnection,
    users: RawFile,
    name: str,
    user_id: str,
    managers: str,
    live: str,
) -> list[Source]:
    """A team per user whom another user's ManagerId names, called `<name>'s team`."""
    teams = derived(
        con,
        users,
        f"SELECT {ROW}, {user_id} AS manager_id, {name} AS manager_name FROM {users.relation} "
        f"WHERE {user_id} IN {managers} AND {live}",
    )
    return [
        mapped_source(
            teams,
            "teams",
            {
                "team_id": "manager_id",
                "name": "manager_name || '''s team'",
                "manager_rep_id": "manager_id",
            },
        )
    ]


def _role_teams(
    con: duckdb.DuckDBPyConnection, roles: RawFile, reps: RawFile, notes: list[str]
) -> list[Source]:
    """A team per role that some user without a manager holds, named after the role."""
    role_id = _required(roles, "Id")
    teams = _listed(
        derived(
            con,
            roles,
            f"SELECT {ROW}, {role_id} AS team_id, {_required(roles, 'Name')} AS name "
            f"FROM {roles.relation} WHERE {_not_deleted(roles)} "
            f"AND {role_id} IN (SELECT team_id FROM {reps.relation})",
        )
    )
    live = _count(con, f"SELECT count(*) FROM {roles.relation} WHERE {_not_deleted(roles)}")
    if live > teams.rows:
        notes.append(
            f"salesforce: {roles.path.name}: {live - teams.rows} role(s) that no user without a "
            "manager holds, not made teams"
        )
    return [mapped_source(teams, "teams", {"team_id": "team_id", "name": "name"})]


def _owner_reps(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> list[Source]:
    """Without User.csv: a rep per owner id of deals, leads, tasks, events and quotas."""
    owners = {
        "Opportunity": "OwnerId",
        "Lead": "OwnerId",
        "Task": "OwnerId",
        "Event": "OwnerId",
        "ForecastingQuota": "QuotaOwnerId",
    }
    made: list[RawFile] = []
    seen = "SELECT ''"
    for name, field in owners.items():
        if name not in raw or optional(raw[name], field) is None:
            continue
        source = raw[name]
        owner = _lead_owner(source) if name == "Lead" else _required(source, field)
        made.append(
            derived(
                con,
                source,
                f"SELECT min({ROW}) AS {ROW}, {owner} AS rep_id FROM {source.relation} "
                f"WHERE {_not_deleted(source)} AND {owner} IS NOT NULL "
                f"AND {owner} NOT IN ({seen}) GROUP BY 2",
            )
        )
        seen += f" UNION ALL SELECT rep_id FROM {made[-1].relation}"
    count = sum(reps.rows for reps in made)
    if count:
        notes.append(f"salesforce: no User.csv: {count} rep(s) made from owner ids, named by id")
    return [
        mapped_source(reps, "reps", {"rep_id": "rep_id", "name": "rep_id", "role": "'rep'"})
        for reps in made
    ]


# --- Accounts, products, leads ------------------------------------------------------------


def _accounts(accounts: RawFile) -> Source:
    return mapped_source(
        accounts,
        "accounts",
        _fields(
            accounts,
            {
                "account_id": "Id",
                "name": "Name",
                "industry": "Industry",
                "employees": "NumberOfEmployees",
                "annual_revenue": "AnnualRevenue",
                "country": "BillingCountry",
            },
        ),
        where=_not_deleted(accounts),
    )


def _products(products: RawFile) -> Source:
    return mapped_source(
        products,
        "products",
        _fields(products, {"product_id": "Id", "name": "Name", "family": "Family"}),
        where=_not_deleted(products),
    )


def _lead_owner(leads: RawFile) -> str:
    """SQL: a lead's owning user; empty when a queue (id starting 00G) owns it."""
    owner = _value(leads, "OwnerId")
    return f"CASE WHEN starts_with({owner}, '{QUEUE_PREFIX}') THEN NULL ELSE {owner} END"


def _lead_campaigns(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> str | None:
    """A table of each lead's first campaign (earliest CampaignMember row), by Campaign name."""
    members = raw.get("CampaignMember")
    if members is None:
        return None
    campaign_id = _required(members, "CampaignId")
    name = campaign_id
    campaigns = raw.get("Campaign")
    if campaigns is not None:
        name = (
            f"coalesce((SELECT min({_required(campaigns, 'Name', 'c.')}) FROM "
            f"{campaigns.relation} c WHERE {_required(campaigns, 'Id', 'c.')} = {campaign_id} "
            f"AND {_not_deleted(campaigns, 'c.')}), {campaign_id})"
        )
    lead_id, live = _required(members, "LeadId"), _not_deleted(members)
    first = f"{members.relation}_first_campaign"
    con.execute(
        f"CREATE TEMP TABLE {first} AS SELECT {lead_id} AS lead_id, "
        f"arg_min({name}, ({timestamp(_value(members, 'CreatedDate'))}, {ROW})) AS campaign "
        f"FROM {members.relation} WHERE {live} AND {lead_id} IS NOT NULL "
        f"AND {campaign_id} IS NOT NULL GROUP BY 1"
    )
    total = _count(con, f"SELECT count(*) FROM {members.relation} WHERE {live}")
    leads = _count(con, f"SELECT count(*) FROM {first}")
    with_lead = _count(
        con,
        f"SELECT count(*) FROM {members.relation} WHERE {live} AND {lead_id} IS NOT NULL "
        f"AND {campaign_id} IS NOT NULL",
    )
    if campaigns is not None:
        named = _count(
            con, f"SELECT count(*) FROM {campaigns.relation} WHERE {_not_deleted(campaigns)}"
        )
        notes.append(
            f"salesforce: {campaigns.path.name}: {named} campaign(s) read for the names of "
            "leads' campaigns; campaigns are not loaded otherwise"
        )
    notes.append(
        f"salesforce: {members.path.name}: {leads} lead(s) take their first campaign from "
        f"{total} row(s); {with_lead - leads} later campaign(s) of a lead and "
        f"{total - with_lead} contact member(s) are not loaded"
    )
    return first


def _leads(leads: RawFile, campaigns: str | None) -> Source:
    status = _value(leads, "Status")
    mapped_status = (
        f"CASE lower({status}) "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LEAD_STATUSES.items())
        + f" ELSE {status} END"
    )
    if optional(leads, "IsConverted") is not None:
        mapped_status = (
            f"CASE WHEN {_is_true(leads, 'IsConverted')} THEN 'converted' ELSE {mapped_status} END"
        )
    expressions = {
        **_fields(
            leads,
            {
                "lead_id": "Id",
                "source": "LeadSource",
                "company": "Company",
                "industry": "Industry",
                "employees": "NumberOfEmployees",
                "country": "Country",
                "title": "Title",
                "opportunity_id": "ConvertedOpportunityId",
            },
        ),
        "created_at": timestamp(_required(leads, "CreatedDate")),
        "owner_rep_id": _lead_owner(leads),
        "status": mapped_status,
    }
    if optional(leads, "ConvertedDate") is not None:
        expressions["converted_at"] = timestamp(_value(leads, "ConvertedDate"))
    if campaigns is not None:
        expressions["campaign"] = (
            f"(SELECT f.campaign FROM {campaigns} f "
            f"WHERE f.lead_id = {_required(leads, 'Id', leads.relation + '.')})"
        )
    return mapped_source(leads, "leads", expressions, where=_not_deleted(leads))


# --- Opportunities and their history ------------------------------------------------------


def _opportunities(
    opportunities: RawFile, leads: RawFile | None, line_items: RawFile | None
) -> Source:
    """Deals; closed_at and is_won only when IsClosed, lead from the lead converted into it."""
    this = opportunities.relation
    opportunity_id = _required(opportunities, "Id", f"{this}.")
    closed = _is_true(opportunities, "IsClosed")
    created = timestamp(_required(opportunities, "CreatedDate"))
    expressions = {
        **_fields(
            opportunities,
            {
                "opportunity_id": "Id",
                "account_id": "AccountId",
                "owner_rep_id": "OwnerId",
                "source": "LeadSource",
                "stage": "StageName",
                "amount": "Amount",
                "currency": "CurrencyIsoCode",
            },
        ),
        "created_at": created,
        "expected_close_date": date(_value(opportunities, "CloseDate")),
        "closed_at": f"CASE WHEN {closed} THEN "
        f"{not_before(timestamp(_value(opportunities, 'CloseDate')), created)} END",
        # Salesforce booleans are never empty; the export writes false as an empty cell.
        "is_won": f"CASE WHEN {closed} THEN "
        f"coalesce({boolean(_value(opportunities, 'IsWon'))}, 'false') END",
        **_forecast(opportunities),
    }
    if leads is not None and optional(leads, "ConvertedOpportunityId") is not None:
        expressions["lead_id"] = (
            f"(SELECT min({_required(leads, 'Id', 'l.')}) FROM {leads.relation} l "
            f"WHERE {_required(leads, 'ConvertedOpportunityId', 'l.')} = {opportunity_id} "
            f"AND {_not_deleted(leads, 'l.')})"
        )
    if line_items is not None:
        expressions["product_id"] = _main_product(opportunity_id, line_items)
    return mapped_source(
        opportunities, "opportunities", expressions, where=_not_deleted(opportunities)
    )


def _forecast(opportunities: RawFile) -> dict[str, str]:
    """probability (Probability / 100) and forecast_category (ForecastCategoryName, else
    ForecastCategory, slugged), when the file has them; unreadable values pass on to be rejected."""
    expressions: dict[str, str] = {}
    if optional(opportunities, "Probability") is not None:
        percent = _value(opportunities, "Probability")
        number = f"TRY_CAST({percent} AS DOUBLE)"
        expressions["probability"] = (
            f"CASE WHEN {number} IS NULL THEN {percent} ELSE CAST({number} / 100 AS VARCHAR) END"
        )
    names = [n for n in ("ForecastCategoryName", "ForecastCategory") if optional(opportunities, n)]
    if names:
        category = f"coalesce({', '.join(_value(opportunities, n) for n in names)})"
        expressions["forecast_category"] = (
            f"CASE lower(replace({category}, ' ', '')) "
            + " ".join(
                f"WHEN '{given}' THEN '{ours}'" for given, ours in FORECAST_CATEGORIES.items()
            )
            + f" ELSE {category} END"
        )
    return expressions


def _line_item_note(con: duckdb.DuckDBPyConnection, line_items: RawFile) -> str:
    """Count the line items: each deal's largest line names its product, the rest are not loaded."""
    live = _not_deleted(line_items)
    lines = _count(con, f"SELECT count(*) FROM {line_items.relation} WHERE {live}")
    deals = _count(
        con,
        f"SELECT count(DISTINCT {_required(line_items, 'OpportunityId')}) "
        f"FROM {line_items.relation} WHERE {live}",
    )
    return (
        f"salesforce: {line_items.path.name}: the largest of {lines} line(s) gives each of "
        f"{deals} deal(s) its product; line items are not loaded otherwise"
    )


def _main_product(opportunity_id: str, line_items: RawFile) -> str:
    """SQL: the Product2Id of the deal's line with the largest TotalPrice."""
    price = optional(line_items, "TotalPrice")
    weight = "0" if price is None else f"TRY_CAST(i.{price} AS DOUBLE)"
    return (
        f"(SELECT arg_max({_required(line_items, 'Product2Id', 'i.')}, {weight}) "
        f"FROM {line_items.relation} i WHERE {_not_deleted(line_items, 'i.')} "
        f"AND {_required(line_items, 'OpportunityId', 'i.')} = {opportunity_id})"
    )


def _stage_history(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> list[Source]:
    """Stage entries from OpportunityHistory, else from OpportunityFieldHistory."""
    if "OpportunityHistory" in raw:
        if "OpportunityFieldHistory" in raw:
            notes.append(
                "salesforce: OpportunityFieldHistory.csv not read: stage history comes from "
                "OpportunityHistory.csv"
            )
        return [_stages(con, raw["OpportunityHistory"], notes)]
    if "OpportunityFieldHistory" in raw:
        return _field_history_stages(
            con, raw["OpportunityFieldHistory"], raw.get("Opportunity"), notes
        )
    return []


def _stages(con: duckdb.DuckDBPyConnection, history: RawFile, notes: list[str]) -> Source:
    """Stage history: OpportunityHistory rows where the stage changed (it also logs amounts)."""
    opportunity = _required(history, "OpportunityId")
    stage_name = _required(history, "StageName")
    entered = timestamp(_required(history, "CreatedDate"))
    live = _not_deleted(history)
    changes = _listed(
        derived(
            con,
            history,
            f"SELECT {ROW}, opportunity_id, stage, entered_at, amount FROM ("
            f"SELECT {ROW}, {opportunity} AS opportunity_id, {stage_name} AS stage, "
            f"{entered} AS entered_at, {_value(history, 'Amount')} AS amount, "
            f"lag({stage_name}) OVER (PARTITION BY {opportunity} "
            f"ORDER BY TRY_CAST({entered} AS TIMESTAMPTZ), {ROW}) AS previous "
            f"FROM {history.relation} WHERE {live}) "
            "WHERE previous IS DISTINCT FROM stage",
        )
    )
    unchanged = _count(con, f"SELECT count(*) FROM {history.relation} WHERE {live}") - changes.rows
    if unchanged:
        notes.append(
            f"salesforce: {history.path.name}: {unchanged} row(s) change amount, probability or "
            "close date but not the stage, not stage entries"
        )
    columns = ("opportunity_id", "stage", "entered_at", "amount")
    return mapped_source(changes, "opportunity_stages", {name: name for name in columns})


def _field_history_stages(
    con: duckdb.DuckDBPyConnection,
    history: RawFile,
    opportunities: RawFile | None,
    notes: list[str],
) -> list[Source]:
    """Stage history from field tracking: each StageName change enters NewValue; the first
    change's OldValue is the stage the deal was created in (dated by Opportunity.CreatedDate)."""
    this = history.relation
    opportunity = _required(history, "OpportunityId")
    entered = timestamp(_required(history, "CreatedDate"))
    stage_rows = f"{_not_deleted(history)} AND lower({_required(history, 'Field')}) = 'stagename'"
    others = _count(
        con, f"SELECT count(*) FROM {this} WHERE {_not_deleted(history)} AND NOT ({stage_rows})"
    )
    if others:
        notes.append(
            f"salesforce: {history.path.name}: {others} row(s) track fields other than "
            "StageName, not loaded"
        )
    columns = {name: name for name in ("opportunity_id", "stage", "entered_at")}
    changes = _listed(
        derived(
            con,
            history,
            f"SELECT {ROW}, {opportunity} AS opportunity_id, "
            f"{_required(history, 'NewValue')} AS stage, {entered} AS entered_at "
            f"FROM {this} WHERE {stage_rows}",
        )
    )
    result = [mapped_source(changes, "opportunity_stages", columns)]
    if opportunities is None or optional(history, "OldValue") is None:
        return result
    first = (
        f"SELECT min({ROW}) AS {ROW}, {opportunity} AS opportunity_id, "
        f"arg_min({_value(history, 'OldValue')}, (TRY_CAST({entered} AS TIMESTAMPTZ), {ROW})) "
        f"AS stage FROM {this} WHERE {stage_rows} GROUP BY 2"
    )
    created = timestamp(_required(opportunities, "CreatedDate", "d."))
    initial = derived(
        con,
        history,
        f"SELECT f.{ROW}, f.opportunity_id, f.stage, {created} AS entered_at FROM ({first}) f "
        f"JOIN {opportunities.relation} d ON {_required(opportunities, 'Id', 'd.')} "
        f"= f.opportunity_id WHERE f.stage IS NOT NULL AND {_not_deleted(opportunities, 'd.')}",
    )
    return [*result, mapped_source(initial, "opportunity_stages", columns)]


def _listed(table: RawFile) -> RawFile:
    """A derived table whose rows are its file's own rows (filtered or reshaped), not implied."""
    return replace(table, implied=False)


# --- Activities ---------------------------------------------------------------------------


def _tasks(tasks: RawFile) -> Source:
    """Tasks: done calls and e-mails as such, open ones as follow-ups, the rest as tasks."""
    kind, subtype = (f"lower({_value(tasks, name)})" for name in ("Type", "TaskSubtype"))
    channel = (
        f"CASE WHEN {kind} IN ('call', 'email', 'meeting', 'demo') THEN {kind} "
        f"WHEN {kind} LIKE 'follow%' THEN 'follow_up' "
        f"WHEN {subtype} = 'call' THEN 'call' "
        f"WHEN {subtype} IN ('email', 'listemail') THEN 'email' END"
    )
    if optional(tasks, "IsClosed") is not None:
        done = _is_true(tasks, "IsClosed")
    elif optional(tasks, "Status") is not None:
        done = f"lower({_value(tasks, 'Status')}) = 'completed'"
    else:
        done = "true"
    activity = (
        f"CASE WHEN {done} THEN coalesce({channel}, 'task') "
        f"WHEN {channel} IN ('call', 'email', 'follow_up') THEN 'follow_up' ELSE 'task' END"
    )
    to_do = f"({activity}) IN ('task', 'follow_up')"
    created, due, completed = (
        timestamp(_value(tasks, name))
        for name in ("CreatedDate", "ActivityDate", "CompletedDateTime")
    )
    expressions = {
        "activity_id": _required(tasks, "Id"),
        "rep_id": _required(tasks, "OwnerId"),
        "type": activity,
        "occurred_at": f"CASE WHEN {to_do} THEN {created} "
        f"ELSE coalesce({completed}, {due}, {created}) END",
        "due_at": f"CASE WHEN {to_do} THEN {due} END",
        "completed_at": f"CASE WHEN {to_do} AND {done} THEN {completed} END",
        **_related(tasks),
        **_fields(tasks, {"outcome": "CallDisposition"}),
    }
    return mapped_source(tasks, "activities", expressions, where=_not_deleted(tasks))


def _events(events: RawFile) -> Source:
    """Events are meetings (demos when their Type says so), dated by their start."""
    when = ", ".join(
        timestamp(_value(events, name))
        for name in ("StartDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate")
    )
    expressions = {
        "activity_id": _required(events, "Id"),
        "rep_id": _required(events, "OwnerId"),
        "type": f"CASE lower({_value(events, 'Type')}) WHEN 'demo' THEN 'demo' ELSE 'meeting' END",
        "occurred_at": f"coalesce({when})",
        **_related(events),
    }
    return mapped_source(events, "activities", expressions, where=_not_deleted(events))


def _related(activities: RawFile) -> dict[str, str]:
    """opportunity_id from WhatId and lead_id from WhoId, when they point at those objects."""
    what, who = _value(activities, "WhatId"), _value(activities, "WhoId")
    return {
        "opportunity_id": f"CASE WHEN starts_with({what}, '{OPPORTUNITY_PREFIX}') THEN {what} END",
        "lead_id": f"CASE WHEN starts_with({who}, '{LEAD_PREFIX}') THEN {who} END",
    }


# --- Quotas and exchange rates ------------------------------------------------------------


def _quotas(con: duckdb.DuckDBPyConnection, quotas: RawFile, notes: list[str]) -> Source:
    """Bookings quotas from ForecastingQuota: QuotaAmount per owner and forecast period.

    Quantity-only, product-family and territory quotas are not the rep's revenue quota; they
    are counted in a note and not loaded.
    """
    this = quotas.relation
    owner, start = _required(quotas, "QuotaOwnerId"), date(_required(quotas, "StartDate"))
    live = _not_deleted(quotas)
    drops = {"quantity-only": f"{_required(quotas, 'QuotaAmount')} IS NULL"}
    for field, kind in (("ProductFamily", "product-family"), ("Territory2Id", "territory")):
        if optional(quotas, field) is not None:
            drops[kind] = f"{_value(quotas, field)} IS NOT NULL"
    kept = f"{live} AND NOT ({' OR '.join(drops.values())})"
    dropped = [
        f"{n} {kind}"
        for kind, condition in drops.items()
        if (n := _count(con, f"SELECT count(*) FROM {this} WHERE {live} AND {condition}"))
    ]
    if dropped:
        notes.append(f"salesforce: {quotas.path.name}: {', '.join(dropped)} quota(s) not loaded")
    months = _quota_months(con, quotas, owner, start, kept)
    notes.append(
        f"salesforce: {quotas.path.name}: quota periods read as calendar "
        f"{'months' if months == 1 else 'quarters'} from StartDate"
    )
    expressions = {
        "rep_id": owner,
        "period_start": start,
        "period_end": f"strftime(TRY_CAST({start} AS DATE) + INTERVAL {months} MONTH "
        "- INTERVAL 1 DAY, '%Y-%m-%d')",
        "metric": "'bookings'",
        "target": _required(quotas, "QuotaAmount"),
        **_fields(quotas, {"currency": "CurrencyIsoCode"}),
    }
    return mapped_source(quotas, "quotas", expressions, where=kept)


def _quota_months(
    con: duckdb.DuckDBPyConnection, quotas: RawFile, owner: str, start: str, kept: str
) -> int:
    """1 when some owner's quotas start a month apart (monthly forecasts), else 3 (quarterly).

    The period itself (PeriodId) points at Period, which a Data Export does not contain.
    """
    gap = _count(
        con,
        "SELECT min(date_diff('month', previous, started)) FROM ("
        "SELECT started, lag(started) OVER (PARTITION BY owner ORDER BY started) AS previous "
        f"FROM (SELECT DISTINCT {owner} AS owner, TRY_CAST({start} AS DATE) AS started "
        f"FROM {quotas.relation} WHERE {kept})) WHERE previous < started",
    )
    return 1 if gap == 1 else 3


def _rates(
    con: duckdb.DuckDBPyConnection,
    currencies: RawFile | None,
    dated: RawFile | None,
    notes: list[str],
) -> list[Source]:
    """fx_rates from DatedConversionRate (dated rates) and CurrencyType (one rate a currency).

    A currency with dated rates takes them; CurrencyType's single rate then is not loaded. An
    undated rate applies from EARLIEST_RATE. `is_corporate` comes from CurrencyType.IsCorporate.
    """
    result: list[Source] = []
    dated_codes = "SELECT ''"
    if dated is not None:
        iso = _required(dated, "IsoCode")
        start = date(_required(dated, "StartDate"))
        result.append(
            mapped_source(
                dated,
                "fx_rates",
                {
                    "currency": iso,
                    "start_date": f"CASE WHEN TRY_CAST({start} AS DATE) < DATE '{EARLIEST_RATE}' "
                    f"THEN '{EARLIEST_RATE}' ELSE {start} END",
                    "rate": _required(dated, "ConversionRate"),
                    "is_corporate": _corporate(
                        currencies, _required(dated, "IsoCode", f"{dated.relation}.")
                    ),
                },
                where=_not_deleted(dated),
            )
        )
        dated_codes = (
            f"SELECT upper({iso}) FROM {dated.relation} WHERE {_not_deleted(dated)} "
            f"AND {iso} IS NOT NULL"
        )
    if currencies is not None:
        iso = _required(currencies, "IsoCode")
        live = _not_deleted(currencies)
        undated = f"{live} AND upper({iso}) NOT IN ({dated_codes})"
        superseded = _count(
            con, f"SELECT count(*) FROM {currencies.relation} WHERE {live} AND NOT ({undated})"
        )
        if superseded:
            notes.append(
                f"salesforce: {currencies.path.name}: {superseded} currency(ies) take their dated "
                "rates from DatedConversionRate.csv instead"
            )
        result.append(
            mapped_source(
                currencies,
                "fx_rates",
                {
                    "currency": iso,
                    "start_date": f"'{EARLIEST_RATE}'",
                    "rate": _required(currencies, "ConversionRate"),
                    **(
                        {"is_corporate": boolean(_value(currencies, "IsCorporate"))}
                        if optional(currencies, "IsCorporate") is not None
                        else {}
                    ),
                },
                where=undated,
            )
        )
    return result


def _corporate(currencies: RawFile | None, iso: str) -> str:
    """SQL: CurrencyType.IsCorporate of the currency `iso`; NULL without CurrencyType.csv."""
    if currencies is None or optional(currencies, "IsCorporate") is None:
        return "NULL"
    return (
        f"(SELECT max({boolean(_value(currencies, 'IsCorporate', 'c.'))}) "
        f"FROM {currencies.relation} c "
        f"WHERE upper({_required(currencies, 'IsoCode', 'c.')}) = upper({iso}))"
    )


# --- Notes --------------------------------------------------------------------------------


def _deleted_notes(con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile]) -> list[str]:
    """A note per file with IsDeleted rows (recycle-bin records), which are skipped."""
    notes = []
    for source in raw.values():
        if optional(source, "IsDeleted") is None:
            continue
        deleted = _count(
            con, f"SELECT count(*) FROM {source.relation} WHERE NOT ({_not_deleted(source)})"
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
