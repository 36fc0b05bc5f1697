"""The forecast: P10/P50/P90 of the quarter's bookings per scope, and the forecast cone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from attain.web import view_models
from attain.web.deps import ApiUser, AsOfParam, Format, FormatParam, PageUser, Services
from attain.web.listing import csv_response
from attain.web.rendering import render, vega

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["forecast"])


@pages.get("/forecast", response_class=HTMLResponse)
def forecast_page(
    request: Request, services: Services, user: PageUser, as_of: AsOfParam = None
) -> Response:
    data = view_models.forecast_view(services, user, as_of)
    return render(request, "forecast.html", user, data=data, page="forecast")


@pages.get("/fragments/cone", response_class=HTMLResponse)
def cone_fragment(services: Services, user: PageUser, as_of: AsOfParam = None) -> Response:
    spec = view_models.cone_view(services, user, as_of)
    return HTMLResponse(str(vega(spec, "forecast-cone")) or "<p>No forecast to show.</p>")


@api.get("/forecast", summary="P10/P50/P90 of the quarter's bookings per scope")
def forecast(
    services: Services,
    user: ApiUser,
    as_of: AsOfParam = None,
    scope: Annotated[
        str | None, Query(pattern="^(company|team|rep)$", description="Only these rows.")
    ] = None,
    output: FormatParam = Format.JSON,
) -> Any:
    data = view_models.forecast_view(services, user, as_of, scope)
    if output is Format.CSV:
        return csv_response(data["rows"], f"forecast-{data['as_of']}")
    return data
