"""The Olist marketing funnel: marketing-qualified leads and the deals won from them.

Every MQL becomes a lead; every closed deal becomes a won opportunity, keyed by its MQL id,
with the seller as its account. See docs/presets.md for every mapping decision.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from attain.ingest.presets.exports import column, derived, match_files, require_files, stage, text
from attain.ingest.readers import ROW, RawFile, ReadOptions
from attain.ingest.sources import Plan, Source, mapped_source

MQLS = "olist_marketing_qualified_leads_dataset"
DEALS = "olist_closed_deals_dataset"
MQL_COLUMNS = ("mql_id", "first_contact_date", "landing_page_id", "origin")
DEAL_COLUMNS = (
    "mql_id",
    "seller_id",
    "sdr_id",
    "sr_id",
    "won_date",
    "business_segment",
    "declared_monthly_revenue",
)


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """Reps, accounts (sellers), leads and won opportunities from the two Olist files."""
    found, unmatched = match_files(paths, (MQLS, DEALS), lambda kind, stem: kind == stem)
    require_files(found, (MQLS, DEALS), "olist preset")
    mqls = stage(con, found[MQLS], MQL_COLUMNS, options)
    deals = stage(con, found[DEALS], DEAL_COLUMNS, options)
    leads, won, people = _joined(con, mqls, deals)
    plan = Plan(
        sources=_mapped_sources(leads, won, people),
        notes=[
            "olist: only won deals exist (no lost or open deals), and no activities, quotas, "
            "teams or products; opportunity amount is the seller's declared monthly revenue "
            "where declared (non-zero)"
        ],
    )
    if unmatched:
        plan.notes.append(f"olist: ignored {', '.join(unmatched)}")
    return plan


def _joined(
    con: duckdb.DuckDBPyConnection, mqls: RawFile, deals: RawFile
) -> tuple[RawFile, RawFile, RawFile]:
    """Leads (each MQL with its deal, if any), won deals (each with its lead's origin) and
    people (closers are reps, the others SDRs): Olist splits them over two files."""
    m = {name: text(f"m.{column(mqls, name)}") for name in MQL_COLUMNS}
    d = {name: text(f"d.{column(deals, name)}") for name in DEAL_COLUMNS}
    leads = derived(
        con,
        mqls,
        f"SELECT m.{ROW} AS {ROW}, {m['mql_id']} AS mql_id, "
        f"{m['first_contact_date']} AS first_contact_date, "
        f"{m['landing_page_id']} AS landing_page_id, {m['origin']} AS origin, "
        f"{d['mql_id']} AS deal_mql_id, {d['sdr_id']} AS sdr_id, {d['won_date']} AS won_date, "
        f"{d['business_segment']} AS business_segment "
        f"FROM {mqls.relation} m LEFT JOIN {deals.relation} d ON {d['mql_id']} = {m['mql_id']}",
    )
    won = derived(
        con,
        deals,
        f"SELECT d.{ROW} AS {ROW}, {', '.join(f'{d[name]} AS {name}' for name in DEAL_COLUMNS)}, "
        f"(SELECT {m['origin']} FROM {mqls.relation} m WHERE {m['mql_id']} = {d['mql_id']} "
        f"LIMIT 1) AS origin FROM {deals.relation} d",
    )
    # A person who closed any deal (sr_id) is a rep, even if they also qualified some.
    people = derived(
        con,
        deals,
        f"SELECT min({ROW}) AS {ROW}, person, "
        "CASE WHEN bool_or(is_sr) THEN 'rep' ELSE 'sdr' END AS role FROM ("
        f"SELECT {ROW}, sr_id AS person, true AS is_sr FROM {won.relation} UNION ALL "
        f"SELECT {ROW}, sdr_id, false FROM {won.relation}) "
        "WHERE person IS NOT NULL GROUP BY person",
    )
    return leads, won, people


def _mapped_sources(leads: RawFile, won: RawFile, people: RawFile) -> list[Source]:
    return [
        mapped_source(people, "reps", {"rep_id": "person", "name": "person", "role": "role"}),
        mapped_source(
            won,
            "accounts",
            {"account_id": "seller_id", "name": "seller_id", "industry": "business_segment"},
        ),
        mapped_source(
            leads,
            "leads",
            {
                "lead_id": "mql_id",
                "created_at": "first_contact_date",
                "mql_at": "first_contact_date",
                "source": "origin",
                "campaign": "landing_page_id",
                "industry": "business_segment",
                "owner_rep_id": "sdr_id",
                "status": "CASE WHEN deal_mql_id IS NULL THEN 'qualified' ELSE 'converted' END",
                "converted_at": "won_date",
                "opportunity_id": "deal_mql_id",
            },
        ),
        mapped_source(
            won,
            "opportunities",
            {
                "opportunity_id": "mql_id",
                "account_id": "seller_id",
                "owner_rep_id": "sr_id",
                "lead_id": "mql_id",
                "source": "origin",
                "closed_at": "won_date",
                "stage": "'Won'",
                "is_won": "'true'",
                # A declared monthly revenue of 0 means none was declared: no amount.
                "amount": "CASE WHEN TRY_CAST(declared_monthly_revenue AS DOUBLE) = 0 "
                "THEN NULL ELSE declared_monthly_revenue END",
            },
        ),
    ]
