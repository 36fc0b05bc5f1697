"""Leads and channels: lead sources and campaigns by revenue per lead, lead grades and the
ideal customer profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import view_models
from attain.web.deps import ApiUser, AsOfParam, Format, FormatParam, ListParams, PageUser, Services
from attain.web.listing import csv_response
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["leads"])


@pages.get("/leads", response_class=HTMLResponse)
def leads_page(
    request: Request, services: Services, user: PageUser, as_of: AsOfParam = None
) -> Response:
    data = view_models.channels_view(services, user, as_of)
    icp = view_models.icp_view(services, user)
    counts: dict[str, int] = {}
    if icp["defined"]:
        for row in view_models.lead_grades_view(services, user, as_of):
            counts[row["grade"] or "—"] = counts.get(row["grade"] or "—", 0) + 1
    return render(
        request, "leads.html", user, data=data, icp=icp, grade_counts=counts, page="leads"
    )


@api.get("/channels", summary="Lead sources and campaigns by revenue per lead")
def channels(
    services: Services, user: ApiUser, as_of: AsOfParam = None, output: FormatParam = Format.JSON
) -> Any:
    data = view_models.channels_view(services, user, as_of)
    if output is Format.CSV:
        return csv_response([data["total"], *data["sources"], *data["campaigns"]], "channels")
    data.pop("chart")
    return data


@api.get("/leads/grades", summary="Every lead's grade, fit and engagement (paginated)")
def lead_grades(
    services: Services, user: ApiUser, listing: ListParams, as_of: AsOfParam = None
) -> Any:
    return listing.answer(view_models.lead_grades_view(services, user, as_of), "lead-grades")


@api.get("/leads/icp", summary="The ideal customer profile's rules")
def icp(services: Services, user: ApiUser) -> dict[str, Any]:
    return view_models.icp_view(services, user)
