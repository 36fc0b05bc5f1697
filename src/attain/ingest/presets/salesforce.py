"""Salesforce's Data Export layout: one CSV per object (User.csv, Opportunity.csv, ...).

Columns are API field names. Objects that are missing are skipped with a note; see
docs/presets.md for how each field maps and why.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.presets.exports import (
    boolean,
    column,
    date,
    derived,
    fields,
    match_files,
    not_before,
    optional,
    stage,
    text,
    timestamp,
    value,
)
from attain.ingest.readers import ROW, RawFile, ReadOptions
from attain.ingest.sources import Plan, Source, mapped_source

OBJECTS = {
    "User": ("Id",),
    "Account": ("Id", "Name"),
    "Product2": ("Id", "Name"),
    "Lead": ("Id", "CreatedDate"),
    "Opportunity": ("Id", "OwnerId", "StageName", "CreatedDate", "IsClosed", "IsWon"),
    "OpportunityHistory": ("OpportunityId", "StageName", "CreatedDate"),
    "OpportunityLineItem": ("OpportunityId", "Product2Id"),
    "Task": ("Id", "OwnerId", "CreatedDate"),
    "Event": ("Id", "OwnerId", "CreatedDate"),
}
"""Objects read, with the fields each file must have."""

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
    plan = Plan(sources=[])
    if "User" in raw:
        plan.sources.extend(_users(con, raw["User"]))
    if "Account" in raw:
        plan.sources.append(_accounts(raw["Account"]))
    if "Product2" in raw:
        plan.sources.append(_products(raw["Product2"]))
    if "Lead" in raw:
        plan.sources.append(_leads(raw["Lead"]))
    if "Opportunity" in raw:
        plan.sources.append(
            _opportunities(raw["Opportunity"], raw.get("Lead"), raw.get("OpportunityLineItem"))
        )
    if "OpportunityHistory" in raw:
        plan.sources.append(_stages(con, raw["OpportunityHistory"]))
    if "Task" in raw:
        plan.sources.append(_tasks(raw["Task"]))
    if "Event" in raw:
        plan.sources.append(_events(raw["Event"]))
    missing = [f"{name}.csv" for name in OBJECTS if name not in raw]
    if missing:
        plan.notes.append(f"salesforce: not in the export, skipped: {', '.join(missing)}")
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
        plan.notes.append(f"salesforce: ignored {len(unmatched)} other file(s): {shown}")
    return plan


def _users(con: duckdb.DuckDBPyConnection, users: RawFile) -> list[Source]:
    """Reps from users; a user who is someone's manager (ManagerId) is a manager with a team."""
    user_id = text(column(users, "Id"))
    name = (
        f"coalesce({value(users, 'Name')}, "
        f"NULLIF(TRIM(concat_ws(' ', {value(users, 'FirstName')}, "
        f"{value(users, 'LastName')})), ''), {user_id})"
    )
    manager_id = optional(users, "ManagerId")
    reps = {
        "rep_id": user_id,
        "name": name,
        "role": "'rep'",
        **fields(users, {"email": "Email"}),
    }
    if optional(users, "CreatedDate") is not None:
        reps["hire_date"] = date(value(users, "CreatedDate"))
    if manager_id is None:
        return [mapped_source(users, "reps", reps, where=_not_deleted(users))]
    managers = f"(SELECT {text(manager_id)} FROM {users.relation})"
    reps["role"] = f"CASE WHEN {user_id} IN {managers} THEN 'manager' ELSE 'rep' END"
    reps["team_id"] = text(manager_id)
    teams = derived(
        con,
        users,
        f"SELECT {ROW}, {user_id} AS manager_id, {name} AS manager_name FROM {users.relation} "
        f"WHERE {user_id} IN {managers} AND {_not_deleted(users)}",
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
        ),
        mapped_source(users, "reps", reps, where=_not_deleted(users)),
    ]


