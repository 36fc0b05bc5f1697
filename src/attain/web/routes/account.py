"""Signing in and out, the start page, and who the API's caller is."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attain.access import ROLE_RESOURCES, Resource
from attain.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignInThrottled,
    set_session_cookie,
    sign_in_over_http,
    sign_out,
)
from attain.web.deps import ApiUser, AppDb, PageUser, page_forms, routers
from attain.web.rendering import render
from attain.web.schemas import Me

pages, api = routers("account")
forms = page_forms()


def _safe_next(target: str | None) -> str:
    """`target` if it is a path of this site (no open redirect); else the team overview."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/team"


def _sso(request: Request) -> dict[str, str]:
    """The configured single sign-on issuers, by name, with their buttons' text."""
    issuers = request.app.state.services.settings.web.oidc
    return {name: issuer.label or name for name, issuer in issuers.items()}


@pages.get("/", response_class=HTMLResponse)
def home(user: PageUser) -> Response:
    start = "/leads" if Resource.PERFORMANCE not in ROLE_RESOURCES[user.role] else "/team"
    return RedirectResponse(start, status_code=303)


@pages.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    # Without a `next`, "/" sends each role to its own start page (marketing to /leads).
    target = _safe_next(next or "/")
    response = render(request, "login.html", None, login_csrf=token, next=target, sso=_sso(request))
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=request.url.scheme == "https",
    )
    return response


@pages.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    engine: AppDb,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/team",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    failed = {"login_csrf": expected, "next": _safe_next(next), "sso": _sso(request)}
    if not expected or not secrets.compare_digest(csrf_token, expected):
        error = "The form expired; please sign in again."
        return render(request, "login.html", None, 403, **failed, error=error)
    try:
        started = sign_in_over_http(request, email, password)
    except SignInThrottled as error:
        wait = f"Too many wrong passwords; try again in {error.retry_after} seconds."
        throttled = render(request, "login.html", None, 429, **failed, error=wait)
        throttled.headers["Retry-After"] = str(error.retry_after)
        return throttled
    if started is None:
        return render(request, "login.html", None, 401, **failed, error="Wrong e-mail or password.")
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, started[0])
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@forms.post("/logout")
def logout(request: Request, engine: AppDb) -> Response:
    sign_out(engine, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api.get("/me", summary="Who you are and what your role lets you see")
def me(user: ApiUser) -> Me:
    return Me.of(user, resources=[resource.value for resource in sorted(ROLE_RESOURCES[user.role])])
