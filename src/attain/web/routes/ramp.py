"""New hires' ramp against their cohort median."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import management
from attain.web.deps import ApiUser, AsOfParam, ListParams, PageUser, Services
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["ramp"])


@pages.get("/ramp", response_class=HTMLResponse)
def ramp_page(
    request: Request,
    services: Services,
    user: PageUser,
    as_of: AsOfParam = None,
    rep: str | None = None,
) -> Response:
    data = management.ramp_view(services, user, as_of, rep)
    return render(request, "ramp.html", user, data=data, page="ramp")


@api.get("/ramp", summary="New hires' ramp against their cohort median, behind first")
def ramp(
    services: Services,
    user: ApiUser,
    listing: ListParams,
    as_of: AsOfParam = None,
    behind: Annotated[bool, Query(description="Only reps behind their cohort.")] = False,
) -> Any:
    data = management.ramp_view(services, user, as_of, behind_only=behind)
    return listing.answer(data["rows"], "ramp")
