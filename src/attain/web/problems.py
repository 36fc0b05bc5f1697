"""Errors as RFC 9457 problem details (`application/problem+json`) for the API, and as a short
HTML page (or a redirect to /login) for pages.

| raised                          | status | API                      | pages                   |
|---------------------------------|--------|--------------------------|-------------------------|
| LoginRequired / Unauthenticated | 401    | problem                  | 303 to /login?next=…    |
| CsrfRejected                    | 403    | problem                  | error page              |
| Forbidden (role)                | 403    | problem                  | error page              |
| NotFound (absent or out of scope)| 404   | problem                  | error page              |
| request validation              | 422    | problem with `errors`    | error page              |
| InputError / ConfigError        | 400/409| problem                  | error page              |
| StoreError                      | 503    | problem                  | error page              |

All of these but request validation are `AttainError`s; Starlette picks the handler of the
most specific class, so the `AttainError` handler answers only the errors not listed above.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from attain.access import Forbidden, NotFound
from attain.errors import AttainError, ConfigError, InputError, StoreError
from attain.web.auth import CsrfRejected, LoginRequired, Unauthenticated

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"


class ProblemResponse(JSONResponse):
    """A JSON response with the problem-details media type."""

    media_type = PROBLEM_JSON


def problem(
    request: Request,
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The error as problem details on the API, as an HTML page elsewhere."""
    title = HTTPStatus(status).phrase
    if not request.url.path.startswith(API_PREFIX):
        templates = request.app.state.templates
        return templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail, "user": None},
            status_code=status,
            headers=dict(headers or {}),
        )
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    async def login_required(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX):
            return problem(request, 401, "sign in first", {"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    async def unauthenticated(request: Request, error: Exception) -> Response:
        return problem(request, 401, str(error), {"WWW-Authenticate": "Bearer"})

    async def forbidden(request: Request, error: Exception) -> Response:
        return problem(request, 403, str(error))

    async def not_found(request: Request, error: Exception) -> Response:
        return problem(request, 404, str(error))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        return problem(request, error.status_code, str(error.detail), error.headers)

    async def invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"loc": [str(part) for part in item["loc"]], "msg": _plain(item["msg"])}
            for item in error.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return problem(request, 422, detail, errors=errors)

    async def attain_error(request: Request, error: Exception) -> Response:
        status = (
            400
            if isinstance(error, InputError)
            else 409
            if isinstance(error, ConfigError)
            else 503
            if isinstance(error, StoreError)
            else 500
        )
        return problem(request, status, redacted(str(error)))

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(CsrfRejected, forbidden)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(AttainError, attain_error)


_ENUM_REPR = re.compile(r"<\w+\.\w+: '([^']*)'>")
_PATH = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:)?[/\\](?:[^\s\"'(),;:]+[/\\])*([^\s\"'(),;:/\\]*)")
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in \S+(?: \(PID \d+\))?(?: by user [^\s.]+)?")
_PROCESS = re.compile(r"\s*\((?:PID|pid)\s*\d+\)|\b(?:PID|pid)\s*\d+")


def redacted(detail: str) -> str:
    """`detail` without the server's own file paths (each shown by its last part only) and
    process ids: a problem body tells the client what went wrong, not where the app runs.
    DuckDB's lock error, for one, names the store's path, the interpreter and its PID."""
    detail = _LOCK_HOLDER.sub("another process holds it", detail)
    return _PROCESS.sub("", _PATH.sub(lambda found: found.group(1) or "…", detail))


def _plain(message: str) -> str:
    """Pydantic's message with enum members as the values a client sends.

    A `Literal[Format.JSON, Format.CSV]` parameter fails with "Input should be <Format.JSON:
    'json'> or …"; the client typed `json`, so that is what the message names.
    """
    return _ENUM_REPR.sub(r"'\1'", message)
