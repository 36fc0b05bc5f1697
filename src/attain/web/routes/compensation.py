"""Compensation: each rep's payout for a period, and whether the plan rewards priority
products."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import management
from attain.web.deps import (
    ApiUser,
    AppDb,
    AsOfParam,
    Format,
    FormatParam,
    PageUser,
    PeriodParam,
    RepParam,
    Services,
)
from attain.web.listing import csv_response
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["compensation"])


@pages.get("/compensation", response_class=HTMLResponse)
def compensation_page(
    request: Request,
    services: Services,
    engine: AppDb,
    user: PageUser,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    rep: str | None = None,
) -> Response:
    data = management.payouts_view(services, engine, user, as_of, period or None, rep)
    return render(request, "compensation.html", user, data=data, page="compensation")


@api.get(
    "/payouts",
    summary="Each rep's payout for a period and whether the plan rewards priority products",
)
def payouts(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    rep_id: RepParam = None,
    output: FormatParam = Format.JSON,
) -> Any:
    data = management.payouts_view(services, engine, user, as_of, period, rep_id)
    if output is Format.CSV:
        rows = [{k: v for k, v in row.items() if k != "deals"} for row in data["reps"]]
        return csv_response(rows, f"payouts-{data['period']['start']}")
    return data