def _accounts(accounts: RawFile) -> Source:
    return mapped_source(
        accounts,
        "accounts",
        fields(
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
        fields(products, {"product_id": "Id", "name": "Name", "family": "Family"}),
        where=_not_deleted(products),
    )


def _leads(leads: RawFile) -> Source:
    status = value(leads, "Status")
    mapped_status = (
        f"CASE lower({status}) "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LEAD_STATUSES.items())
        + f" ELSE {status} END"
    )
    if optional(leads, "IsConverted") is not None:
        mapped_status = (
            f"CASE WHEN {boolean(value(leads, 'IsConverted'))} = 'true' THEN 'converted' "
            f"ELSE {mapped_status} END"
        )
    owner = value(leads, "OwnerId")
    expressions = {
        **fields(
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
        "created_at": timestamp(column(leads, "CreatedDate")),
        "owner_rep_id": f"CASE WHEN starts_with({owner}, '{QUEUE_PREFIX}') THEN NULL "
        f"ELSE {owner} END",
        "status": mapped_status,
    }
    if optional(leads, "ConvertedDate") is not None:
        expressions["converted_at"] = timestamp(value(leads, "ConvertedDate"))
    return mapped_source(leads, "leads", expressions, where=_not_deleted(leads))


def _opportunities(
    opportunities: RawFile, leads: RawFile | None, line_items: RawFile | None
) -> Source:
    """Deals; closed_at and is_won only when IsClosed, lead from the lead converted into it."""
    this = opportunities.relation
    opportunity_id = f"{this}.{column(opportunities, 'Id')}"
    closed = f"{boolean(column(opportunities, 'IsClosed'))} = 'true'"
    created = timestamp(column(opportunities, "CreatedDate"))
    expressions = {
        **fields(
            opportunities,
            {
                "opportunity_id": "Id",
                "account_id": "AccountId",
                "owner_rep_id": "OwnerId",
                "source": "LeadSource",
                "stage": "StageName",
                "amount": "Amount",
            },
        ),
        "created_at": created,
        "expected_close_date": date(value(opportunities, "CloseDate")),
        "closed_at": f"CASE WHEN {closed} THEN "
        f"{not_before(timestamp(value(opportunities, 'CloseDate')), created)} END",
        "is_won": f"CASE WHEN {closed} THEN {boolean(column(opportunities, 'IsWon'))} END",
    }
    if leads is not None and optional(leads, "ConvertedOpportunityId") is not None:
        expressions["lead_id"] = (
            f"(SELECT min({text('l.' + column(leads, 'Id'))}) FROM {leads.relation} l "
            f"WHERE {text('l.' + column(leads, 'ConvertedOpportunityId'))} = {opportunity_id})"
        )
    if line_items is not None:
        price = optional(line_items, "TotalPrice")
        weight = "0" if price is None else f"TRY_CAST(i.{price} AS DOUBLE)"
        expressions["product_id"] = (
            f"(SELECT arg_max({text('i.' + column(line_items, 'Product2Id'))}, {weight}) "
            f"FROM {line_items.relation} i "
            f"WHERE {text('i.' + column(line_items, 'OpportunityId'))} = {opportunity_id})"
        )
    return mapped_source(
        opportunities, "opportunities", expressions, where=_not_deleted(opportunities)
    )


def _stages(con: duckdb.DuckDBPyConnection, history: RawFile) -> Source:
    """Stage history: OpportunityHistory rows where the stage changed (it also logs amounts)."""
    opportunity = text(column(history, "OpportunityId"))
    stage_name = text(column(history, "StageName"))
    entered = timestamp(column(history, "CreatedDate"))
    changes = derived(
        con,
        history,
        f"SELECT {ROW}, opportunity_id, stage, entered_at, amount FROM ("
        f"SELECT {ROW}, {opportunity} AS opportunity_id, {stage_name} AS stage, "
        f"{entered} AS entered_at, {value(history, 'Amount')} AS amount, "
        f"lag({stage_name}) OVER (PARTITION BY {opportunity} "
        f"ORDER BY TRY_CAST({entered} AS TIMESTAMPTZ), {ROW}) AS previous "
        f"FROM {history.relation} WHERE {_not_deleted(history)}) "
        "WHERE previous IS DISTINCT FROM stage",
    )
    columns = ("opportunity_id", "stage", "entered_at", "amount")
    return mapped_source(changes, "opportunity_stages", {name: name for name in columns})


def _tasks(tasks: RawFile) -> Source:
    """Tasks: done calls and e-mails as such, open ones as follow-ups, the rest as tasks."""
    kind, subtype = (f"lower({value(tasks, name)})" for name in ("Type", "TaskSubtype"))
    channel = (
        f"CASE WHEN {kind} IN ('call', 'email', 'meeting', 'demo') THEN {kind} "
        f"WHEN {kind} LIKE 'follow%' THEN 'follow_up' "
        f"WHEN {subtype} = 'call' THEN 'call' "
        f"WHEN {subtype} IN ('email', 'listemail') THEN 'email' END"
    )
    if optional(tasks, "IsClosed") is not None:
        done = f"{boolean(value(tasks, 'IsClosed'))} = 'true'"
    elif optional(tasks, "Status") is not None:
        done = f"lower({value(tasks, 'Status')}) = 'completed'"
    else:
        done = "true"
    activity = (
        f"CASE WHEN {done} THEN coalesce({channel}, 'task') "
        f"WHEN {channel} IN ('call', 'email', 'follow_up') THEN 'follow_up' ELSE 'task' END"
    )
    to_do = f"({activity}) IN ('task', 'follow_up')"
    created, due, completed = (
        timestamp(value(tasks, name))
        for name in ("CreatedDate", "ActivityDate", "CompletedDateTime")
    )
    expressions = {
        "activity_id": text(column(tasks, "Id")),
        "rep_id": text(column(tasks, "OwnerId")),
        "type": activity,
        "occurred_at": f"CASE WHEN {to_do} THEN {created} "
        f"ELSE coalesce({completed}, {due}, {created}) END",
        "due_at": f"CASE WHEN {to_do} THEN {due} END",
        "completed_at": f"CASE WHEN {to_do} AND {done} THEN {completed} END",
        **_related(tasks),
        **fields(tasks, {"outcome": "CallDisposition"}),
    }
    return mapped_source(tasks, "activities", expressions, where=_not_deleted(tasks))


def _events(events: RawFile) -> Source:
    """Events are meetings (demos when their Type says so), dated by their start."""
    when = ", ".join(
        timestamp(value(events, name))
        for name in ("StartDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate")
    )
    expressions = {
        "activity_id": text(column(events, "Id")),
        "rep_id": text(column(events, "OwnerId")),
        "type": f"CASE WHEN lower({value(events, 'Type')}) = 'demo' THEN 'demo' ELSE 'meeting' END",
        "occurred_at": f"coalesce({when})",
        **_related(events),
    }
    return mapped_source(events, "activities", expressions, where=_not_deleted(events))


def _related(activities: RawFile) -> dict[str, str]:
    """opportunity_id from WhatId and lead_id from WhoId, when they point at those objects."""
    what, who = value(activities, "WhatId"), value(activities, "WhoId")
    return {
        "opportunity_id": f"CASE WHEN starts_with({what}, '{OPPORTUNITY_PREFIX}') THEN {what} END",
        "lead_id": f"CASE WHEN starts_with({who}, '{LEAD_PREFIX}') THEN {who} END",
    }


def _not_deleted(raw: RawFile) -> str:
    """SQL filter dropping rows the export marks IsDeleted (recycle-bin records)."""
    deleted = optional(raw, "IsDeleted")
    return "true" if deleted is None else f"{boolean(deleted)} IS DISTINCT FROM 'true'"
