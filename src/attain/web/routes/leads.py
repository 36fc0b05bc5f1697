"""Leads and channels: lead sources and campaigns by revenue per lead, lead grades and the
ideal customer profile."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, Response

from attain.web import deps, view_models
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, ListParams, Services, TableParams
from attain.web.schemas import Channels, Icp, LeadGrade, Page

pages, api = deps.routers("leads")


@pages.get("/leads", response_class=HTMLResponse)
def leads_page(page: CurrentPage, services: Services, as_of: AsOfParam = None) -> Response:
    data = view_models.channels_view(services, page.user, as_of)
    icp = view_models.icp_view(services, page.user)
    counts: dict[str, int] = {}
    if icp["defined"]:
        for row in view_models.lead_grades_view(services, page.user, as_of):
            counts[row["grade"] or "—"] = counts.get(row["grade"] or "—", 0) + 1
    return page.render("leads.html", data=data, icp=icp, grade_counts=counts, page="leads")


@api.get(
    "/channels",
    response_model=Channels,
    summary="Lead sources and campaigns by revenue per lead",
)
def channels(services: Services, user: ApiUser, table: TableParams) -> Any:
    data = view_models.channels_view(services, user, table.as_of)
    rows = [data["total"], *data["sources"], *data["campaigns"]]
    return table.answer({k: v for k, v in data.items() if k != "chart"}, rows, "channels")


@api.get(
    "/leads/grades",
    response_model=Page[LeadGrade],
    summary="Every lead's grade, fit and engagement (paginated)",
)
def lead_grades(
    services: Services, user: ApiUser, listing: ListParams, as_of: AsOfParam = None
) -> Any:
    return listing.answer(view_models.lead_grades_view(services, user, as_of), "lead-grades")


@api.get("/leads/icp", summary="The ideal customer profile's rules")
def icp(services: Services, user: ApiUser) -> Icp:
    return Icp.model_validate(view_models.icp_view(services, user))
