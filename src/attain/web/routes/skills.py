"""The skills matrix: each rep's score in force per skill, scored by their manager, and the
training a rep's findings point at."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import Resource
from attain.web import deps, management
from attain.web.deps import ApiUser, AppDb, AsOfParam, CurrentPage, Services
from attain.web.rendering import form_model, text
from attain.web.schemas import RepSkills, SkillRow, SkillScore
from attain.web.writing import check_rep_write

pages, api = deps.routers("skills")
forms = deps.page_forms()
writes = deps.api_writes("skills")


@pages.get("/skills", response_class=HTMLResponse)
def skills_page(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    data = management.skills_page(services, engine, page.user)
    return page.render("skills.html", data=data, page="skills")


@forms.post("/skills")
async def set_skill_score(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    form, user = await page.request.form(), page.user
    rep_id = text(form, "rep_id")
    check_rep_write(services, user, Resource.SKILLS, rep_id)
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
    page: CurrentPage, services: Services, engine: AppDb, rep_id: str, as_of: AsOfParam = None
) -> Response:
    data = management.rep_skills_view(services, engine, page.user, rep_id, as_of)
    return page.render("rep_skills.html", data=data, page="skills")


deps.rep_records_route(
    api,
    "/skills",
    "skills",
    "The skills matrix: each rep's score in force per skill",
    SkillRow,
    management.skills_view,
)


@writes.post(
    "/skills", status_code=201, summary="Score a rep's skill 1–5 (admins; managers for their reps)"
)
def set_skill_score_api(
    services: Services, engine: AppDb, user: ApiUser, body: management.SkillScoreIn
) -> SkillScore:
    return SkillScore.model_validate(management.set_skill_score_view(services, engine, user, body))


@api.get(
    "/reps/{rep_id}/skills",
    summary="A rep's skill scores, the skills their findings point at, recommended training",
)
def rep_skills(
    services: Services, engine: AppDb, user: ApiUser, rep_id: str, as_of: AsOfParam = None
) -> RepSkills:
    return RepSkills.model_validate(
        management.rep_skills_view(services, engine, user, rep_id, as_of)
    )
