"""Intensive programs: started for a rep, checked in on weekly, reviewed metric by metric."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import Resource
from attain.web import deps, management
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, RecordId, Services
from attain.web.rendering import form_model, text
from attain.web.schemas import CheckIn, Program, ProgramReview
from attain.web.writing import check_rep_write
from attain.workflow.coaching import split_topics

pages, api = deps.routers("programs")
forms = deps.page_forms()
writes = deps.api_writes("programs")


@pages.get("/programs", response_class=HTMLResponse)
def programs_page(
    page: CurrentPage, services: Services, engine: AppDb, rep: str | None = None
) -> Response:
    data = management.programs_page(services, engine, page.user, rep)
    return page.render("programs.html", data=data, page="programs")


@forms.post("/programs")
async def start_program(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    form, user = await page.request.form(), page.user
    rep_id = text(form, "rep_id")
    # Access first: another rep is 404 (and a rep's own 403) before the form is read.
    check_rep_write(services, user, Resource.PROGRAMS, rep_id)
    asked = form_model(
        management.ProgramIn,
        rep_id=rep_id,
        start=text(form, "start"),
        weeks=text(form, "weeks"),
        goal=text(form, "goal"),
        metrics=[str(m) for m in form.getlist("metrics")],
    )
    made = management.start_program_view(services, engine, user, asked)
    return RedirectResponse(f"/programs/{made['id']}", status_code=303)


@pages.get("/programs/{program_id}", response_class=HTMLResponse)
def program_page(
    page: CurrentPage,
    services: Services,
    engine: AppDb,
    program_id: RecordId,
    as_of: AsOfParam = None,
) -> Response:
    data = management.program_review_view(services, engine, page.user, program_id, as_of)
    return page.render("program.html", data=data, page="programs")


@forms.post("/programs/{program_id}/check-ins")
async def program_check_in(
    page: CurrentPage, services: Services, engine: AppDb, program_id: RecordId
) -> Response:
    form, user = await page.request.form(), page.user
    management.check_program_writer(services, engine, user, program_id)
    held = text(form, "held_on")
    asked = form_model(
        management.CheckInIn,
        held_at=f"{held}T00:00:00+00:00" if held else "",
        duration_minutes=text(form, "minutes") or 30,
        notes=text(form, "notes"),
        topics=list(split_topics(text(form, "topics"))),
    )
    management.program_check_in_view(services, engine, user, program_id, asked)
    return RedirectResponse(f"/programs/{program_id}", status_code=303)


deps.rep_records_route(
    api,
    "/programs",
    "programs",
    "Intensive programs, newest start first (paginated)",
    Program,
    management.programs_view,
)


@writes.post(
    "/programs",
    status_code=201,
    summary="Start an intensive program for a rep (admins; managers for their reps)",
)
def start_program_api(
    services: Services, engine: AppDb, user: ApiUser, body: management.ProgramIn
) -> Program:
    return Program.model_validate(management.start_program_view(services, engine, user, body))


@api.get(
    "/programs/{program_id}/review",
    summary="A program's check-ins, each metric before and during it, the test and verdict",
)
def program_review(
    services: Services, engine: AppDb, user: ApiUser, program_id: RecordId, as_of: AsOfParam = None
) -> ProgramReview:
    return ProgramReview.model_validate(
        management.program_review_view(services, engine, user, program_id, as_of)
    )


@writes.post(
    "/programs/{program_id}/check-ins",
    status_code=201,
    summary="Log a program's weekly check-in (admins; managers for their reps)",
)
def program_check_in_api(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    program_id: RecordId,
    body: management.CheckInIn,
) -> CheckIn:
    return CheckIn.model_validate(
        management.program_check_in_view(services, engine, user, program_id, body)
    )
