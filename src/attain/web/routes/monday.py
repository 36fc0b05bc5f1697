"""The Monday view: what changed since the previous data version, for the company, a team or
a rep, as far as the user may see their performance (attain.history.monday)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response
from fastapi.responses import HTMLResponse

from attain.web.deps import CurrentPage, RepParam, Services, TeamParam, routers
from attain.web.monday import monday_view

pages, api = routers("monday")

Since = Annotated[str | None, Query(max_length=40)]


@pages.get("/monday", response_class=HTMLResponse)
def monday_page(
    page: CurrentPage,
    services: Services,
    since: Since = None,
    team: TeamParam = None,
    rep: RepParam = None,
) -> Response:
    """What changed since the previous data version (or the one nearest `since`)."""
    data = monday_view(services, page.user, since or None, team or None, rep or None)
    return page.render("monday.html", data=data, page="monday")
