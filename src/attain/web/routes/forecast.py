"""The forecast: P10/P50/P90 of the quarter's bookings per scope, and the forecast cone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response

from attain.web import deps, view_models
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, PageUser, Services, TableParams
from attain.web.rendering import vega
from attain.web.schemas import Forecast

pages, api = deps.routers("forecast")


@pages.get("/forecast", response_class=HTMLResponse)
def forecast_page(page: CurrentPage, services: Services, as_of: AsOfParam = None) -> Response:
    data = view_models.forecast_view(services, page.user, as_of)
    return page.render("forecast.html", data=data, page="forecast")


@pages.get("/fragments/cone", response_class=HTMLResponse)
def cone_fragment(services: Services, user: PageUser, as_of: AsOfParam = None) -> Response:
    spec = view_models.cone_view(services, user, as_of)
    return HTMLResponse(str(vega(spec, "forecast-cone")) or "<p>No forecast to show.</p>")


@api.get(
    "/forecast", response_model=Forecast, summary="P10/P50/P90 of the quarter's bookings per scope"
)
def forecast(
    services: Services,
    user: ApiUser,
    table: TableParams,
    scope: Annotated[
        str | None, Query(pattern="^(company|team|rep)$", description="Only these rows.")
    ] = None,
) -> Any:
    data = view_models.forecast_view(services, user, table.as_of, scope)
    return table.answer(data, data["rows"], f"forecast-{data['as_of']}")
