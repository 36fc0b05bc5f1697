"""The JSON API under /api/v1: every page's data, lists paginated, tables also as CSV.

Authentication: `Authorization: Bearer attain_…` (or the browser's session cookie).
Lists take `page` (from 1) and `per_page` (1–500) and answer `{items, page, per_page, total,
pages}` with a `Link` header to the next and previous pages. `format=csv` gives the rows
behind a table as a CSV download. Errors are RFC 9457 problem details.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlalchemy import Engine

from attain.access import ROLE_RESOURCES, NotFound, Resource
from attain.web import coaching_view_models, management, view_models
from attain.web.auth import ApiUser, checked_api_csrf
from attain.web.services import Services
from attain.workflow.digest import render_html, render_markdown

router = APIRouter(prefix="/api/v1", tags=["api"])

MAX_PER_PAGE = 500


class Format(StrEnum):
    """How a table comes back."""

    JSON = "json"
    CSV = "csv"


EARLIEST_AS_OF = date(1900, 1, 1)
LATEST_AS_OF = date(2199, 12, 31)
"""The as-of days a request may ask for: dates far outside any CRM's data overflow the
calendar arithmetic (and pandas' timestamps) of the core, so they are a 422, not a 500."""

AsOf = Annotated[
    date | None,
    Query(
        ge=EARLIEST_AS_OF,
        le=LATEST_AS_OF,
        description="As of this day (YYYY-MM-DD, 1900 to 2199); default today, or the last day "
        "of data.",
    ),
]
Page = Annotated[int, Query(ge=1, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Items per page.")]
FormatQuery = Annotated[Format, Query(alias="format", description="json, or csv for the rows.")]

MAX_RECORD_ID = 2**31 - 1
"""The largest id of an app-database record (a 32-bit integer column): a larger one in a path
is a 422, not an overflow in the database driver."""
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="The record's id.")]


def services_of(request: Request) -> Services:
    """The app's cached core results."""
    found: Services = request.app.state.services
    return found


def engine_of(request: Request) -> Engine:
    """The app database's engine."""
    found: Engine = request.app.state.engine
    return found


def csv_response(rows: Sequence[dict[str, Any]], name: str) -> Response:
    """Rows as a CSV download; nested values as JSON."""
    buffer = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    writer = csv.DictWriter(buffer, fieldnames=columns or ["empty"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value) if isinstance(value, dict | list) else value
                for key, value in row.items()
            }
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def listing(
    request: Request,
    response: Response,
    items: Sequence[dict[str, Any]],
    name: str,
    output: Format,
    page: int,
    per_page: int,
) -> Any:
    """A list endpoint's answer: every row as CSV, or one page of them."""
    if output is Format.CSV:
        return csv_response(items, name)
    return paginated(request, response, items, page, per_page)


def paginated(
    request: Request,
    response: Response,
    items: Sequence[dict[str, Any]],
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """One page of `items` with its position, and a Link header to its neighbours."""
    total = len(items)
    pages = max(1, -(-total // per_page))
    links = []
    if page < pages:
        links.append(f'<{request.url.include_query_params(page=page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{request.url.include_query_params(page=min(page - 1, pages))}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    start = (page - 1) * per_page
    return {
        "items": list(items[start : start + per_page]),
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
    }


@router.get("/me", summary="Who you are and what your role lets you see")
def me(user: ApiUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "rep_id": user.rep_id,
        "team_ids": list(user.team_ids),
        "resources": sorted(ROLE_RESOURCES[user.role]),
    }


@router.get("/team-overview", summary="Attainment and pacing per rep, team and company")
def team_overview(
    request: Request,
    user: ApiUser,
    as_of: AsOf = None,
    team: Annotated[str | None, Query(description="Only this team.")] = None,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = view_models.team_overview(services_of(request), user, as_of, team)
    if output is Format.CSV:
        return csv_response(data["reps"], f"team-overview-{data['as_of']}")
    return data


@router.get("/reps", summary="Reps' lines, most at risk first (paginated)")
def reps(
    request: Request,
    response: Response,
    user: ApiUser,
    as_of: AsOf = None,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    rows = view_models.rep_list(services_of(request), user, as_of)
    return listing(request, response, rows, "reps", output, page, per_page)


@router.get("/reps/{rep_id}", summary="One rep: pace, class, findings, goals and coaching")
def rep(request: Request, user: ApiUser, rep_id: str, as_of: AsOf = None) -> dict[str, Any]:
    return view_models.rep_detail(services_of(request), engine_of(request), user, rep_id, as_of)


@router.get("/forecast", summary="P10/P50/P90 of the quarter's bookings per scope")
def forecast(
    request: Request,
    user: ApiUser,
    as_of: AsOf = None,
    scope: Annotated[
        str | None, Query(pattern="^(company|team|rep)$", description="Only these rows.")
    ] = None,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = view_models.forecast_view(services_of(request), user, as_of, scope)
    if output is Format.CSV:
        return csv_response(data["rows"], f"forecast-{data['as_of']}")
    return data


@router.get("/diagnosis/findings", summary="Why reps miss target, most at stake first")
def findings(
    request: Request,
    response: Response,
    user: ApiUser,
    as_of: AsOf = None,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    services = services_of(request)
    rows = view_models.findings_view(services, user, services.as_of(as_of).day)
    return listing(request, response, rows, "findings", output, page, per_page)


@router.get("/channels", summary="Lead sources and campaigns by revenue per lead")
def channels(
    request: Request, user: ApiUser, as_of: AsOf = None, output: FormatQuery = Format.JSON
) -> Any:
    data = view_models.channels_view(services_of(request), user, as_of)
    if output is Format.CSV:
        return csv_response([data["total"], *data["sources"], *data["campaigns"]], "channels")
    data.pop("chart")
    return data


@router.get("/leads/grades", summary="Every lead's grade, fit and engagement (paginated)")
def lead_grades(
    request: Request,
    response: Response,
    user: ApiUser,
    as_of: AsOf = None,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    rows = view_models.lead_grades_view(services_of(request), user, as_of)
    return listing(request, response, rows, "lead-grades", output, page, per_page)


@router.get("/leads/icp", summary="The ideal customer profile's rules")
def icp(request: Request, user: ApiUser) -> dict[str, Any]:
    return view_models.icp_view(services_of(request), user)


def _records(
    request: Request, user: ApiUser, kind: str, rep_id: str | None
) -> list[dict[str, Any]]:
    services = services_of(request)
    if rep_id is not None:
        view_models.scope(services, user, Resource.COACHING).rep(rep_id, services.roster())
    found = view_models.coaching_records(engine_of(request), user, services, rep_id=rep_id)
    return found[kind]


RepFilter = Annotated[str | None, Query(description="Only this rep's.")]


def _record_listing(kind: str, slug: str, summary: str) -> None:
    """Register GET /{slug}: the app-database records of `kind` the user may see, paginated or
    as CSV."""

    @router.get(f"/{slug}", summary=summary, name=kind)
    def records(
        request: Request,
        response: Response,
        user: ApiUser,
        rep_id: RepFilter = None,
        page: Page = 1,
        per_page: PerPage = 50,
        output: FormatQuery = Format.JSON,
    ) -> Any:
        rows = _records(request, user, kind, rep_id)
        return listing(request, response, rows, slug, output, page, per_page)


_record_listing("goals", "goals", "Goals set in Attain (paginated)")
_record_listing("coaching_sessions", "coaching-sessions", "Coaching sessions held (paginated)")
_record_listing("action_items", "action-items", "Action items, overdue flagged (paginated)")


@router.post(
    "/coaching-sessions",
    status_code=201,
    summary="Log a coaching session with its agreed actions (admins; managers for their reps)",
    dependencies=[Depends(checked_api_csrf)],
)
def log_coaching_session(
    request: Request, user: ApiUser, body: coaching_view_models.CoachingSessionIn
) -> dict[str, Any]:
    return coaching_view_models.log_coaching_session(
        services_of(request), engine_of(request), user, body
    )


@router.post(
    "/action-items/{action_id}/done",
    summary="Mark an action item done",
    dependencies=[Depends(checked_api_csrf)],
)
def complete_action_item(request: Request, user: ApiUser, action_id: RecordId) -> dict[str, Any]:
    return coaching_view_models.complete_action(
        services_of(request), engine_of(request), user, action_id
    )


@router.get("/reps/{rep_id}/agenda", summary="Questions for the rep's next one-on-one")
def rep_agenda(request: Request, user: ApiUser, rep_id: str, as_of: AsOf = None) -> Any:
    return coaching_view_models.rep_agenda(
        services_of(request), engine_of(request), user, rep_id, as_of
    )


@router.get("/reps/{rep_id}/plan", summary="The rep's weekly activity plan this quarter")
def rep_plan(request: Request, user: ApiUser, rep_id: str, as_of: AsOf = None) -> Any:
    found = coaching_view_models.rep_plan(
        services_of(request), engine_of(request), user, rep_id, as_of
    )
    if found is None:
        raise NotFound(f"rep {rep_id} has no bookings target this quarter")
    return found


@router.get("/reps/{rep_id}/funnel", summary="The rep's funnel against top performers and peers")
def rep_funnel(
    request: Request,
    user: ApiUser,
    rep_id: str,
    as_of: AsOf = None,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = view_models.funnel_view(services_of(request), user, rep_id, as_of)
    if output is Format.CSV:
        return csv_response(data["stages"], f"funnel-{rep_id}-{data['as_of']}")
    data.pop("chart")
    return data


@router.get("/coaching/coverage", summary="Coaching coverage: who is overdue and why")
def coaching_coverage(
    request: Request,
    user: ApiUser,
    as_of: AsOf = None,
    team: Annotated[str | None, Query(description="Only this team.")] = None,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = coaching_view_models.coverage_view(
        services_of(request), engine_of(request), user, as_of, team
    )
    if output is Format.CSV:
        return csv_response(data["rows"], f"coaching-coverage-{data['as_of']}")
    return data


class DigestFormat(StrEnum):
    """How a digest comes back."""

    JSON = "json"
    HTML = "html"
    MARKDOWN = "markdown"


@router.get("/digest", summary="The weekly digest of the company, a team or a rep")
def digest(
    request: Request,
    user: ApiUser,
    as_of: AsOf = None,
    team: Annotated[str | None, Query(description="This team's digest.")] = None,
    rep: Annotated[str | None, Query(description="This rep's digest.")] = None,
    output: Annotated[
        DigestFormat, Query(alias="format", description="json, html (e-mail ready) or markdown.")
    ] = DigestFormat.JSON,
) -> Any:
    found = coaching_view_models.digest_view(
        services_of(request), engine_of(request), user, as_of, team, rep
    )
    if output is DigestFormat.HTML:
        return HTMLResponse(render_html(found.digest))
    if output is DigestFormat.MARKDOWN:
        return PlainTextResponse(render_markdown(found.digest), media_type="text/markdown")
    return found.digest.to_dict()


@router.get("/alignment", summary="The sales–marketing alignment agenda and meeting actions")
def alignment(
    request: Request, user: ApiUser, as_of: AsOf = None, output: FormatQuery = Format.JSON
) -> Any:
    data = coaching_view_models.alignment_view(
        services_of(request), engine_of(request), user, as_of
    )
    if output is Format.CSV:
        return csv_response(data["actions"], f"alignment-actions-{data['as_of']}")
    return data


# -- programs, skills, ramp, product priorities, compensation --------------------------------
@router.get("/programs", summary="Intensive programs, newest start first (paginated)")
def programs(
    request: Request,
    response: Response,
    user: ApiUser,
    rep_id: RepFilter = None,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    rows = management.programs_view(services_of(request), engine_of(request), user, rep_id)
    return listing(request, response, rows, "programs", output, page, per_page)


@router.post(
    "/programs",
    status_code=201,
    summary="Start an intensive program for a rep (admins; managers for their reps)",
    dependencies=[Depends(checked_api_csrf)],
)
def start_program(request: Request, user: ApiUser, body: management.ProgramIn) -> dict[str, Any]:
    return management.start_program_view(services_of(request), engine_of(request), user, body)


@router.get(
    "/programs/{program_id}/review",
    summary="A program's check-ins, each metric before and during it, the test and verdict",
)
def program_review(
    request: Request, user: ApiUser, program_id: RecordId, as_of: AsOf = None
) -> dict[str, Any]:
    return management.program_review_view(
        services_of(request), engine_of(request), user, program_id, as_of
    )


@router.post(
    "/programs/{program_id}/check-ins",
    status_code=201,
    summary="Log a program's weekly check-in (admins; managers for their reps)",
    dependencies=[Depends(checked_api_csrf)],
)
def program_check_in(
    request: Request, user: ApiUser, program_id: RecordId, body: management.CheckInIn
) -> dict[str, Any]:
    return management.program_check_in_view(
        services_of(request), engine_of(request), user, program_id, body
    )


@router.get("/skills", summary="The skills matrix: each rep's score in force per skill")
def skills(
    request: Request,
    response: Response,
    user: ApiUser,
    rep_id: RepFilter = None,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    rows = management.skills_view(services_of(request), engine_of(request), user, rep_id)
    return listing(request, response, rows, "skills", output, page, per_page)


@router.post(
    "/skills",
    status_code=201,
    summary="Score a rep's skill 1–5 (admins; managers for their reps)",
    dependencies=[Depends(checked_api_csrf)],
)
def set_skill_score(
    request: Request, user: ApiUser, body: management.SkillScoreIn
) -> dict[str, Any]:
    return management.set_skill_score_view(services_of(request), engine_of(request), user, body)


@router.get(
    "/reps/{rep_id}/skills",
    summary="A rep's skill scores, the skills their findings point at, recommended training",
)
def rep_skills(request: Request, user: ApiUser, rep_id: str, as_of: AsOf = None) -> Any:
    return management.rep_skills_view(services_of(request), engine_of(request), user, rep_id, as_of)


@router.get("/ramp", summary="New hires' ramp against their cohort median, behind first")
def ramp(
    request: Request,
    response: Response,
    user: ApiUser,
    as_of: AsOf = None,
    behind: Annotated[bool, Query(description="Only reps behind their cohort.")] = False,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = management.ramp_view(services_of(request), user, as_of, behind_only=behind)
    return listing(request, response, data["rows"], "ramp", output, page, per_page)


@router.get("/products", summary="Products with their priority tier in force and differentiators")
def products(
    request: Request,
    response: Response,
    user: ApiUser,
    page: Page = 1,
    per_page: PerPage = 50,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = management.products_view(services_of(request), engine_of(request), user)
    return listing(request, response, data["products"], "products", output, page, per_page)


@router.put(
    "/products/{product_id}",
    summary="Set a product's priority tier and differentiators (admins and managers)",
    dependencies=[Depends(checked_api_csrf)],
)
def set_product_priority(
    request: Request, user: ApiUser, product_id: str, body: management.PriorityIn
) -> dict[str, Any]:
    return management.set_priority_view(
        services_of(request), engine_of(request), user, product_id, body
    )


@router.get(
    "/payouts",
    summary="Each rep's payout for a period and whether the plan rewards priority products",
)
def payouts(
    request: Request,
    user: ApiUser,
    as_of: AsOf = None,
    period: Annotated[
        str | None,
        Query(
            max_length=40,
            description="2026-Q4 or 2026-10-01..2026-12-31; default the quarter of as_of.",
        ),
    ] = None,
    rep_id: RepFilter = None,
    output: FormatQuery = Format.JSON,
) -> Any:
    data = management.payouts_view(
        services_of(request), engine_of(request), user, as_of, period, rep_id
    )
    if output is Format.CSV:
        rows = [{k: v for k, v in row.items() if k != "deals"} for row in data["reps"]]
        return csv_response(rows, f"payouts-{data['period']['start']}")
    return data
