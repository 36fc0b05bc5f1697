"""Coaching: goals, coaching sessions and action items (read and logged, from the rep page's
panel or the API), and coaching coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from attain.access import Principal, Resource
from attain.errors import InputError
from attain.web import coaching_view_models, deps, view_models
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, RecordId, Services
from attain.web.rendering import is_htmx
from attain.web.schemas import (
    ActionItem,
    ActionItemRow,
    CoachingCoverage,
    CoachingSession,
    LoggedSession,
)
from attain.web.services import Services as CoreServices
from attain.web.writing import check_rep_write
from attain.workflow.coaching import split_topics

pages, api = deps.routers("coaching")
forms = deps.page_forms()
writes = deps.api_writes("coaching")


def _records(
    services: CoreServices, engine: Engine, user: Principal, kind: str, rep_id: str | None
) -> list[dict[str, Any]]:
    """The user's visible app-database records of `kind`, of one rep if `rep_id` is given."""
    if rep_id is not None:
        view_models.scope(services, user, Resource.COACHING).rep(rep_id, services.roster())
    found = view_models.coaching_records(engine, user, services, rep_id=rep_id)
    return found[kind]


def _record_listing(kind: str, slug: str, summary: str, model: Any) -> None:
    """Register GET /api/v1/{slug}: the app-database records of `kind` the user may see,
    paginated or as CSV (each as `model`)."""
    deps.rep_records_route(
        api,
        f"/{slug}",
        kind,
        summary,
        model,
        lambda services, engine, user, rep_id: _records(services, engine, user, kind, rep_id),
    )


_record_listing("goals", "goals", "Goals set in Attain (paginated)", dict[str, Any])
_record_listing(
    "coaching_sessions", "coaching-sessions", "Coaching sessions held (paginated)", CoachingSession
)
_record_listing(
    "action_items", "action-items", "Action items, overdue flagged (paginated)", ActionItemRow
)


@writes.post(
    "/coaching-sessions",
    status_code=201,
    summary="Log a coaching session with its agreed actions (admins; managers for their reps)",
)
def log_coaching_session(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    body: coaching_view_models.CoachingSessionIn,
) -> LoggedSession:
    return LoggedSession.model_validate(
        coaching_view_models.log_coaching_session(services, engine, user, body)
    )


@writes.post("/action-items/{action_id}/done", summary="Mark an action item done")
def complete_action_item(
    services: Services, engine: AppDb, user: ApiUser, action_id: RecordId
) -> ActionItem:
    return ActionItem.model_validate(
        coaching_view_models.complete_action(services, engine, user, action_id)
    )


@pages.get("/coaching", response_class=HTMLResponse)
def coaching_page(
    page: CurrentPage,
    services: Services,
    engine: AppDb,
    as_of: AsOfParam = None,
    team: deps.TeamParam = None,
) -> Response:
    data = coaching_view_models.coverage_view(services, engine, page.user, as_of, team)
    return page.render("coaching.html", data=data, page="coaching")


@api.get(
    "/coaching/coverage",
    response_model=CoachingCoverage,
    summary="Coaching coverage: who is overdue and why",
)
def coaching_coverage(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    table: deps.TableParams,
    team: deps.TeamParam = None,
) -> Any:
    data = coaching_view_models.coverage_view(services, engine, user, table.as_of, team)
    return table.answer(data, data["rows"], f"coaching-coverage-{data['as_of']}")


def _session_form(rep_id: str, form: Any) -> coaching_view_models.CoachingSessionIn:
    """The rep page's coaching form as a session to log (InputError when it does not fit)."""
    actions = []
    titles, owners, dues = (
        form.getlist(name) for name in ("action_title", "action_owner", "action_due")
    )
    for title, owner, due in zip(titles, owners, dues, strict=False):
        if str(title).strip():
            actions.append({"title": str(title), "owner": str(owner), "due_date": str(due) or None})
    try:
        held = date.fromisoformat(str(form.get("held_on", "")))
        return coaching_view_models.CoachingSessionIn(
            rep_id=rep_id,
            kind=str(form.get("kind", "one_on_one")),
            held_at=datetime.combine(held, time.min, tzinfo=UTC),
            duration_minutes=int(str(form.get("minutes", "0")) or 0),
            topics=split_topics(str(form.get("topics", ""))),
            notes=str(form.get("notes", "")),
            actions=actions,
        )
    except (ValueError, ValidationError) as error:
        raise InputError(f"check the session's fields: {error}") from None


def _panel(
    page: deps.Page,
    services: CoreServices,
    engine: Engine,
    rep_id: str,
    as_of: date | None,
    **extra: Any,
) -> Response:
    """The rep page's coaching panel alone, as HTMX swaps it in after a write."""
    panel = coaching_view_models.coaching_panel(services, engine, page.user, rep_id, as_of)
    return page.render("_coaching.html", panel=panel, **extra)


@forms.post("/reps/{rep_id}/coaching")
async def log_coaching(
    page: CurrentPage, services: Services, engine: AppDb, rep_id: str, as_of: AsOfParam = None
) -> Response:
    form = await page.request.form()
    user = page.user
    # Access first: another rep's page is 404 (and a rep's own 403) before the form is read.
    check_rep_write(services, user, Resource.COACHING, rep_id)
    try:
        logged = _session_form(rep_id, form)
        coaching_view_models.log_coaching_session(services, engine, user, logged)
    except InputError as error:
        if not is_htmx(page.request):
            raise
        return _panel(page, services, engine, rep_id, as_of, error=str(error))
    if not is_htmx(page.request):
        return RedirectResponse(f"/reps/{rep_id}", status_code=303)
    return _panel(page, services, engine, rep_id, as_of, message="Session logged.")


@forms.post("/actions/{action_id}/done")
def complete_action(
    page: CurrentPage,
    services: Services,
    engine: AppDb,
    action_id: RecordId,
    as_of: AsOfParam = None,
) -> Response:
    row = coaching_view_models.complete_action(services, engine, page.user, action_id)
    rep_id = row["rep_id"]
    if not is_htmx(page.request) or rep_id is None:
        return RedirectResponse(f"/reps/{rep_id}" if rep_id else "/alignment", status_code=303)
    return _panel(page, services, engine, rep_id, as_of, message=f"Done: {row['title']}.")
