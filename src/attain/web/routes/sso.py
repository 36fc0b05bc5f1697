"""Single sign-on pages (docs/web.md, Single sign-on): start a sign-in at a configured OpenID
Connect issuer, and finish it when the issuer sends the browser back.

A sign-in at the issuer does one of three things, fixed when it starts:
- `sign_in`: the account already linked to that (issuer, subject) is signed in; an unlinked
  one is refused, whatever e-mail the issuer names;
- `invite`: an invited person follows their invitation by signing in at the issuer, which
  links that identity to their account;
- `link`: a signed-in user links the identity to their own account.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from attain.access import NotFound
from attain.appdb import accounts
from attain.appdb.database import session_scope
from attain.appdb.models import LinkPurpose, User
from attain.appdb.settings import OidcIssuer
from attain.web import sso
from attain.web.auth import SESSION_COOKIE, LoginRequired, page_user, session_user
from attain.web.deps import AppDb, routers
from attain.web.routes.accounts import signed_in

pages, api = routers("sso")


def _issuer(request: Request, name: str) -> OidcIssuer:
    found = request.app.state.services.settings.web.oidc.get(name)
    if found is None:
        raise NotFound(f"no single sign-on issuer {name}")
    issuer: OidcIssuer = found
    return issuer


def _callback(request: Request, name: str) -> str:
    return str(request.url_for("sso_callback", name=name))


@pages.get("/sso/{name}")
def sso_start(
    request: Request, engine: AppDb, name: str, invite: str = "", link: bool = False
) -> Response:
    issuer = _issuer(request, name)
    purpose = "invite" if invite else "link" if link else "sign_in"
    if purpose == "invite":
        with session_scope(engine) as session:
            accounts.link_user(session, invite, LinkPurpose.INVITATION)
    if purpose == "link":
        page_user(request)  # LoginRequired sends the browser to /login first
    url, flow = sso.start(name, issuer, _callback(request, name), purpose, invite)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        sso.FLOW_COOKIE,
        flow.cookie(),
        max_age=sso.FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/sso",
    )
    return response


@pages.get("/sso/{name}/callback", name="sso_callback")
def sso_callback(
    request: Request, engine: AppDb, name: str, state: str = "", code: str = ""
) -> Response:
    issuer = _issuer(request, name)
    flow = sso.Flow.from_cookie(request.cookies.get(sso.FLOW_COOKIE))
    if flow is None or flow.name != name:
        raise sso.SsoFailed("this sign-in was not started here, or took too long; start again")
    identity = sso.finish(issuer, flow, _callback(request, name), state, code)
    response = _complete(request, engine, flow, identity)
    response.delete_cookie(sso.FLOW_COOKIE, path="/sso")
    return response


def _complete(request: Request, engine: Engine, flow: sso.Flow, identity: sso.Identity) -> Response:
    """What the sign-in was for, done: an invitation accepted, an identity linked, or the
    linked account signed in."""
    if flow.purpose == "invite":
        with session_scope(engine) as session:
            user = accounts.accept_invitation_by_sso(
                session, flow.invite, identity.issuer, identity.subject
            )
            user_id = user.id
        return signed_in(request, engine, user_id, "sso", "/")
    if flow.purpose == "link":
        found = session_user(engine, request.cookies.get(SESSION_COOKIE, ""))
        if found is None:
            raise LoginRequired()
        with session_scope(engine, user_id=found[0].id) as session:
            own = session.get(User, found[0].id)
            assert own is not None
            accounts.link_identity(session, own, identity.issuer, identity.subject)
        return RedirectResponse("/account#sso", status_code=303)
    with session_scope(engine) as session:
        linked = accounts.user_for_identity(session, identity.issuer, identity.subject)
        linked_id = linked.id if linked is not None else None
    if linked_id is None:
        raise sso.SsoFailed(
            "no Attain account is linked to that sign-in; follow your invitation, or sign in "
            "with your password and link it on your account page"
        )
    return signed_in(request, engine, linked_id, "sso", "/")
