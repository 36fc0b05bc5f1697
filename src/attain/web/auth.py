"""Signing in and out, session cookies, CSRF tokens and bearer API tokens.

- A browser signs in with e-mail and password; the cookie holds a random token whose SHA-256
  is the `web_sessions` row's id, so a copy of the app database yields no usable cookie. The
  cookie is HttpOnly, SameSite=Lax, and Secure when the request came over https.
- Each session has its own CSRF token: every POST form carries it as `csrf_token`, and HTMX
  sends it in the `X-CSRF-Token` header (the base layout sets `hx-headers`). The login form,
  made before any session exists, uses a double-submit cookie instead.
- Scripts call `/api/v1` with `Authorization: Bearer attain_…` (`attain users token`); the API
  also accepts the session cookie, so pages can link to its CSV downloads.
- Wrong passwords earn a growing delay per account and client address (`appdb.throttle`); the
  client address comes from X-Forwarded-For only when the peer is a trusted proxy.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from attain.access import Principal, principal
from attain.appdb import throttle
from attain.appdb.audit import record
from attain.appdb.database import session_scope
from attain.appdb.models import TeamMembership, User, WebSession, utcnow
from attain.appdb.settings import WebSettings
from attain.appdb.users import user_for_token, verify_password
from attain.errors import AttainError

SESSION_COOKIE = "attain_session"
LOGIN_CSRF_COOKIE = "attain_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_LIFETIME = timedelta(hours=12)
"""How long a sign-in lasts; signing in again starts a new session."""


class LoginRequired(AttainError):
    """A page needs a signed-in user: the browser is sent to /login."""


class Unauthenticated(AttainError):
    """An API call came without valid credentials (401)."""


class CsrfRejected(AttainError):
    """A form or HTMX request came without this session's CSRF token (403)."""


class SignInThrottled(AttainError):
    """Too many wrong passwords for this account from this address: wait (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many wrong passwords from this address; try again in {retry_after} s"
        )
        self.retry_after = retry_after


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    engine: Engine,
    email: str,
    password: str,
    client: str | None = None,
    settings: WebSettings | None = None,
    now: datetime | None = None,
) -> tuple[str, str] | None:
    """(cookie token, CSRF token) of a new session for valid credentials; None otherwise.

    A sign-in over HTTP names its `client` address: while that address's delay for this
    account runs, SignInThrottled is raised without checking the password; each failure is
    counted (`appdb.throttle`) and, like each throttle, written to the audit log.
    """
    if client is not None:
        _check_throttle(engine, email, client, now or utcnow())
    with session_scope(engine) as session:
        user = verify_password(session, email, password)
        if user is None:
            if client is not None:
                _note_failure(session, email, client, settings or WebSettings(), now or utcnow())
            return None
        if client is not None:
            throttle.clear(session, email, client)
        return start_session(session, user)


def start_session(session: Session, user: User, how: str = "password") -> tuple[str, str]:
    """(cookie token, CSRF token) of a new web session for `user`, whose identity the caller
    has checked (a password, a one-time link, a single sign-on)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + SESSION_LIFETIME,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    after = None if how == "password" else {"by": how}
    record(session, user.id, "sign_in", "users", user.id, None, after)
    return token, csrf


def session_id(token: str) -> str:
    """The `web_sessions` id of a session cookie's token."""
    return _hash(token)


def _check_throttle(engine: Engine, email: str, client: str, now: datetime) -> None:
    """SignInThrottled while `client`'s delay for `email` runs, recorded in the audit log
    (committed before raising)."""
    with session_scope(engine) as session:
        wait = throttle.seconds_to_wait(session, email, client, now)
        if wait is not None:
            after = {"client": client, "retry_after": wait}
            record(session, None, "sign_in_throttled", "users", email.strip().lower(), None, after)
    if wait is not None:
        raise SignInThrottled(wait)


def _note_failure(
    session: Session, email: str, client: str, settings: WebSettings, now: datetime
) -> None:
    row = throttle.note_failure(session, email, client, settings, now)
    after = {"client": client, "failures": row.failures}
    record(session, None, "sign_in_failed", "users", email.strip().lower(), None, after)


Address = IPv4Address | IPv6Address


def _address(text: str) -> Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: Request, trusted: list[IPv4Network | IPv6Network]) -> str:
    """The client's address: the peer's own, unless the peer is a trusted proxy; then the
    nearest address in X-Forwarded-For that is not a trusted proxy itself (a client can put
    anything at the far end of that header, so it is read from the proxy's side)."""
    peer = request.client.host if request.client else "unknown"

    def is_trusted(address: Address | None) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(_address(peer)):
        return peer
    forwarded = [part for part in request.headers.get("x-forwarded-for", "").split(",") if part]
    for hop in reversed(forwarded):
        address = _address(hop)
        if address is None:
            break
        if not is_trusted(address):
            return str(address)
    return peer


