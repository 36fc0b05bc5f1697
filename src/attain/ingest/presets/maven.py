"""The Maven Analytics "CRM Sales Opportunities" sample: pipeline, teams, accounts, products.

Ids are the names the files use (agents, accounts), so the pipeline joins without lookups;
see docs/presets.md for every mapping decision.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from attain.ingest.presets.exports import (
    column,
    derived,
    match_files,
    require_files,
    slug,
    stage,
    text,
)
from attain.ingest.readers import ROW, RawFile, ReadOptions
from attain.ingest.sources import Plan, Source, mapped_source

FILES = ("sales_pipeline", "sales_teams", "accounts", "products")
REVENUE_UNIT = 1_000_000
"""accounts.csv gives revenue in millions of US dollars; the store keeps dollars."""


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """Teams, reps, accounts, products and opportunities from the four Maven files."""
    found, unmatched = match_files(paths, FILES, lambda kind, stem: kind == stem)
    require_files(found, FILES, "maven preset")
    teams = stage(con, found["sales_teams"], ("sales_agent", "manager", "regional_office"), options)
    accounts = stage(con, found["accounts"], ("account", "sector", "revenue", "employees"), options)
    products = stage(con, found["products"], ("product", "series", "sales_price"), options)
    pipeline = stage(
        con,
        found["sales_pipeline"],
        (
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ),
    )
    plan = Plan(
        sources=[
            *_team_and_rep_sources(con, teams),
            _account_source(accounts),
            _product_source(products),
            _opportunity_source(pipeline),
        ]
    )
    plan.notes.append(
        "maven: no quotas, leads, activities or stage history in this dataset; "
        "accounts' revenue converted from millions to dollars"
    )
    if unmatched:
        plan.notes.append(f"maven: ignored {', '.join(unmatched)}")
    return plan


def _team_and_rep_sources(con: duckdb.DuckDBPyConnection, teams: RawFile) -> list[Source]:
    """Teams and managers from sales_teams' distinct managers, reps from its agents: the
    file has one row per agent and names each agent's manager and office."""
    agent, manager, office = (
        column(teams, name) for name in ("sales_agent", "manager", "regional_office")
    )
    managers = derived(
        con,
        teams,
        f"SELECT min({ROW}) AS {ROW}, {text(manager)} AS manager, {text(office)} AS office "
        f"FROM {teams.relation} WHERE {text(manager)} IS NOT NULL GROUP BY 2, 3",
    )
    team_id = f"'team-' || {slug('manager')}"
    return [
        mapped_source(
            managers,
            "teams",
            {
                "team_id": team_id,
                "name": "manager || '''s team'",
                "manager_rep_id": "manager",
                "region": "office",
            },
        ),
        mapped_source(
            teams,
            "reps",
            {
                "rep_id": text(agent),
                "name": text(agent),
                "team_id": f"'team-' || {slug(manager)}",
                "role": "'rep'",
            },
        ),
        mapped_source(
            managers,
            "reps",
            {"rep_id": "manager", "name": "manager", "team_id": team_id, "role": "'manager'"},
        ),
    ]


def _account_source(accounts: RawFile) -> Source:
    revenue = text(column(accounts, "revenue"))
    return mapped_source(
        accounts,
        "accounts",
        {
            "account_id": text(column(accounts, "account")),
            "name": text(column(accounts, "account")),
            "industry": text(column(accounts, "sector")),
            "employees": text(column(accounts, "employees")),
            "annual_revenue": f"coalesce(CAST(TRY_CAST({revenue} AS DECIMAL(18, 4)) "
            f"* {REVENUE_UNIT} AS VARCHAR), {revenue})",
            "country": text(column(accounts, "office_location")),
        },
    )


def _product_source(products: RawFile) -> Source:
    return mapped_source(
        products,
        "products",
        {
            "product_id": product_id(column(products, "product")),
            "name": text(column(products, "product")),
            "family": text(column(products, "series")),
            "list_price": text(column(products, "sales_price")),
        },
    )


def _opportunity_source(pipeline: RawFile) -> Source:
    stage_name = text(column(pipeline, "deal_stage"))
    return mapped_source(
        pipeline,
        "opportunities",
        {
            "opportunity_id": text(column(pipeline, "opportunity_id")),
            "account_id": text(column(pipeline, "account")),
            "owner_rep_id": text(column(pipeline, "sales_agent")),
            "product_id": product_id(column(pipeline, "product")),
            "created_at": text(column(pipeline, "engage_date")),
            "closed_at": text(column(pipeline, "close_date")),
            "stage": stage_name,
            # Maven's deal_stage is Prospecting, Engaging, Won or Lost: only the last two close.
            "is_won": f"CASE lower({stage_name}) WHEN 'won' THEN 'true' "
            "WHEN 'lost' THEN 'false' END",
            "amount": text(column(pipeline, "close_value")),
        },
    )


def product_id(expression: str) -> str:
    """SQL: the product name without spaces, so 'GTX Pro' and the pipeline's 'GTXPro' match."""
    return f"NULLIF(replace({expression}, ' ', ''), '')"
