"""HTML pages: sign-in, team overview, rep (with its coaching panel and activity plan), leads &
channels, forecast, diagnosis, coaching coverage, digest, the alignment meeting, intensive
programs, the skills matrix, new-hire ramp, product priorities and compensation.

Pages render the same data as the API (`attain.web.view_models`). HTMX requests aimed at
`#content` (the as-of form) get only the page's content block back. Every table links to
its API endpoint's `?format=csv` for the rows behind its numbers.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from attain.access import (
    ROLE_RESOURCES,
    Principal,
    Resource,
    check_rep_writer,
    check_writer,
)
from attain.errors import InputError
from attain.web import coaching_view_models, management, view_models
from attain.web.api import EARLIEST_AS_OF, LATEST_AS_OF, RecordId, engine_of, services_of
from attain.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageUser,
    checked_csrf,
    set_session_cookie,
    sign_in,
    sign_out,
)
from attain.workflow.coaching import split_topics

router = APIRouter(include_in_schema=False)

AsOf = Annotated[date | None, Query(ge=EARLIEST_AS_OF, le=LATEST_AS_OF)]


def render(
    request: Request, template: str, user: Principal | None, status: int = 200, **context: Any
) -> Response:
    """A page, or only its content block for an HTMX request aimed at #content."""
    partial = request.headers.get("hx-request") == "true" and (
        request.headers.get("hx-target") == "content"
    )
    resources = ROLE_RESOURCES[user.role] if user else frozenset()
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf": getattr(request.state, "csrf", ""),
            "partial": partial,
            "can": {resource.value: resource in resources for resource in Resource},
            **context,
        },
        status_code=status,
    )
    return response


def vega(spec: dict[str, Any] | None, element_id: str) -> Markup:
    """A chart placeholder that static/app.js embeds with vega-embed."""
    if spec is None:
        return Markup("")
    payload = json.dumps(spec).replace("</", "<\\/")
    return Markup(
        f'<div class="chart" id="{element_id}" data-testid="{element_id}"></div>'
        f'<script type="application/json" data-vega-for="{element_id}">{payload}</script>'
    )


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/team"


@router.get("/", response_class=HTMLResponse)
def home(user: PageUser) -> Response:
    start = "/leads" if Resource.PERFORMANCE not in ROLE_RESOURCES[user.role] else "/team"
    return RedirectResponse(start, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    # Without a `next`, "/" sends each role to its own start page (marketing to /leads).
    target = _safe_next(next or "/")
    response = render(request, "login.html", None, login_csrf=token, next=target)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/team",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token, expected):
        return render(
            request,
            "login.html",
            None,
            403,
            login_csrf=expected,
            next=_safe_next(next),
            error="The form expired; please sign in again.",
        )
    started = sign_in(engine_of(request), email, password)
    if started is None:
        return render(
            request,
            "login.html",
            None,
            401,
            login_csrf=expected,
            next=_safe_next(next),
            error="Wrong e-mail or password.",
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, started[0])
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(checked_csrf)])
def logout(request: Request) -> Response:
    sign_out(engine_of(request), request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


REPS_SHOWN = 100
"""Reps listed on the team overview by default, most at risk first (like `attain report
--limit`); `?limit=0` lists all, and the CSV link always has every row."""


@router.get("/team", response_class=HTMLResponse)
def team_page(
    request: Request,
    user: PageUser,
    as_of: AsOf = None,
    team: str | None = None,
    limit: Annotated[int, Query(ge=0)] = REPS_SHOWN,
) -> Response:
    data = view_models.team_overview(services_of(request), user, as_of, team)
    shown = data["reps"] if limit == 0 else data["reps"][:limit]
    return render(request, "team.html", user, data=data, reps=shown, page="team")


@router.get("/fragments/cone", response_class=HTMLResponse)
def cone_fragment(request: Request, user: PageUser, as_of: AsOf = None) -> Response:
    spec = view_models.cone_view(services_of(request), user, as_of)
    return HTMLResponse(str(vega(spec, "forecast-cone")) or "<p>No forecast to show.</p>")


@router.get("/reps/{rep_id}", response_class=HTMLResponse)
def rep_page(request: Request, user: PageUser, rep_id: str, as_of: AsOf = None) -> Response:
    services, engine = services_of(request), engine_of(request)
    data = view_models.rep_detail(services, engine, user, rep_id, as_of)
    panel = coaching_view_models.coaching_panel(services, engine, user, rep_id, as_of)
    plan = coaching_view_models.rep_plan(services, engine, user, rep_id, as_of)
    return render(request, "rep.html", user, data=data, panel=panel, plan=plan, page="rep")


@router.get("/leads", response_class=HTMLResponse)
def leads_page(request: Request, user: PageUser, as_of: AsOf = None) -> Response:
    services = services_of(request)
    data = view_models.channels_view(services, user, as_of)
    icp = view_models.icp_view(services, user)
    grades: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    if icp["defined"]:
        grades = view_models.lead_grades_view(services, user, as_of)
        for row in grades:
            counts[row["grade"] or "—"] = counts.get(row["grade"] or "—", 0) + 1
    return render(
        request, "leads.html", user, data=data, icp=icp, grade_counts=counts, page="leads"
    )


@router.get("/forecast", response_class=HTMLResponse)
def forecast_page(request: Request, user: PageUser, as_of: AsOf = None) -> Response:
    data = view_models.forecast_view(services_of(request), user, as_of)
    return render(request, "forecast.html", user, data=data, page="forecast")


@router.get("/diagnosis", response_class=HTMLResponse)
def diagnosis_page(request: Request, user: PageUser, as_of: AsOf = None) -> Response:
    services = services_of(request)
    day = services.as_of(as_of)
    findings = view_models.findings_view(services, user, day.day)
    return render(
        request,
        "diagnosis.html",
        user,
        data={"as_of": day.day.isoformat(), "notes": list(day.notes), "findings": findings},
        page="diagnosis",
    )


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
    request: Request, user: Principal, rep_id: str, as_of: date | None, **extra: Any
) -> Response:
    panel = coaching_view_models.coaching_panel(
        services_of(request), engine_of(request), user, rep_id, as_of
    )
    return render(request, "_coaching.html", user, panel=panel, **extra)


