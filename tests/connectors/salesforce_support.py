"""A small Salesforce org for the sync tests, and the Data Export of the same records.

Three users (a manager and two reps under one role), two accounts, a product, four deals with
their stage history, a line item, a task, an event and two currencies with a dated rate. No
leads, campaigns or forecasting quotas: describing those objects answers 404, as in an org
without them.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

from connectors_support import FakeSalesforce

STAMP = "2026-02-20T08:00:00.000+0000"

USERS = [
    {
        "Id": "005A0000001",
        "Name": "Mia Manager",
        "FirstName": "Mia",
        "LastName": "Manager",
        "Email": "mia@example.com",
        "IsActive": True,
        "UserType": "Standard",
        "UserRoleId": "00EA0000001",
        "ManagerId": None,
        "CreatedDate": "2025-01-06T09:00:00.000+0000",
    },
    {
        "Id": "005B0000001",
        "Name": "Ben Baker",
        "FirstName": "Ben",
        "LastName": "Baker",
        "Email": "ben@example.com",
        "IsActive": True,
        "UserType": "Standard",
        "UserRoleId": "00EA0000001",
        "ManagerId": "005A0000001",
        "CreatedDate": "2025-02-03T09:00:00.000+0000",
    },
    {
        "Id": "005C0000001",
        "Name": "Cat Cole",
        "FirstName": "Cat",
        "LastName": "Cole",
        "Email": "cat@example.com",
        "IsActive": True,
        "UserType": "Standard",
        "UserRoleId": "00EA0000001",
        "ManagerId": "005A0000001",
        "CreatedDate": "2025-03-03T09:00:00.000+0000",
    },
]


def _deal(
    deal_id: str,
    account: str,
    owner: str,
    stage: str,
    amount: float,
    currency: str,
    created: str,
    close: str,
    closed: bool,
    won: bool,
    probability: int,
    category: str,
) -> dict[str, Any]:
    return {
        "Id": deal_id,
        "AccountId": account,
        "OwnerId": owner,
        "LeadSource": "Web",
        "StageName": stage,
        "Amount": amount,
        "CurrencyIsoCode": currency,
        "CreatedDate": f"{created}T10:00:00.000+0000",
        "CloseDate": close,
        "IsClosed": closed,
        "IsWon": won,
        "Probability": probability,
        "ForecastCategoryName": category,
        "IsDeleted": False,
        "SystemModstamp": STAMP,
    }


def _stage_change(change_id: str, deal: str, old: str, new: str, at: str) -> dict[str, Any]:
    return {
        "Id": change_id,
        "OpportunityId": deal,
        "Field": "StageName",
        "OldValue": old,
        "NewValue": new,
        "CreatedDate": f"{at}T12:00:00.000+0000",
        "IsDeleted": False,
    }


def records() -> dict[str, list[dict[str, Any]]]:
    """The org's records before any change."""
    live = {"IsDeleted": False, "SystemModstamp": STAMP}
    return {
        "User": copy.deepcopy(USERS),
        "UserRole": [{"Id": "00EA0000001", "Name": "West", "ParentRoleId": None}],
        "Account": [
            {
                "Id": "001A0000001",
                "Name": "Acme",
                "Industry": "Technology",
                "NumberOfEmployees": 200,
                "AnnualRevenue": 1000000.0,
                "BillingCountry": "US",
                **live,
            },
            {
                "Id": "001B0000001",
                "Name": "Globex",
                "Industry": "Manufacturing",
                "NumberOfEmployees": 1200,
                "AnnualRevenue": None,
                "BillingCountry": "DE",
                **live,
            },
        ],
        "Product2": [{"Id": "01tA0000001", "Name": "Core", "Family": "Software", **live}],
        "Opportunity": [
            _deal(
                "006A0000001",
                "001A0000001",
                "005B0000001",
                "Closed Won",
                12000.0,
                "USD",
                "2026-01-05",
                "2026-02-10",
                True,
                True,
                100,
                "Closed",
            ),
            _deal(
                "006B0000001",
                "001B0000001",
                "005C0000001",
                "Prospecting",
                8000.0,
                "EUR",
                "2026-01-12",
                "2026-03-31",
                False,
                False,
                10,
                "Pipeline",
            ),
            _deal(
                "006C0000001",
                "001A0000001",
                "005C0000001",
                "Negotiation",
                5000.0,
                "USD",
                "2026-01-19",
                "2026-03-15",
                False,
                False,
                60,
                "Commit",
            ),
            _deal(
                "006D0000001",
                "001B0000001",
                "005B0000001",
                "Closed Lost",
                3000.0,
                "USD",
                "2026-01-20",
                "2026-02-05",
                True,
                False,
                0,
                "Omitted",
            ),
        ],
        "OpportunityFieldHistory": [
            _stage_change("017A0000001", "006A0000001", "Prospecting", "Negotiation", "2026-01-20"),
            _stage_change("017A0000002", "006A0000001", "Negotiation", "Closed Won", "2026-02-10"),
            _stage_change("017C0000001", "006C0000001", "Prospecting", "Negotiation", "2026-02-01"),
            _stage_change("017D0000001", "006D0000001", "Prospecting", "Closed Lost", "2026-02-05"),
        ],
        "OpportunityLineItem": [
            {
                "Id": "00kA0000001",
                "OpportunityId": "006A0000001",
                "Product2Id": "01tA0000001",
                "TotalPrice": 12000.0,
                **live,
            },
        ],
        "Task": [
            {
                "Id": "00TA0000001",
                "OwnerId": "005B0000001",
                "CreatedDate": "2026-01-14T09:00:00.000+0000",
                "Type": "Call",
                "TaskSubtype": "Call",
                "IsClosed": True,
                "Status": "Completed",
                "ActivityDate": "2026-01-15",
                "CompletedDateTime": "2026-01-15T16:00:00.000+0000",
                "WhatId": "006A0000001",
                "WhoId": None,
                "CallDisposition": "Connected",
                **live,
            },
        ],
        "Event": [
            {
                "Id": "00UA0000001",
                "OwnerId": "005C0000001",
                "CreatedDate": "2026-01-30T09:00:00.000+0000",
                "Type": "Meeting",
                "StartDateTime": "2026-02-02T15:00:00.000+0000",
                "ActivityDateTime": None,
                "ActivityDate": "2026-02-02",
                "WhatId": "006C0000001",
                "WhoId": None,
                **live,
            },
        ],
        "CurrencyType": [
            {
                "Id": "02cA0000001",
                "IsoCode": "USD",
                "ConversionRate": 1.0,
                "IsCorporate": True,
                "IsActive": True,
            },
            {
                "Id": "02cA0000002",
                "IsoCode": "EUR",
                "ConversionRate": 0.9,
                "IsCorporate": False,
                "IsActive": True,
            },
        ],
        "DatedConversionRate": [
            {
                "Id": "04wA0000001",
                "IsoCode": "EUR",
                "ConversionRate": 0.92,
                "StartDate": "2026-01-01",
                "NextStartDate": "9999-12-31",
            },
        ],
    }


