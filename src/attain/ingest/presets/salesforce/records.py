"""Accounts, products, leads, deals, their stage history and activities from a Data Export."""

from __future__ import annotations

import duckdb

from attain.ingest.presets.exports import boolean, date, derived, not_before, optional, timestamp
from attain.ingest.presets.salesforce.fields import (
    LEAD_PREFIX,
    OPPORTUNITY_PREFIX,
    field,
    is_true,
    lead_owner,
    listed,
    mapped_fields,
    not_deleted,
    required_field,
    scalar,
)
from attain.ingest.readers import ROW, RawFile
from attain.ingest.sources import Source, mapped_source

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


def accounts_source(accounts: RawFile) -> Source:
    return mapped_source(
        accounts,
        "accounts",
        mapped_fields(
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
        where=not_deleted(accounts),
    )


def products_source(products: RawFile) -> Source:
    return mapped_source(
        products,
        "products",
        mapped_fields(products, {"product_id": "Id", "name": "Name", "family": "Family"}),
        where=not_deleted(products),
    )


def lead_campaigns(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> str | None:
    """A table of each lead's first campaign (earliest CampaignMember row), by Campaign name."""
    members = raw.get("CampaignMember")
    if members is None:
        return None
    campaign_id = required_field(members, "CampaignId")
    name = campaign_id
    campaigns = raw.get("Campaign")
    if campaigns is not None:
        name = (
            f"coalesce((SELECT min({required_field(campaigns, 'Name', 'c.')}) FROM "
            f"{campaigns.relation} c WHERE {required_field(campaigns, 'Id', 'c.')} = "
            f"{required_field(members, 'CampaignId', members.relation + '.')} "
            f"AND {not_deleted(campaigns, 'c.')}), {campaign_id})"
        )
    lead_id, live = required_field(members, "LeadId"), not_deleted(members)
    first = f"{members.relation}_first_campaign"
    joined = timestamp(field(members, "CreatedDate"), members.date_format)
    con.execute(
        f"CREATE TEMP TABLE {first} AS SELECT {lead_id} AS lead_id, "
        f"arg_min({name}, ({joined}, {ROW})) AS campaign "
        f"FROM {members.relation} WHERE {live} AND {lead_id} IS NOT NULL "
        f"AND {campaign_id} IS NOT NULL GROUP BY 1"
    )
    total = scalar(con, f"SELECT count(*) FROM {members.relation} WHERE {live}")
    leads = scalar(con, f"SELECT count(*) FROM {first}")
    with_lead = scalar(
        con,
        f"SELECT count(*) FROM {members.relation} WHERE {live} AND {lead_id} IS NOT NULL "
        f"AND {campaign_id} IS NOT NULL",
    )
    if campaigns is not None:
        named = scalar(
            con, f"SELECT count(*) FROM {campaigns.relation} WHERE {not_deleted(campaigns)}"
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


def leads_source(leads: RawFile, campaigns: str | None) -> Source:
    status = field(leads, "Status")
    mapped_status = (
        f"CASE lower({status}) "
        + " ".join(f"WHEN '{given}' THEN '{ours}'" for given, ours in LEAD_STATUSES.items())
        + f" ELSE {status} END"
    )
    if optional(leads, "IsConverted") is not None:
        mapped_status = (
            f"CASE WHEN {is_true(leads, 'IsConverted')} THEN 'converted' ELSE {mapped_status} END"
        )
    expressions = {
        **mapped_fields(
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
        "created_at": timestamp(required_field(leads, "CreatedDate"), leads.date_format),
        "owner_rep_id": lead_owner(leads),
        "status": mapped_status,
    }
    if optional(leads, "ConvertedDate") is not None:
        expressions["converted_at"] = timestamp(field(leads, "ConvertedDate"), leads.date_format)
    if campaigns is not None:
        expressions["campaign"] = (
            f"(SELECT f.campaign FROM {campaigns} f "
            f"WHERE f.lead_id = {required_field(leads, 'Id', leads.relation + '.')})"
        )
    return mapped_source(leads, "leads", expressions, where=not_deleted(leads))


def opportunities_source(
    opportunities: RawFile, leads: RawFile | None, line_items: RawFile | None
) -> Source:
    """Deals; closed_at and is_won only when IsClosed, lead from the lead converted into it."""
    this = opportunities.relation
    opportunity_id = required_field(opportunities, "Id", f"{this}.")
    closed = is_true(opportunities, "IsClosed")
    created = timestamp(required_field(opportunities, "CreatedDate"), opportunities.date_format)
    close_date = timestamp(field(opportunities, "CloseDate"), opportunities.date_format)
    expressions = {
        **mapped_fields(
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
        "expected_close_date": date(field(opportunities, "CloseDate"), opportunities.date_format),
        "closed_at": f"CASE WHEN {closed} THEN {not_before(close_date, created)} END",
        # Salesforce booleans are never empty; the export writes false as an empty cell.
        "is_won": f"CASE WHEN {closed} THEN "
        f"coalesce({boolean(field(opportunities, 'IsWon'))}, 'false') END",
        **_forecast(opportunities),
    }
    if leads is not None and optional(leads, "ConvertedOpportunityId") is not None:
        expressions["lead_id"] = (
            f"(SELECT min({required_field(leads, 'Id', 'l.')}) FROM {leads.relation} l "
            f"WHERE {required_field(leads, 'ConvertedOpportunityId', 'l.')} = {opportunity_id} "
            f"AND {not_deleted(leads, 'l.')})"
        )
    if line_items is not None:
        expressions["product_id"] = _main_product(opportunity_id, line_items)
    return mapped_source(
        opportunities, "opportunities", expressions, where=not_deleted(opportunities)
    )


def _forecast(opportunities: RawFile) -> dict[str, str]:
    """probability (Probability / 100) and forecast_category (ForecastCategoryName, else
    ForecastCategory, slugged), when the file has them; unreadable values pass on to be rejected."""
    expressions: dict[str, str] = {}
    if optional(opportunities, "Probability") is not None:
        percent = field(opportunities, "Probability")
        number = f"TRY_CAST({percent} AS DOUBLE)"
        expressions["probability"] = (
            f"CASE WHEN {number} IS NULL THEN {percent} ELSE CAST({number} / 100 AS VARCHAR) END"
        )
    names = [n for n in ("ForecastCategoryName", "ForecastCategory") if optional(opportunities, n)]
    if names:
        category = f"coalesce({', '.join(field(opportunities, n) for n in names)})"
        expressions["forecast_category"] = (
            f"CASE lower(replace({category}, ' ', '')) "
            + " ".join(
                f"WHEN '{given}' THEN '{ours}'" for given, ours in FORECAST_CATEGORIES.items()
            )
            + f" ELSE {category} END"
        )
    return expressions


def line_item_note(con: duckdb.DuckDBPyConnection, line_items: RawFile) -> str:
    """Count the line items: each deal's largest line names its product, the rest are not loaded."""
    live = not_deleted(line_items)
    lines = scalar(con, f"SELECT count(*) FROM {line_items.relation} WHERE {live}")
    deals = scalar(
        con,
        f"SELECT count(DISTINCT {required_field(line_items, 'OpportunityId')}) "
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
        f"(SELECT arg_max({required_field(line_items, 'Product2Id', 'i.')}, {weight}) "
        f"FROM {line_items.relation} i WHERE {not_deleted(line_items, 'i.')} "
        f"AND {required_field(line_items, 'OpportunityId', 'i.')} = {opportunity_id})"
    )


def stage_sources(
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
    opportunity = required_field(history, "OpportunityId")
    stage_name = required_field(history, "StageName")
    entered = timestamp(required_field(history, "CreatedDate"), history.date_format)
    live = not_deleted(history)
    changes = listed(
        derived(
            con,
            history,
            f"SELECT {ROW}, opportunity_id, stage, entered_at, amount FROM ("
            f"SELECT {ROW}, {opportunity} AS opportunity_id, {stage_name} AS stage, "
            f"{entered} AS entered_at, {field(history, 'Amount')} AS amount, "
            f"lag({stage_name}) OVER (PARTITION BY {opportunity} "
            f"ORDER BY TRY_CAST({entered} AS TIMESTAMPTZ), {ROW}) AS previous "
            f"FROM {history.relation} WHERE {live}) "
            "WHERE previous IS DISTINCT FROM stage",
        )
    )
    unchanged = scalar(con, f"SELECT count(*) FROM {history.relation} WHERE {live}") - changes.rows
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
    opportunity = required_field(history, "OpportunityId")
    entered = timestamp(required_field(history, "CreatedDate"), history.date_format)
    stage_rows = (
        f"{not_deleted(history)} AND lower({required_field(history, 'Field')}) = 'stagename'"
    )
    others = scalar(
        con, f"SELECT count(*) FROM {this} WHERE {not_deleted(history)} AND NOT ({stage_rows})"
    )
    if others:
        notes.append(
            f"salesforce: {history.path.name}: {others} row(s) track fields other than "
            "StageName, not loaded"
        )
    columns = {name: name for name in ("opportunity_id", "stage", "entered_at")}
    changes = listed(
        derived(
            con,
            history,
            f"SELECT {ROW}, {opportunity} AS opportunity_id, "
            f"{required_field(history, 'NewValue')} AS stage, {entered} AS entered_at "
            f"FROM {this} WHERE {stage_rows}",
        )
    )
    result = [mapped_source(changes, "opportunity_stages", columns)]
    if opportunities is None or optional(history, "OldValue") is None:
        return result
    first = (
        f"SELECT min({ROW}) AS {ROW}, {opportunity} AS opportunity_id, "
        f"arg_min({field(history, 'OldValue')}, (TRY_CAST({entered} AS TIMESTAMPTZ), {ROW})) "
        f"AS stage FROM {this} WHERE {stage_rows} GROUP BY 2"
    )
    created = timestamp(
        required_field(opportunities, "CreatedDate", "d."), opportunities.date_format
    )
    initial = derived(
        con,
        history,
        f"SELECT f.{ROW}, f.opportunity_id, f.stage, {created} AS entered_at FROM ({first}) f "
        f"JOIN {opportunities.relation} d ON {required_field(opportunities, 'Id', 'd.')} "
        f"= f.opportunity_id WHERE f.stage IS NOT NULL AND {not_deleted(opportunities, 'd.')}",
    )
    return [*result, mapped_source(initial, "opportunity_stages", columns)]


def tasks_source(tasks: RawFile) -> Source:
    """Tasks: done calls and e-mails as such, open ones as follow-ups, the rest as tasks."""
    kind, subtype = (f"lower({field(tasks, name)})" for name in ("Type", "TaskSubtype"))
    channel = (
        f"CASE WHEN {kind} IN ('call', 'email', 'meeting', 'demo') THEN {kind} "
        f"WHEN {kind} LIKE 'follow%' THEN 'follow_up' "
        f"WHEN {subtype} = 'call' THEN 'call' "
        f"WHEN {subtype} IN ('email', 'listemail') THEN 'email' END"
    )
    if optional(tasks, "IsClosed") is not None:
        done = is_true(tasks, "IsClosed")
    elif optional(tasks, "Status") is not None:
        done = f"lower({field(tasks, 'Status')}) = 'completed'"
    else:
        done = "true"
    activity = (
        f"CASE WHEN {done} THEN coalesce({channel}, 'task') "
        f"WHEN {channel} IN ('call', 'email', 'follow_up') THEN 'follow_up' ELSE 'task' END"
    )
    to_do = f"({activity}) IN ('task', 'follow_up')"
    created, due, completed = (
        timestamp(field(tasks, name), tasks.date_format)
        for name in ("CreatedDate", "ActivityDate", "CompletedDateTime")
    )
    expressions = {
        "activity_id": required_field(tasks, "Id"),
        "rep_id": required_field(tasks, "OwnerId"),
        "type": activity,
        "occurred_at": f"CASE WHEN {to_do} THEN {created} "
        f"ELSE coalesce({completed}, {due}, {created}) END",
        "due_at": f"CASE WHEN {to_do} THEN {due} END",
        "completed_at": f"CASE WHEN {to_do} AND {done} THEN {completed} END",
        **_related(tasks),
        **mapped_fields(tasks, {"outcome": "CallDisposition"}),
    }
    return mapped_source(tasks, "activities", expressions, where=not_deleted(tasks))


def events_source(events: RawFile) -> Source:
    """Events are meetings (demos when their Type says so), dated by their start."""
    when = ", ".join(
        timestamp(field(events, name), events.date_format)
        for name in ("StartDateTime", "ActivityDateTime", "ActivityDate", "CreatedDate")
    )
    expressions = {
        "activity_id": required_field(events, "Id"),
        "rep_id": required_field(events, "OwnerId"),
        "type": f"CASE lower({field(events, 'Type')}) WHEN 'demo' THEN 'demo' ELSE 'meeting' END",
        "occurred_at": f"coalesce({when})",
        **_related(events),
    }
    return mapped_source(events, "activities", expressions, where=not_deleted(events))


def _related(activities: RawFile) -> dict[str, str]:
    """opportunity_id from WhatId and lead_id from WhoId, when they point at those objects."""
    what, who = field(activities, "WhatId"), field(activities, "WhoId")
    return {
        "opportunity_id": f"CASE WHEN starts_with({what}, '{OPPORTUNITY_PREFIX}') THEN {what} END",
        "lead_id": f"CASE WHEN starts_with({who}, '{LEAD_PREFIX}') THEN {who} END",
    }
