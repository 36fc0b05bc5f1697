"""One rep: the rep page (pace, class, findings, coaching panel and activity plan) and its
API routes (detail, one-on-one agenda, weekly plan, funnel)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.responses import HTMLResponse, Response

from attain.access import NotFound, Resource
from attain.web import coaching_view_models, view_models
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, Services, TableParams, routers
from attain.web.records_version import records_version
from attain.web.rendering import fragment
from attain.web.schemas import Agenda, Funnel, RepDetail, RepPlan

pages, api = routers("reps")


@pages.get("/reps/{rep_id}", response_class=HTMLResponse)
def rep_page(
    page: CurrentPage, services: Services, engine: AppDb, rep_id: str, as_of: AsOfParam = None
) -> Response:
    data = view_models.rep_numbers(services, page.user, rep_id, as_of)
    view_models.scope(services, page.user, Resource.COACHING).rep(rep_id, services.roster())
    day = services.as_of(as_of)
    # Both parts are kept (rendering.fragment), each under all it depends on. The numbers are
    # the same for everyone who may see the rep (checked above). The coaching panel, the plan
    # (its overrides) and the goals come from the app database, which users change: they are
    # kept per access scope and the database's version, so a write shows on the next page.
    numbers = fragment(page.request, (day, rep_id), "_rep_numbers.html", lambda: {"data": data})
    key = (day, rep_id, page.user.scope, date.today(), records_version(engine))

    def records() -> dict[str, Any]:
        panel = coaching_view_models.coaching_panel(services, engine, page.user, rep_id, as_of)
        plan = coaching_view_models.rep_plan(services, engine, page.user, rep_id, as_of)
        goals = view_models.rep_goals(engine, rep_id)
        return {"data": {**data, "goals": goals}, "panel": panel, "plan": plan}

    records_html = fragment(page.request, key, "_rep_records.html", records)
    return page.render(
        "rep.html", data=data, numbers_html=numbers, records_html=records_html, page="rep"
    )


@api.get("/reps/{rep_id}", summary="One rep: pace, class, findings, goals and coaching")
def rep(
    services: Services, engine: AppDb, user: ApiUser, rep_id: str, as_of: AsOfParam = None
) -> RepDetail:
    return RepDetail.model_validate(view_models.rep_detail(services, engine, user, rep_id, as_of))


@api.get("/reps/{rep_id}/agenda", summary="Questions for the rep's next one-on-one")
def rep_agenda(
    services: Services, engine: AppDb, user: ApiUser, rep_id: str, as_of: AsOfParam = None
) -> Agenda:
    return Agenda.model_validate(
        coaching_view_models.rep_agenda(services, engine, user, rep_id, as_of)
    )


@api.get("/reps/{rep_id}/plan", summary="The rep's weekly activity plan this quarter")
def rep_plan(
    services: Services, engine: AppDb, user: ApiUser, rep_id: str, as_of: AsOfParam = None
) -> RepPlan:
    found = coaching_view_models.rep_plan(services, engine, user, rep_id, as_of)
    if found is None:
        raise NotFound(f"rep {rep_id} has no bookings target this quarter")
    return RepPlan.model_validate(found)


@api.get(
    "/reps/{rep_id}/funnel",
    response_model=Funnel,
    summary="The rep's funnel against top performers and peers",
)
def rep_funnel(services: Services, user: ApiUser, rep_id: str, table: TableParams) -> Any:
    data = view_models.funnel_view(services, user, rep_id, table.as_of)
    shown = {key: value for key, value in data.items() if key != "chart"}
    return table.answer(shown, data["stages"], f"funnel-{rep_id}-{data['as_of']}")
