"""The sales–marketing alignment meeting: its agenda and the actions agreed."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, Response

from attain.web import coaching_view_models
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, Services, TableParams, routers
from attain.web.schemas import Alignment

pages, api = routers("alignment")


@pages.get("/alignment", response_class=HTMLResponse)
def alignment_page(
    page: CurrentPage, services: Services, engine: AppDb, as_of: AsOfParam = None
) -> Response:
    data = coaching_view_models.alignment_view(services, engine, page.user, as_of)
    return page.render("alignment.html", data=data, page="alignment")


@api.get(
    "/alignment",
    response_model=Alignment,
    summary="The sales–marketing alignment agenda and meeting actions",
)
def alignment(services: Services, engine: AppDb, user: ApiUser, table: TableParams) -> Any:
    data = coaching_view_models.alignment_view(services, engine, user, table.as_of)
    return table.answer(data, data["actions"], f"alignment-actions-{data['as_of']}")
