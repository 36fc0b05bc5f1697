"""What changed between two data versions or dates: the /changes page, and GET /api/v1/changes
for scripts and alerts.

The change record of attain.history.changes, computed once per data version and pair of
moments, cut to the user's scope of the `forecast` resource: admins every change; managers the
changes of deals their teams' reps own (or owned, for a reassignment) and of those reps; reps
their own deals' changes only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response
from fastapi.responses import HTMLResponse

from attain.access import Principal, Resource
from attain.history.changes import ChangeRecord, changes, restricted
from attain.history.states import parse_moment
from attain.reports.history import changes_csv, currency_note
from attain.reports.jsonable import jsonable
from attain.web.deps import ApiUser, CurrentPage, Format, FormatParam, Services, routers
from attain.web.schemas import Changes
from attain.web.view_models import scope

pages, api = routers("changes")

Moment = Annotated[str | None, Query(max_length=40)]


def record_for(
    services: Services, user: Principal, since: str | None, until: str | None
) -> ChangeRecord:
    """The change record between `since` and `until` (cached per data version), cut to what
    the user may see."""
    allowed = scope(services, user, Resource.FORECAST)
    start = None if since is None else parse_moment(since, "since")
    end = None if until is None else parse_moment(until, "until")
    currency = services.settings.currency
    record = services.with_store(
        ("changes", start, end),
        lambda backend: changes(backend, start, end, currency=currency),
    )
    return record if allowed.all_reps else restricted(record, allowed.sees_rep)


@pages.get("/changes", response_class=HTMLResponse)
def changes_page(
    page: CurrentPage, services: Services, since: Moment = None, until: Moment = None
) -> Response:
    """What changed: by default what the latest import changed."""
    record = record_for(services, page.user, since or None, until or None)
    data = jsonable(record)
    data["kinds"] = [
        {**total, "changes": [c for c in data["deals"] if c["kind"] == total["kind"]]}
        for total in data["totals"]
    ]
    data["notes"] = [currency_note(record.currency)]
    return page.render(
        "changes.html", data=data, since=since or "", until=until or "", page="changes"
    )


@api.get(
    "/changes", response_model=Changes, summary="What changed between two data versions or dates"
)
def changes_api(
    services: Services,
    user: ApiUser,
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            description="A data version (import id) or date; default the version before the "
            "latest, so what the latest import changed.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        Query(max_length=40, description="A data version or date; default the latest version."),
    ] = None,
    output: FormatParam = Format.JSON,
) -> Any:
    """Deals created, moved stage, pulled in, pushed out, resized, won, lost, deleted and
    reassigned, with totals per kind, and reps who changed team (docs/history.md)."""
    record = record_for(services, user, since, until)
    if output is Format.CSV:
        return Response(
            changes_csv(record, {r.rep_id: r.name for r in services.roster().values()}),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="changes.csv"'},
        )
    return jsonable(record)
