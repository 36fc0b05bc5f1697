"""The team overview: attainment and pacing per rep, team and company, and the reps' list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response

from attain.web import deps, view_models
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, ListParams, Services, TableParams
from attain.web.schemas import Page, RepLine, TeamOverview

pages, api = deps.routers("team")

REPS_SHOWN = 100
"""Reps listed on the team overview by default, most at risk first (like `attain report
--limit`); `?limit=0` lists all, and the CSV link always has every row."""


@pages.get("/team", response_class=HTMLResponse)
def team_page(
    page: CurrentPage,
    services: Services,
    as_of: AsOfParam = None,
    team: deps.TeamParam = None,
    limit: Annotated[int, Query(ge=0)] = REPS_SHOWN,
) -> Response:
    data = view_models.team_overview(services, page.user, as_of, team)
    shown = data["reps"] if limit == 0 else data["reps"][:limit]
    return page.render("team.html", data=data, reps=shown, page="team")


@api.get(
    "/team-overview",
    response_model=TeamOverview,
    summary="Attainment and pacing per rep, team and company",
)
def team_overview(
    services: Services, user: ApiUser, table: TableParams, team: deps.TeamParam = None
) -> Any:
    data = view_models.team_overview(services, user, table.as_of, team)
    return table.answer(data, data["reps"], f"team-overview-{data['as_of']}")


@api.get(
    "/reps", response_model=Page[RepLine], summary="Reps' lines, most at risk first (paginated)"
)
def reps(services: Services, user: ApiUser, listing: ListParams, as_of: AsOfParam = None) -> Any:
    return listing.answer(view_models.rep_list(services, user, as_of), "reps")
