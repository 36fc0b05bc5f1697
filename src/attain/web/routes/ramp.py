"""New hires' ramp against their cohort median."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response

from attain.web import management
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, ListParams, Services, routers
from attain.web.schemas import Page, RampLine

pages, api = routers("ramp")


@pages.get("/ramp", response_class=HTMLResponse)
def ramp_page(
    page: CurrentPage, services: Services, as_of: AsOfParam = None, rep: str | None = None
) -> Response:
    data = management.ramp_view(services, page.user, as_of, rep)
    return page.render("ramp.html", data=data, page="ramp")


@api.get(
    "/ramp",
    response_model=Page[RampLine],
    summary="New hires' ramp against their cohort median, behind first",
)
def ramp(
    services: Services,
    user: ApiUser,
    listing: ListParams,
    as_of: AsOfParam = None,
    behind: Annotated[bool, Query(description="Only reps behind their cohort.")] = False,
) -> Any:
    data = management.ramp_view(services, user, as_of, behind_only=behind)
    return listing.answer(data["rows"], "ramp")
