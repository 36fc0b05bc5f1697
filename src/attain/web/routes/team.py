"""The team overview: attainment and pacing per rep, team and company, and the reps' list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response

from attain.web import deps, view_models
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, ListParams, Services, TableParams
from attain.web.rendering import fragment
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
    def body() -> dict[str, Any]:
        data = view_models.team_overview(services, page.user, as_of, team)
        return {"data": data, "reps": data["reps"] if limit == 0 else data["reps"][:limit]}

    # Everything below the navigation comes from the store's data, as the viewer's scope sees
    # it: rendered once per data version, as-of day, team, limit and scope.
    common = limit in (0, REPS_SHOWN) and (
        team is None or team in view_models.known_teams(services)
    )
    key = (services.as_of(as_of), team, limit, page.user.scope) if common else None
    return page.render(
        "team.html", body=fragment(page.request, key, "_team_body.html", body), page="team"
    )


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
