"""What routes are given rather than look up: the app's services and database, the user, and
the query parameters many routes share, each declared once as an `Annotated` alias.

A route names what it needs in its signature (`services: Services, user: ApiUser,
listing: ListParams`) and FastAPI hands it over, as in the FastAPI project template's
`api/deps.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from attain.access import Principal
from attain.reports.formats import Format
from attain.web import schemas, services
from attain.web.auth import ApiUser, PageUser, checked_api_csrf, checked_csrf
from attain.web.listing import csv_response, paginated
from attain.web.rendering import render

__all__ = [
    "ApiUser",
    "AppDb",
    "AsOfParam",
    "CurrentPage",
    "Format",
    "FormatParam",
    "ListParams",
    "Listing",
    "PageUser",
    "PeriodParam",
    "RecordId",
    "RepParam",
    "Services",
    "TableParams",
    "TeamParam",
    "api_writes",
    "page_forms",
    "rep_records_route",
    "routers",
]


def routers(tag: str) -> tuple[APIRouter, APIRouter]:
    """A route module's two routers: its pages (left out of the OpenAPI document) and its JSON
    API under /api/v1 (documented under `tag`)."""
    return APIRouter(include_in_schema=False), APIRouter(prefix="/api/v1", tags=[tag])


def page_forms() -> APIRouter:
    """A route module's page routes that take a form and change records (left out of the
    OpenAPI document like its pages): each must come from this site with the session's CSRF
    token (`checked_csrf`)."""
    return APIRouter(
        include_in_schema=False,
        default_response_class=HTMLResponse,
        dependencies=[Depends(checked_csrf)],
    )


def api_writes(tag: str) -> APIRouter:
    """A route module's JSON API routes that change records: under /api/v1 like its reads, and
    a call authenticated by the browser's session cookie must send its CSRF token."""
    return APIRouter(prefix="/api/v1", tags=[tag], dependencies=[Depends(checked_api_csrf)])


def services_of(request: Request) -> services.Services:
    """The app's cached core results (opened by the app's lifespan)."""
    found: services.Services = request.app.state.services
    return found


def engine_of(request: Request) -> Engine:
    """The app database's engine (opened by the app's lifespan)."""
    found: Engine = request.app.state.engine
    return found


Services = Annotated[services.Services, Depends(services_of)]
"""The app's cached core results over the store."""
AppDb = Annotated[Engine, Depends(engine_of)]
"""The app database, where users and the records made in Attain live."""


TableFormat = Literal[Format.JSON, Format.CSV]
"""How a table comes back: JSON, or its rows as CSV."""


EARLIEST_AS_OF = date(1900, 1, 1)
LATEST_AS_OF = date(2199, 12, 31)
"""The as-of days a request may ask for: dates far outside any CRM's data overflow the
calendar arithmetic (and pandas' timestamps) of the core, so they are a 422, not a 500."""

AsOfParam = Annotated[
    date | None,
    Query(
        ge=EARLIEST_AS_OF,
        le=LATEST_AS_OF,
        description="As of this day (YYYY-MM-DD, 1900 to 2199); default today, or the last day "
        "of data.",
    ),
]
FormatParam = Annotated[
    TableFormat, Query(alias="format", description="json, or csv for the rows.")
]
RepParam = Annotated[str | None, Query(description="Only this rep's.")]
TeamParam = Annotated[str | None, Query(description="Only this team.")]
PeriodParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description="2026-Q4 or 2026-10-01..2026-12-31; default the quarter of as_of.",
    ),
]

MAX_RECORD_ID = 2**31 - 1
"""The largest id of an app-database record (a 32-bit integer column): a larger one in a path
is a 422, not an overflow in the database driver."""
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="The record's id.")]

MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Listing:
    """How a list endpoint was asked to answer: one page of its rows, or all as CSV."""

    request: Request
    response: Response
    page: int
    per_page: int
    output: TableFormat

    def answer(self, rows: Sequence[dict[str, Any]], name: str) -> Any:
        """Every row as the CSV download `name`.csv, or the page asked for (with Link header)."""
        if self.output is Format.CSV:
            return csv_response(rows, name)
        return paginated(self.request, self.response, rows, self.page, self.per_page)


def listing(
    request: Request,
    response: Response,
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Items per page.")] = 50,
    output: FormatParam = Format.JSON,
) -> Listing:
    """The paging and format parameters of a list endpoint."""
    return Listing(request, response, page, per_page, output)


ListParams = Annotated[Listing, Depends(listing)]
"""`page`, `per_page` and `format` of a list endpoint, and its answer (`.answer(rows, name)`)."""

RepRecords = Callable[[services.Services, Engine, Principal, str | None], Sequence[dict[str, Any]]]
"""The app-database records of a kind that a user may see, of one rep when a rep id is given."""


def rep_records_route(
    router: APIRouter, path: str, name: str, summary: str, model: Any, records: RepRecords
) -> None:
    """Register GET `path` on `router`: the `records` the user may see (of one rep with
    `rep_id`), paginated or as the CSV download named after `path`, each as `model`."""

    @router.get(path, summary=summary, name=name, response_model=schemas.Page[model])
    def listed(
        services: Services,
        engine: AppDb,
        user: ApiUser,
        listing: ListParams,
        rep_id: RepParam = None,
    ) -> Any:
        return listing.answer(records(services, engine, user, rep_id), path.removeprefix("/"))


@dataclass(frozen=True)
class Table:
    """How a table endpoint was asked to answer: as of which day, as JSON or as CSV."""

    as_of: date | None
    output: TableFormat

    def answer(self, data: Any, rows: Sequence[dict[str, Any]], name: str) -> Any:
        """`data` as JSON, or its `rows` as the CSV download `name`.csv."""
        return csv_response(rows, name) if self.output is Format.CSV else data


def table(as_of: AsOfParam = None, output: FormatParam = Format.JSON) -> Table:
    """The as-of day and format parameters of a table endpoint."""
    return Table(as_of, output)


TableParams = Annotated[Table, Depends(table)]
"""`as_of` and `format` of an endpoint whose rows also come as CSV (`.answer(data, rows, name)`)."""


@dataclass(frozen=True)
class Page:
    """A page request: the signed-in user, and how to answer with a template."""

    request: Request
    user: Principal

    def render(self, template: str, **context: Any) -> Response:
        """The template with `context`, or its content block for HTMX (see `rendering`)."""
        return render(self.request, template, self.user, **context)


def page(request: Request, user: PageUser) -> Page:
    """The page request of the signed-in user (others go to /login)."""
    return Page(request, user)


CurrentPage = Annotated[Page, Depends(page)]
"""The signed-in user of a page (a redirect to /login otherwise) and `.render(template, ...)`."""
