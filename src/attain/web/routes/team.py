"""The team overview: attainment and pacing per rep, team and company, and the reps' list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import view_models
from attain.web.deps import (
    ApiUser,
    AsOfParam,
    Format,
    FormatParam,
    ListParams,
    PageUser,
    Services,
    TeamParam,
)
from attain.web.listing import csv_response
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["team"])

REPS_SHOWN = 100
"""Reps listed on the team overview by default, most at risk first (like `attain report
--limit`); `?limit=0` lists all, and the CSV link always has every row."""


@pages.get("/team", response_class=HTMLResponse)
def team_page(
    request: Request,
    services: Services,
    user: PageUser,
    as_of: AsOfParam = None,
    team: TeamParam = None,
    limit: Annotated[int, Query(ge=0)] = REPS_SHOWN,
) -> Response:
    data = view_models.team_overview(services, user, as_of, team)
    shown = data["reps"] if limit == 0 else data["reps"][:limit]
    return render(request, "team.html", user, data=data, reps=shown, page="team")


@api.get("/team-overview", summary="Attainment and pacing per rep, team and company")
def team_overview(
    services: Services,
    user: ApiUser,
    as_of: AsOfParam = None,
    team: TeamParam = None,
    output: FormatParam = Format.JSON,
) -> Any:
    data = view_models.team_overview(services, user, as_of, team)
    if output is Format.CSV:
        return csv_response(data["reps"], f"team-overview-{data['as_of']}")
    return data


@api.get("/reps", summary="Reps' lines, most at risk first (paginated)")
def reps(services: Services, user: ApiUser, listing: ListParams, as_of: AsOfParam = None) -> Any:
    return listing.answer(view_models.rep_list(services, user, as_of), "reps")
