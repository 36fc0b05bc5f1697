"""The weekly digest of the company, a team or a rep: a page, and JSON, HTML or Markdown."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from attain.reports.formats import Format
from attain.web import coaching_view_models
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, Services, routers
from attain.web.schemas import Digest
from attain.workflow.digest import render_html, render_markdown

pages, api = routers("digest")


DigestFormat = Literal[Format.JSON, Format.HTML, Format.MARKDOWN]
"""How a digest comes back: JSON, e-mail ready HTML or Markdown."""


@pages.get("/digest", response_class=HTMLResponse)
def digest_page(
    page: CurrentPage,
    services: Services,
    engine: AppDb,
    as_of: AsOfParam = None,
    team: str | None = None,
    rep: str | None = None,
) -> Response:
    found = coaching_view_models.digest_view(services, engine, page.user, as_of, team, rep)
    data = found.digest.to_dict()
    return page.render("digest.html", data=data, teams=found.teams, page="digest")


@api.get(
    "/digest", response_model=Digest, summary="The weekly digest of the company, a team or a rep"
)
def digest(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    as_of: AsOfParam = None,
    team: Annotated[str | None, Query(description="This team's digest.")] = None,
    rep: Annotated[str | None, Query(description="This rep's digest.")] = None,
    output: Annotated[
        DigestFormat, Query(alias="format", description="json, html (e-mail ready) or markdown.")
    ] = Format.JSON,
) -> Any:
    found = coaching_view_models.digest_view(services, engine, user, as_of, team, rep)
    if output is Format.HTML:
        return HTMLResponse(render_html(found.digest))
    if output is Format.MARKDOWN:
        return PlainTextResponse(render_markdown(found.digest), media_type="text/markdown")
    return found.digest.to_dict()
