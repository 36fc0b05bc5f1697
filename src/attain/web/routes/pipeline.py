"""The pipeline waterfall: how a quarter's pipeline moved week by week, with the deals behind
each bar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from attain.reports.history import waterfall_csv
from attain.web.deps import (
    ApiUser,
    AsOfParam,
    Format,
    FormatParam,
    PageUser,
    PeriodParam,
    Services,
)
from attain.web.pipeline import waterfall_of, waterfall_view
from attain.web.rendering import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["pipeline"])


@pages.get("/pipeline/waterfall", response_class=HTMLResponse)
def waterfall_page(
    request: Request,
    services: Services,
    user: PageUser,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    team: str | None = None,
    rep: str | None = None,
) -> Response:
    data = waterfall_view(services, user, as_of, period or None, team, rep)
    return render(request, "pipeline_waterfall.html", user, data=data, page="forecast")


@api.get("/pipeline/waterfall", summary="The quarter's pipeline week by week, with deals")
def waterfall_api(
    services: Services,
    user: ApiUser,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    team: Annotated[str | None, Query(description="Only this team's deals.")] = None,
    rep: Annotated[str | None, Query(description="Only this rep's deals.")] = None,
    output: FormatParam = Format.JSON,
) -> Any:
    """Per week: the pipeline at start and end and each movement with the deals behind it;
    `format=csv` gives one row per week and line (start, each movement, end)."""
    if output is Format.CSV:
        result, _ = waterfall_of(services, user, as_of, period or None, team, rep)
        return Response(
            waterfall_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="pipeline-waterfall.csv"'},
        )
    data = waterfall_view(services, user, as_of, period or None, team, rep)
    return {key: value for key, value in data.items() if key != "chart"}