@router.post(
    "/reps/{rep_id}/coaching", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)]
)
async def log_coaching(
    request: Request, user: PageUser, rep_id: str, as_of: AsOf = None
) -> Response:
    form = await request.form()
    services = services_of(request)
    # Access first: another rep's page is 404 (and a rep's own 403) before the form is read.
    check_rep_writer(
        user, view_models.scope(services, user, Resource.COACHING), rep_id, services.roster()
    )
    try:
        coaching_view_models.log_coaching_session(
            services, engine_of(request), user, _session_form(rep_id, form)
        )
    except InputError as error:
        if request.headers.get("hx-request") != "true":
            raise
        return _panel(request, user, rep_id, as_of, error=str(error))
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/reps/{rep_id}", status_code=303)
    return _panel(request, user, rep_id, as_of, message="Session logged.")


@router.post(
    "/actions/{action_id}/done", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)]
)
def complete_action(
    request: Request, user: PageUser, action_id: RecordId, as_of: AsOf = None
) -> Response:
    row = coaching_view_models.complete_action(
        services_of(request), engine_of(request), user, action_id
    )
    rep_id = row["rep_id"]
    if request.headers.get("hx-request") != "true" or rep_id is None:
        return RedirectResponse(f"/reps/{rep_id}" if rep_id else "/alignment", status_code=303)
    return _panel(request, user, rep_id, as_of, message=f"Done: {row['title']}.")


@router.get("/coaching", response_class=HTMLResponse)
def coaching_page(
    request: Request, user: PageUser, as_of: AsOf = None, team: str | None = None
) -> Response:
    data = coaching_view_models.coverage_view(
        services_of(request), engine_of(request), user, as_of, team
    )
    return render(request, "coaching.html", user, data=data, page="coaching")


@router.get("/digest", response_class=HTMLResponse)
def digest_page(
    request: Request,
    user: PageUser,
    as_of: AsOf = None,
    team: str | None = None,
    rep: str | None = None,
) -> Response:
    found = coaching_view_models.digest_view(
        services_of(request), engine_of(request), user, as_of, team, rep
    )
    data = found.digest.to_dict()
    return render(request, "digest.html", user, data=data, teams=found.teams, page="digest")


@router.get("/alignment", response_class=HTMLResponse)
def alignment_page(request: Request, user: PageUser, as_of: AsOf = None) -> Response:
    data = coaching_view_models.alignment_view(
        services_of(request), engine_of(request), user, as_of
    )
    return render(request, "alignment.html", user, data=data, page="alignment")


# -- programs, skills, ramp, product priorities, compensation --------------------------------
M = TypeVar("M", bound=BaseModel)


