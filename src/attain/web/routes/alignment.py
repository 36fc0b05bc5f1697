"""The sales–marketing alignment meeting: its agenda and the actions agreed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import coaching_view_models
from attain.web.deps import ApiUser, AppDb, AsOfParam, Format, FormatParam, PageUser, Services
from attain.web.listing import csv_response
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["alignment"])


@pages.get("/alignment", response_class=HTMLResponse)
def alignment_page(
    request: Request, services: Services, engine: AppDb, user: PageUser, as_of: AsOfParam = None
) -> Response:
    data = coaching_view_models.alignment_view(services, engine, user, as_of)
    return render(request, "alignment.html", user, data=data, page="alignment")


@api.get("/alignment", summary="The sales–marketing alignment agenda and meeting actions")
def alignment(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    as_of: AsOfParam = None,
    output: FormatParam = Format.JSON,
) -> Any:
    data = coaching_view_models.alignment_view(services, engine, user, as_of)
    if output is Format.CSV:
        return csv_response(data["actions"], f"alignment-actions-{data['as_of']}")
    return data