def _from_trusted_proxy(request: Request) -> bool:
    trusted: list[IPv4Network | IPv6Network] = (
        request.app.state.services.settings.web.trusted_proxies
    )
    peer = _address(request.client.host) if request.client else None
    return peer is not None and any(peer in network for network in trusted)


def sign_in_over_http(request: Request, email: str, password: str) -> tuple[str, str] | None:
    """`sign_in` for a request to the app: its settings, and its client address."""
    settings: WebSettings = request.app.state.services.settings.web
    client = client_address(request, settings.trusted_proxies)
    return sign_in(_engine(request), email, password, client, settings)


def sign_out(engine: Engine, token: str) -> None:
    """End the session of this cookie token (nothing happens for an unknown one)."""
    with session_scope(engine) as session:
        found = session.get(WebSession, _hash(token))
        if found is not None:
            session.delete(found)


_SESSION_USER = (
    select(
        WebSession.csrf_token,
        WebSession.expires_at,
        *(User.id, User.email, User.name, User.role, User.rep_id),
        TeamMembership.team_id,
    )
    .join(User, User.id == WebSession.user_id)
    .outerjoin(TeamMembership, TeamMembership.user_id == User.id)
    .where(User.is_active.is_(True))
    .order_by(TeamMembership.team_id)
)
"""A session's user with the teams they manage (a row per team): one query, where the ORM
took three and a session, on every request."""


def session_user(engine: Engine, token: str) -> tuple[Principal, str] | None:
    """The active user and CSRF token of a live session; None when expired or unknown."""
    with engine.connect() as connection:
        rows = connection.execute(_SESSION_USER.where(WebSession.id == _hash(token))).all()
    if not rows or rows[0].expires_at < utcnow():
        return None
    first = rows[0]
    teams = tuple(row.team_id for row in rows if row.team_id is not None)
    user = Principal(first.id, first.email, first.name, first.role, first.rep_id, teams)
    return user, first.csrf_token


def token_principal(engine: Engine, secret: str) -> Principal | None:
    """The active user an API token belongs to, or None."""
    with session_scope(engine) as session:
        user = user_for_token(session, secret)
        if user is None:
            return None
        session.refresh(user, ["team_memberships"])
        return principal(user)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def page_user(request: Request) -> Principal:
    """Dependency of every page: the signed-in user, else a redirect to /login."""
    token = request.cookies.get(SESSION_COOKIE)
    found = session_user(_engine(request), token) if token else None
    if found is None:
        raise LoginRequired()
    request.state.csrf = found[1]
    return found[0]


def api_user(request: Request) -> Principal:
    """Dependency of every API route: the bearer token's user, or the session's; else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if header:
        user = (
            token_principal(_engine(request), secret.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if user is None:
            raise Unauthenticated("the bearer token is unknown, revoked or its user disabled")
        return user
    token = request.cookies.get(SESSION_COOKIE)
    found = session_user(_engine(request), token) if token else None
    if found is None:
        raise Unauthenticated("sign in, or send Authorization: Bearer <token>")
    return found[0]


def check_origin(request: Request) -> None:
    """CsrfRejected when a cookie-authenticated write names another site in `Origin` (or, when
    a browser sent no Origin, in `Referer`); OWASP's check beside the CSRF token. Without
    either header the CSRF token alone decides. Hosts are compared, not schemes, since a TLS
    proxy in front may speak plain HTTP to the app; behind a trusted proxy that rewrites Host,
    its X-Forwarded-Host names the site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    own = request.headers.get("host", request.url.netloc)
    forwarded_host = request.headers.get("x-forwarded-host")
    if forwarded_host and _from_trusted_proxy(request):
        own = forwarded_host.split(",")[0].strip()
    own = own.lower()
    if source.strip() == "null" or urlsplit(source).netloc.lower() != own:
        raise CsrfRejected(f"a write from another site ({source[:100]}) is refused")


async def checked_csrf(request: Request, user: Annotated[Principal, Depends(page_user)]) -> None:
    """Dependency of every page POST: from this site (`check_origin`), with this session's CSRF
    token in the form or the header."""
    check_origin(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected: str = request.state.csrf
    if not sent or not secrets.compare_digest(sent, expected):
        raise CsrfRejected("the form's CSRF token is missing or wrong; reload the page")


def checked_api_csrf(request: Request) -> None:
    """Dependency of every API POST: a request authenticated by the browser's session cookie
    (not a bearer token) must also send the session's CSRF token in `X-CSRF-Token`."""
    if request.headers.get("authorization"):
        return
    token = request.cookies.get(SESSION_COOKIE)
    found = session_user(_engine(request), token) if token else None
    if found is None:
        return  # api_user answers 401
    check_origin(request)
    sent = request.headers.get(CSRF_HEADER)
    if not sent or not secrets.compare_digest(sent, found[1]):
        raise CsrfRejected("send the session's CSRF token in X-CSRF-Token, or use a bearer token")


PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]
