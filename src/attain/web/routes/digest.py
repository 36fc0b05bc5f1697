"""The weekly digest of the company, a team or a rep: a page, and JSON, HTML or Markdown."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from attain.web import coaching_view_models
from attain.web.deps import ApiUser, AppDb, AsOfParam, PageUser, Services
from attain.web.rendering import render
from attain.workflow.digest import render_html, render_markdown

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["digest"])


class DigestFormat(StrEnum):
    """How a digest comes back."""

    JSON = "json"
    HTML = "html"
    MARKDOWN = "markdown"


@pages.get("/digest", response_class=HTMLResponse)
def digest_page(
    request: Request,
    services: Services,
    engine: AppDb,
    user: PageUser,
    as_of: AsOfParam = None,
    team: str | None = None,
    rep: str | None = None,
) -> Response:
    found = coaching_view_models.digest_view(services, engine, user, as_of, team, rep)
    data = found.digest.to_dict()
    return render(request, "digest.html", user, data=data, teams=found.teams, page="digest")


@api.get("/digest", summary="The weekly digest of the company, a team or a rep")
def digest(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    as_of: AsOfParam = None,
    team: Annotated[str | None, Query(description="This team's digest.")] = None,
    rep: Annotated[str | None, Query(description="This rep's digest.")] = None,
    output: Annotated[
        DigestFormat, Query(alias="format", description="json, html (e-mail ready) or markdown.")
    ] = DigestFormat.JSON,
) -> Any:
    found = coaching_view_models.digest_view(services, engine, user, as_of, team, rep)
    if output is DigestFormat.HTML:
        return HTMLResponse(render_html(found.digest))
    if output is DigestFormat.MARKDOWN:
        return PlainTextResponse(render_markdown(found.digest), media_type="text/markdown")
    return found.digest.to_dict()