def _form_model(model: type[M], **fields: Any) -> M:
    """A posted form's fields as `model` (InputError saying which field does not fit)."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InputError(f"check the form: {problems}") from None


def _text(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip()


@router.get("/programs", response_class=HTMLResponse)
def programs_page(request: Request, user: PageUser, rep: str | None = None) -> Response:
    data = management.programs_page(services_of(request), engine_of(request), user, rep)
    return render(request, "programs.html", user, data=data, page="programs")


@router.post("/programs", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)])
async def start_program(request: Request, user: PageUser) -> Response:
    form = await request.form()
    services = services_of(request)
    rep_id = _text(form, "rep_id")
    # Access first: another rep is 404 (and a rep's own 403) before the form is read.
    check_rep_writer(
        user, view_models.scope(services, user, Resource.PROGRAMS), rep_id, services.roster()
    )
    asked = _form_model(
        management.ProgramIn,
        rep_id=rep_id,
        start=_text(form, "start"),
        weeks=_text(form, "weeks"),
        goal=_text(form, "goal"),
        metrics=[str(m) for m in form.getlist("metrics")],
    )
    made = management.start_program_view(services, engine_of(request), user, asked)
    return RedirectResponse(f"/programs/{made['id']}", status_code=303)


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program_page(
    request: Request, user: PageUser, program_id: RecordId, as_of: AsOf = None
) -> Response:
    data = management.program_review_view(
        services_of(request), engine_of(request), user, program_id, as_of
    )
    return render(request, "program.html", user, data=data, page="programs")


@router.post(
    "/programs/{program_id}/check-ins",
    response_class=HTMLResponse,
    dependencies=[Depends(checked_csrf)],
)
async def program_check_in(request: Request, user: PageUser, program_id: RecordId) -> Response:
    form = await request.form()
    services, engine = services_of(request), engine_of(request)
    management.check_program_writer(services, engine, user, program_id)
    held = _text(form, "held_on")
    asked = _form_model(
        management.CheckInIn,
        held_at=f"{held}T00:00:00+00:00" if held else "",
        duration_minutes=_text(form, "minutes") or 30,
        notes=_text(form, "notes"),
        topics=list(split_topics(_text(form, "topics"))),
    )
    management.program_check_in_view(services, engine, user, program_id, asked)
    return RedirectResponse(f"/programs/{program_id}", status_code=303)


@router.get("/skills", response_class=HTMLResponse)
def skills_page(request: Request, user: PageUser) -> Response:
    data = management.skills_page(services_of(request), engine_of(request), user)
    return render(request, "skills.html", user, data=data, page="skills")


@router.post("/skills", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)])
async def set_skill_score(request: Request, user: PageUser) -> Response:
    form = await request.form()
    services = services_of(request)
    rep_id = _text(form, "rep_id")
    check_rep_writer(
        user, view_models.scope(services, user, Resource.SKILLS), rep_id, services.roster()
    )
    asked = _form_model(
        management.SkillScoreIn,
        rep_id=rep_id,
        skill=_text(form, "skill"),
        score=_text(form, "score"),
        note=_text(form, "note"),
    )
    management.set_skill_score_view(services, engine_of(request), user, asked)
    return RedirectResponse(f"/skills/{rep_id}", status_code=303)


@router.get("/skills/{rep_id}", response_class=HTMLResponse)
def rep_skills_page(request: Request, user: PageUser, rep_id: str, as_of: AsOf = None) -> Response:
    data = management.rep_skills_view(services_of(request), engine_of(request), user, rep_id, as_of)
    return render(request, "rep_skills.html", user, data=data, page="skills")


@router.get("/ramp", response_class=HTMLResponse)
def ramp_page(
    request: Request, user: PageUser, as_of: AsOf = None, rep: str | None = None
) -> Response:
    data = management.ramp_view(services_of(request), user, as_of, rep)
    return render(request, "ramp.html", user, data=data, page="ramp")


@router.get("/products", response_class=HTMLResponse)
def products_page(request: Request, user: PageUser) -> Response:
    data = management.products_view(services_of(request), engine_of(request), user)
    return render(request, "products.html", user, data=data, page="products")


@router.post(
    "/products/{product_id}", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)]
)
async def set_product_priority(request: Request, user: PageUser, product_id: str) -> Response:
    form = await request.form()
    services = services_of(request)
    view_models.scope(services, user, Resource.PRODUCTS)
    check_writer(user, Resource.PRODUCTS)
    asked = _form_model(
        management.PriorityIn,
        tier=_text(form, "tier"),
        differentiators=_text(form, "differentiators"),
    )
    management.set_priority_view(services, engine_of(request), user, product_id, asked)
    return RedirectResponse(f"/products#product-{product_id}", status_code=303)


@router.get("/compensation", response_class=HTMLResponse)
def compensation_page(
    request: Request,
    user: PageUser,
    as_of: AsOf = None,
    period: Annotated[str | None, Query(max_length=40)] = None,
    rep: str | None = None,
) -> Response:
    data = management.payouts_view(
        services_of(request), engine_of(request), user, as_of, period or None, rep
    )
    return render(request, "compensation.html", user, data=data, page="compensation")
