"""The pipeline waterfall (how a quarter's pipeline moved week by week, with the deals behind
each bar) and the forecast calls (the CRM's commit, best case and pipeline each week against
what closed, beside Attain's P50)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response

from attain.reports.history import calls_csv, waterfall_csv
from attain.web import deps
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, Format, PeriodParam, Services
from attain.web.pipeline import calls_of, calls_view, waterfall_of, waterfall_view
from attain.web.schemas import ForecastCalls, Waterfall

pages, api = deps.routers("pipeline")

OnlyTeam = Annotated[str | None, Query(description="Only this team's deals.")]
OnlyRep = Annotated[str | None, Query(description="Only this rep's deals.")]


def _download(text: str, filename: str) -> Response:
    """A CSV answer the browser saves as `filename`."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@pages.get("/pipeline/waterfall", response_class=HTMLResponse)
def waterfall_page(
    page: CurrentPage,
    services: Services,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    team: str | None = None,
    rep: str | None = None,
) -> Response:
    data = waterfall_view(services, page.user, as_of, period or None, team, rep)
    return page.render("pipeline_waterfall.html", data=data, page="forecast")


@api.get(
    "/pipeline/waterfall",
    response_model=Waterfall,
    summary="The quarter's pipeline week by week, with deals",
)
def waterfall_api(
    services: Services,
    user: ApiUser,
    table: deps.TableParams,
    period: PeriodParam = None,
    team: OnlyTeam = None,
    rep: OnlyRep = None,
) -> Any:
    """Per week: the pipeline at start and end and each movement with the deals behind it;
    `format=csv` gives one row per week and line (start, each movement, end)."""
    if table.output is Format.CSV:
        result, _ = waterfall_of(services, user, table.as_of, period or None, team, rep)
        return _download(waterfall_csv(result), "pipeline-waterfall.csv")
    data = waterfall_view(services, user, table.as_of, period or None, team, rep)
    return {key: value for key, value in data.items() if key != "chart"}


@pages.get("/pipeline/calls", response_class=HTMLResponse)
def calls_page(
    page: CurrentPage,
    services: Services,
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    team: str | None = None,
    rep: str | None = None,
) -> Response:
    data = calls_view(services, page.user, as_of, period or None, team, rep)
    return page.render("pipeline_calls.html", data=data, page="forecast")


@api.get(
    "/pipeline/calls",
    response_model=ForecastCalls,
    summary="The CRM's forecast calls each week against what closed",
)
def calls_api(
    services: Services,
    user: ApiUser,
    table: deps.TableParams,
    period: PeriodParam = None,
    team: OnlyTeam = None,
    rep: OnlyRep = None,
) -> Any:
    """Per week of the period: won so far, the commit, best-case and pipeline calls and
    Attain's P50, each with its error against what closed won; `format=csv` gives one row per
    week."""
    if table.output is Format.CSV:
        result, _ = calls_of(services, user, table.as_of, period or None, team, rep)
        return _download(calls_csv(result), "forecast-calls.csv")
    data = calls_view(services, user, table.as_of, period or None, team, rep)
    return {key: value for key, value in data.items() if key != "chart"}
