"""A small HubSpot portal for the sync tests, and its CRM export of the same records.

Two owners, the default deal pipeline, two companies, two contacts and three deals with their
associations (each deal's company primary).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from connectors_support import FakeHubSpot, hs_time

STAMP = "2026-02-20T08:00:00.000Z"

STAGES = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}


def _record(record_id: str, created: str, **properties: str | None) -> dict[str, Any]:
    modified = "lastmodifieddate" if "email" in properties else "hs_lastmodifieddate"
    values = {"hs_object_id": record_id, "createdate": created, modified: STAMP, **properties}
    return {
        "id": record_id,
        "properties": values,
        "createdAt": created,
        "updatedAt": STAMP,
        "archived": False,
    }


def portal() -> FakeHubSpot:
    owners = [
        {
            "id": "101",
            "email": "ann@example.com",
            "firstName": "Ann",
            "lastName": "Archer",
            "userId": 9001,
            "type": "PERSON",
            "archived": False,
            "teams": [],
            "createdAt": STAMP,
            "updatedAt": STAMP,
        },
        {
            "id": "102",
            "email": "bob@example.com",
            "firstName": "Bob",
            "lastName": "Brown",
            "userId": 9002,
            "type": "PERSON",
            "archived": False,
            "teams": [],
            "createdAt": STAMP,
            "updatedAt": STAMP,
        },
    ]
    stages = [
        {
            "id": stage_id,
            "label": label,
            "displayOrder": order,
            "archived": False,
            "metadata": {"isClosed": str(stage_id.startswith("closed")).lower()},
            "createdAt": STAMP,
            "updatedAt": STAMP,
        }
        for order, (stage_id, label) in enumerate(STAGES.items())
    ]
    pipelines = [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "stages": stages,
            "createdAt": STAMP,
            "updatedAt": STAMP,
        }
    ]
    companies = [
        _record(
            "201",
            "2025-11-03T09:00:00.000Z",
            name="Acme",
            domain="acme.com",
            website="https://www.acme.com",
            industry="COMPUTER_SOFTWARE",
            numberofemployees="200",
            annualrevenue="1000000",
            country="United States",
            hubspot_owner_id="101",
        ),
        _record(
            "202",
            "2025-11-10T09:00:00.000Z",
            name="Globex",
            domain="globex.com",
            website=None,
            industry="MACHINERY",
            numberofemployees="1200",
            annualrevenue=None,
            country="Germany",
            hubspot_owner_id="102",
        ),
    ]
    contacts = [
        _record(
            "301",
            "2025-12-01T09:00:00.000Z",
            email="jo@acme.com",
            hubspot_owner_id="101",
            hs_lead_status="CONNECTED",
            lifecyclestage="opportunity",
            jobtitle="CTO",
            company="Acme",
            hs_analytics_source="ORGANIC_SEARCH",
        ),
        _record(
            "302",
            "2025-12-05T09:00:00.000Z",
            email="kim@globex.com",
            hubspot_owner_id="102",
            hs_lead_status=None,
            lifecyclestage="lead",
            jobtitle="Buyer",
            company="Globex",
            hs_analytics_source="PAID_SEARCH",
        ),
    ]
    deals = [
        _deal(
            "401",
            "2026-01-05T10:00:00.000Z",
            "Acme expansion",
            "closedwon",
            "12000",
            "2026-02-10T00:00:00.000Z",
            "101",
            "1.0",
        ),
        _deal(
            "402",
            "2026-01-12T10:00:00.000Z",
            "Globex rollout",
            "qualifiedtobuy",
            "8000",
            "2026-03-31T00:00:00.000Z",
            "102",
            "0.4",
        ),
        _deal(
            "403",
            "2026-01-19T10:00:00.000Z",
            "Acme add-on",
            "appointmentscheduled",
            "5000",
            "2026-03-15T00:00:00.000Z",
            "102",
            "0.2",
        ),
    ]
    _history(
        deals[0],
        ("appointmentscheduled", "2026-01-05T10:00:00.000Z"),
        ("qualifiedtobuy", "2026-01-20T12:00:00.000Z"),
        ("closedwon", "2026-02-10T12:00:00.000Z"),
    )
    _history(
        deals[1],
        ("appointmentscheduled", "2026-01-12T10:00:00.000Z"),
        ("qualifiedtobuy", "2026-02-01T12:00:00.000Z"),
    )
    _history(deals[2], ("appointmentscheduled", "2026-01-19T10:00:00.000Z"))
    associations = {
        ("deals", "companies"): {
            "401": [("201", True)],
            "402": [("202", True)],
            "403": [("201", True)],
        },
        ("deals", "contacts"): {"401": [("301", False)], "402": [("302", False)]},
    }
    engagements = {
        "calls": [_engagement("501", "2026-01-15T16:00:00.000Z", "101")],
        "emails": [_engagement("511", "2026-01-20T09:30:00.000Z", "102")],
        "meetings": [
            _engagement(
                "521",
                "2026-01-30T09:00:00.000Z",
                "102",
                hs_meeting_start_time="2026-02-02T15:00:00.000Z",
            ),
        ],
        "tasks": [
            _engagement(
                "531",
                "2026-03-05T09:00:00.000Z",
                "101",
                hs_task_status="NOT_STARTED",
                hs_task_type="CALL",
                hs_task_completion_date=None,
            ),
            _engagement(
                "532",
                "2026-02-04T09:00:00.000Z",
                "102",
                hs_task_status="COMPLETED",
                hs_task_type="TODO",
                hs_task_completion_date="2026-02-03T10:00:00.000Z",
            ),
        ],
    }
    associations |= {
        ("calls", "deals"): {"501": [("401", False)]},
        ("calls", "contacts"): {"501": [("301", False)]},
        ("emails", "deals"): {"511": [("402", False)]},
        ("emails", "contacts"): {"511": [("302", False)]},
        ("meetings", "deals"): {"521": [("403", False)]},
        ("meetings", "contacts"): {},
        ("tasks", "deals"): {"531": [("402", False)], "532": [("403", False)]},
        ("tasks", "contacts"): {},
    }
    return FakeHubSpot(
        owners,
        pipelines,
        {"companies": companies, "contacts": contacts, "deals": deals, **engagements},
        associations,
    )


def _engagement(record_id: str, at: str, owner: str, **properties: str | None) -> dict[str, Any]:
    """A call, e-mail, meeting or task: when (hs_timestamp; a task's due time), its owner."""
    values = {
        "hs_object_id": record_id,
        "hs_timestamp": at,
        "hubspot_owner_id": owner,
        "hs_createdate": "2026-01-02T08:00:00.000Z",
        "hs_lastmodifieddate": STAMP,
        **properties,
    }
    return {
        "id": record_id,
        "properties": values,
        "createdAt": "2026-01-02T08:00:00.000Z",
        "updatedAt": STAMP,
        "archived": False,
    }


def _deal(
    deal_id: str,
    created: str,
    name: str,
    stage: str,
    amount: str,
    close: str,
    owner: str,
    probability: str,
) -> dict[str, Any]:
    return _record(
        deal_id,
        created,
        dealname=name,
        dealstage=stage,
        pipeline="default",
        amount=amount,
        closedate=close,
        hubspot_owner_id=owner,
        deal_currency_code="USD",
        hs_deal_stage_probability=probability,
    )


def _history(deal: dict[str, Any], *values: tuple[str, str]) -> None:
    """The deal's dealstage property history: each value set, and when."""
    deal["history"] = {"dealstage": list(values)}


def change(server: FakeHubSpot) -> None:
    """2 March: deal 402 is won at 9,000, deal 403 is deleted (archived), deal 404 created."""
    stamp = "2026-03-02T09:00:00.000Z"
    deals = {deal["id"]: deal for deal in server.records["deals"]}
    deals["402"]["properties"].update(
        dealstage="closedwon",
        amount="9000",
        closedate="2026-03-02T00:00:00.000Z",
        hs_deal_stage_probability="1.0",
        hs_lastmodifieddate=stamp,
    )
    deals["402"]["history"]["dealstage"].append(("closedwon", stamp))
    deals["403"].update(archived=True, archivedAt=stamp)
    for kind in ("meetings", "tasks"):  # HubSpot drops a deleted deal's associations
        links = server.associations[(kind, "deals")]
        for record_id, targets in links.items():
            links[record_id] = [(deal, primary) for deal, primary in targets if deal != "403"]
    new = _deal(
        "404",
        stamp,
        "Globex services",
        "appointmentscheduled",
        "4000",
        "2026-04-30T00:00:00.000Z",
        "101",
        "0.2",
    )
    new["properties"]["hs_lastmodifieddate"] = stamp
    _history(new, ("appointmentscheduled", stamp))
    server.records["deals"].append(new)
    server.associations[("deals", "companies")]["404"] = [("202", True)]


EXPORT_LABELS = {
    "companies": {
        "hs_object_id": "Record ID",
        "name": "Company name",
        "domain": "Company Domain Name",
        "website": "Website",
        "industry": "Industry",
        "numberofemployees": "Number of Employees",
        "annualrevenue": "Annual Revenue",
        "country": "Country/Region",
        "hubspot_owner_id": "Company owner",
        "createdate": "Create Date",
    },
    "contacts": {
        "hs_object_id": "Record ID",
        "email": "Email",
        "createdate": "Create Date",
        "hubspot_owner_id": "Contact owner",
        "hs_lead_status": "Lead Status",
        "lifecyclestage": "Lifecycle Stage",
        "jobtitle": "Job Title",
        "company": "Company Name",
        "hs_analytics_source": "Original Source",
    },
    "deals": {
        "hs_object_id": "Record ID",
        "dealname": "Deal Name",
        "dealstage": "Deal Stage",
        "pipeline": "Pipeline",
        "amount": "Amount",
        "closedate": "Close Date",
        "createdate": "Create Date",
        "hubspot_owner_id": "Deal owner",
        "deal_currency_code": "Deal Currency Code",
        "hs_deal_stage_probability": "Deal Stage Probability",
    },
}


def write_export(server: FakeHubSpot, folder: Path) -> Path:
    """The portal's records as HubSpot's export writes them: labels for headers, owners by name,
    stages and pipelines by label, dates as `YYYY-MM-DD HH:MM`, association ids `;`-separated."""
    folder.mkdir(parents=True, exist_ok=True)
    owners = {o["id"]: f"{o['firstName']} {o['lastName']}" for o in server.owners}
    for kind, labels in EXPORT_LABELS.items():
        rows = []
        for record in (r for r in server.records[kind] if not r["archived"]):
            values = record["properties"]
            row = {
                label: _exported(name, values.get(name), owners) for name, label in labels.items()
            }
            if kind == "deals":
                for to, column in (
                    ("companies", "Associated Company IDs"),
                    ("contacts", "Associated Contact IDs"),
                ):
                    linked = server.associations[("deals", to)].get(record["id"], [])
                    row[column] = ";".join(target for target, _ in linked)
            rows.append(row)
        with (folder / f"hubspot-crm-exports-all-{kind}-2026-03-03.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def _exported(name: str, value: str | None, owners: dict[str, str]) -> str:
    if value is None:
        return ""
    if name == "hubspot_owner_id":
        return owners[value]
    if name == "dealstage":
        return STAGES[value]
    if name == "pipeline":
        return "Sales Pipeline"
    if name in ("createdate", "closedate"):
        return hs_time(value).strftime("%Y-%m-%d %H:%M")
    return value