def org() -> FakeSalesforce:
    """The org, with each object's fields as its describe lists them."""
    data = records()
    fields = {
        name: list(dict.fromkeys(k for row in rows for k in row)) for name, rows in data.items()
    }
    fields["Opportunity"].append("Description")  # a field the sync does not ask for
    return FakeSalesforce(fields=fields, records=data)


def change(server: FakeSalesforce) -> None:
    """What happens in the org on 2 March: a deal moves on, one is deleted, one is created."""
    stamp = "2026-03-02T09:00:00.000+0000"
    deals = {deal["Id"]: deal for deal in server.records["Opportunity"]}
    deals["006B0000001"].update(
        StageName="Negotiation",
        Amount=9000.0,
        Probability=60,
        ForecastCategoryName="Commit",
        SystemModstamp=stamp,
    )
    server.records["OpportunityFieldHistory"].append(
        _stage_change("017B0000001", "006B0000001", "Prospecting", "Negotiation", "2026-03-02")
    )
    deals["006D0000001"].update(IsDeleted=True, SystemModstamp=stamp)
    for row in server.records["OpportunityFieldHistory"]:
        if row["OpportunityId"] == "006D0000001":
            row["IsDeleted"] = True  # a deleted deal's history goes to the recycle bin with it
    new = _deal(
        "006E0000001",
        "001A0000001",
        "005B0000001",
        "Prospecting",
        4000.0,
        "USD",
        "2026-03-02",
        "2026-04-30",
        False,
        False,
        10,
        "Pipeline",
    )
    server.records["Opportunity"].append(new | {"SystemModstamp": stamp})
    server.records["Task"].append(
        server.records["Task"][0]
        | {
            "Id": "00TA0000002",
            "WhatId": "006E0000001",
            "CreatedDate": "2026-03-02T08:00:00.000+0000",
            "SystemModstamp": stamp,
        }
    )


def write_export(server: FakeSalesforce, folder: Path) -> Path:
    """The org's live records as a Data Export writes them: one CSV per object, API field names,
    booleans as true/false, dateTimes in UTC with a Z, recycle-bin records left out."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in server.records.items():
        live = [row for row in rows if not row.get("IsDeleted")]
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / f"{name}.csv").open("w", newline="") as target:
            writer = csv.DictWriter(target, fieldnames=columns)
            writer.writeheader()
            writer.writerows({k: _exported(v) for k, v in row.items()} for row in live)
    return folder


def _exported(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.endswith(".000+0000"):
        return value.replace(".000+0000", ".000Z")
    return str(value)
