"""The pipeline waterfall (how a quarter's pipeline moved week by week, with the deals behind
each bar) and the forecast calls (the CRM's commit, best case and pipeline each week against
what closed, beside Attain's P50)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import HTMLResponse, Response

from attain.access import Principal
from attain.reports.history import calls_csv, waterfall_csv
from attain.web import deps
from attain.web.deps import ApiUser, AsOfParam, CurrentPage, Format, PeriodParam, Services
from attain.web.pipeline import (
    PipelineQuery,
    calls_of,
    calls_view,
    waterfall_of,
    waterfall_view,
)
from attain.web.schemas import ForecastCalls, Waterfall
from attain.web.services import AsOfDay

pages, api = deps.routers("pipeline")

OnlyTeam = Annotated[str | None, Query(description="Only this team's deals.")]
OnlyRep = Annotated[str | None, Query(description="Only this rep's deals.")]


def _page_query(
    as_of: AsOfParam = None,
    period: PeriodParam = None,
    team: str | None = None,
    rep: str | None = None,
) -> PipelineQuery:
    return PipelineQuery(as_of, period or None, team, rep)


def _api_query(
    table: deps.TableParams,
    period: PeriodParam = None,
    team: OnlyTeam = None,
    rep: OnlyRep = None,
) -> PipelineQuery:
    return PipelineQuery(table.as_of, period or None, team, rep)


PageQuery = Annotated[PipelineQuery, Depends(_page_query)]
ApiQuery = Annotated[PipelineQuery, Depends(_api_query)]


def _download(text: str, filename: str) -> Response:
    """A CSV answer the browser saves as `filename`."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@dataclass(frozen=True)
class _Board:
    """One pipeline board: its page, its JSON (without the chart) and its CSV."""

    key: str
    template: str
    filename: str
    result_of: Callable[[Services, Principal, PipelineQuery], tuple[Any, AsOfDay]]
    view: Callable[[Services, Principal, PipelineQuery], dict[str, Any]]
    csv: Callable[[Any], str]


def _routes(board: _Board, model: type, summary: str, description: str) -> None:
    """The page and the API route of `board` at /pipeline/<key>."""
    path = f"/pipeline/{board.key}"

    @pages.get(path, response_class=HTMLResponse, name=f"{board.key}_page")
    def page_route(page: CurrentPage, services: Services, query: PageQuery) -> Response:
        data = board.view(services, page.user, query)
        return page.render(board.template, data=data, page=board.key)

    @api.get(
        path,
        response_model=model,
        summary=summary,
        description=description,
        name=f"{board.key}_api",
    )
    def api_route(
        services: Services, user: ApiUser, table: deps.TableParams, query: ApiQuery
    ) -> Any:
        if table.output is Format.CSV:
            result, _ = board.result_of(services, user, query)
            return _download(board.csv(result), board.filename)
        data = board.view(services, user, query)
        return {key: value for key, value in data.items() if key != "chart"}


_routes(
    _Board(
        "waterfall",
        "pipeline_waterfall.html",
        "pipeline-waterfall.csv",
        waterfall_of,
        waterfall_view,
        waterfall_csv,
    ),
    Waterfall,
    "The quarter's pipeline week by week, with deals",
    "Per week: the pipeline at start and end and each movement with the deals behind it; "
    "`format=csv` gives one row per week and line (start, each movement, end).",
)
_routes(
    _Board("calls", "pipeline_calls.html", "forecast-calls.csv", calls_of, calls_view, calls_csv),
    ForecastCalls,
    "The CRM's forecast calls each week against what closed",
    "Per week of the period: won so far, the commit, best-case and pipeline calls and "
    "Attain's P50, each with its error against what closed won; `format=csv` gives one row "
    "per week.",
)
