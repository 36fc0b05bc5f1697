"""The skills matrix: each rep's score in force per skill, scored by their manager, and the
training a rep's findings point at."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import Resource, check_rep_writer
from attain.web import management, view_models
from attain.web.auth import checked_api_csrf, checked_csrf
from attain.web.deps import ApiUser, AppDb, AsOfParam, ListParams, PageUser, RepParam, Services
from attain.web.rendering import form_model, render, text

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["skills"])


@pages.get("/skills", response_class=HTMLResponse)
def skills_page(request: Request, services: Services, engine: AppDb, user: PageUser) -> Response:
    data = management.skills_page(services, engine, user)
    return render(request, "skills.html", user, data=data, page="skills")


@pages.post("/skills", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)])
async def set_skill_score(
    request: Request, services: Services, engine: AppDb, user: PageUser
) -> Response:
    form = await request.form()
    rep_id = text(form, "rep_id")
    check_rep_writer(
        user, view_models.scope(services, user, Resource.SKILLS), rep_id, services.roster()
    )
    asked = form_model(
        management.SkillScoreIn,
        rep_id=rep_id,
        skill=text(form, "skill"),
        score=text(form, "score"),
        note=text(form, "note"),
    )
    management.set_skill_score_view(services, engine, user, asked)
    return RedirectResponse(f"/skills/{rep_id}", status_code=303)


@pages.get("/skills/{rep_id}", response_class=HTMLResponse)
def rep_skills_page(
    request: Request,
    services: Services,
    engine: AppDb,
    user: PageUser,
    rep_id: str,
    as_of: AsOfParam = None,
) -> Response:
    data = management.rep_skills_view(services, engine, user, rep_id, as_of)
    return render(request, "rep_skills.html", user, data=data, page="skills")


@api.get("/skills", summary="The skills matrix: each rep's score in force per skill")
def skills(
    services: Services,
    engine: AppDb,
    user: ApiUser,
    listing: ListParams,
    rep_id: RepParam = None,
) -> Any:
    return listing.answer(management.skills_view(services, engine, user, rep_id), "skills")


@api.post(
    "/skills",
    status_code=201,
    summary="Score a rep's skill 1–5 (admins; managers for their reps)",
    dependencies=[Depends(checked_api_csrf)],
)
def set_skill_score_api(
    services: Services, engine: AppDb, user: ApiUser, body: management.SkillScoreIn
) -> dict[str, Any]:
    return management.set_skill_score_view(services, engine, user, body)


@api.get(
    "/reps/{rep_id}/skills",
    summary="A rep's skill scores, the skills their findings point at, recommended training",
)
def rep_skills(
    services: Services, engine: AppDb, user: ApiUser, rep_id: str, as_of: AsOfParam = None
) -> Any:
    return management.rep_skills_view(services, engine, user, rep_id, as_of)
