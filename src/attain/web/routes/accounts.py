"""Accounts that manage themselves (docs/web.md, Accounts): invitations, one's own password and
API tokens, password resets by e-mail, disabling and enabling, and single sign-on.

The rules are `attain.access`'s and the records `attain.appdb.accounts`'s; this module reads
the request, sends the e-mail and answers. Pages reached from an e-mailed link (an invitation,
a reset) need no session: the link's one-time token is the proof.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from attain.access import Forbidden, NotFound, Principal, principal
from attain.appdb import accounts
from attain.appdb.database import session_scope
from attain.appdb.models import LinkPurpose, Role, User
from attain.appdb.settings import WebSettings
from attain.config import Settings
from attain.errors import ConfigError, InputError
from attain.mail import MailError, MailSettings, send
from attain.web import deps
from attain.web import services as web_services
from attain.web.auth import (
    SESSION_COOKIE,
    check_origin,
    session_id,
    set_session_cookie,
    start_session,
)
from attain.web.deps import (
    ApiUser,
    AppDb,
    CurrentPage,
    ListParams,
    RecordId,
    Services,
    page_forms,
    routers,
)
from attain.web.rendering import form_model, render
from attain.web.schemas import Account, Invited, Page, TokenInfo

logger = logging.getLogger(__name__)
pages, api = routers("accounts")
forms = page_forms()
writes = deps.api_writes("accounts")

PASSWORD = 1_024
"""The longest password a form or body may carry (the policy reads its first 100 characters)."""


class InvitationIn(BaseModel):
    """Whom to invite: e-mail, name, role; a rep's CRM rep id; a manager's teams."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    role: Role
    rep_id: str | None = Field(None, max_length=64)
    team_ids: list[str] = Field(default_factory=list, max_length=50)


class PasswordChangeIn(BaseModel):
    """One's current password and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=PASSWORD)
    new_password: str = Field(max_length=PASSWORD)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.services.settings
    return settings


def _web(request: Request) -> WebSettings:
    return _settings(request).web


def _teams_of(services: web_services.Services, user: Principal) -> dict[str, str | None]:
    """Every rep's team, read from the store only when a manager's rules need it."""
    if user.role is not Role.MANAGER:
        return {}
    return {rep: entry.team_id for rep, entry in services.roster().items()}


def _account(user: User) -> Account:
    return Account.of(principal(user), active=user.is_active)


def _mail(request: Request) -> MailSettings:
    """The [email] settings; ConfigError (409) when no server is configured."""
    mail = _settings(request).email
    if not mail.enabled:
        raise ConfigError(
            "e-mail is not configured ([email] host in attain.toml); `attain users invite` "
            "prints the link to hand over instead"
        )
    return mail


def invite_as(
    request: Request,
    services: web_services.Services,
    engine: Engine,
    user: Principal,
    asked: InvitationIn,
) -> Invited:
    """Invite as `user` and e-mail the link; nothing is kept when the e-mail cannot be sent."""
    hours = _web(request).invitation_hours
    teams = _teams_of(services, user)
    with session_scope(engine, user_id=user.id) as session:
        invitation = accounts.invite(
            session,
            user,
            asked.email,
            asked.name,
            asked.role,
            timedelta(hours=hours),
            asked.rep_id,
            asked.team_ids,
            teams,
        )
        mail = _mail(request)  # after the access rules, so a refusal does not depend on it
        message = accounts.invitation_message(mail, invitation, user.name)
        try:
            send(mail, message)
        except MailError as error:
            raise ConfigError(f"{error}; the invitation was not saved") from error
        return Invited(account=_account(invitation.user), expires_at=invitation.expires_at)


def set_active_as(
    services: web_services.Services, engine: Engine, user: Principal, user_id: int, active: bool
) -> Account:
    """Disable or enable account `user_id` as `user` (attain.access rules)."""
    teams = _teams_of(services, user)
    with session_scope(engine, user_id=user.id) as session:
        return _account(accounts.set_active(session, user, user_id, active, teams))


def _tokens(engine: Engine, user: Principal) -> list[TokenInfo]:
    with session_scope(engine) as session:
        return [
            TokenInfo(
                id=token.id,
                name=token.name,
                user_email=owner,
                created_at=token.created_at,
                last_used_at=token.last_used_at,
                revoked_at=token.revoked_at,
            )
            for token, owner in accounts.visible_tokens(session, user)
        ]


def _revoke(engine: Engine, user: Principal, token_id: int) -> TokenInfo:
    with session_scope(engine, user_id=user.id) as session:
        accounts.revoke_token(session, user, token_id)
    return next(token for token in _tokens(engine, user) if token.id == token_id)


def _managed(services: web_services.Services, engine: Engine, user: Principal) -> list[Account]:
    if user.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden(f"the {user.role} role cannot manage accounts")
    teams = _teams_of(services, user)
    with session_scope(engine) as session:
        return [_account(found) for found in accounts.visible_users(session, user, teams)]


def signed_in(request: Request, engine: Engine, user_id: int, how: str, to: str) -> Response:
    """A redirect to `to` with a new session for `user_id` (after a link or single sign-on)."""
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        token, _ = start_session(session, user, how)
    response = RedirectResponse(to, status_code=303)
    set_session_cookie(request, response, token)
    return response


# --- Own account ------------------------------------------------------------------------


@pages.get("/account", response_class=HTMLResponse)
def account_page(page: CurrentPage, engine: AppDb, notice: str | None = None) -> Response:
    return _account_page(page, engine, notice)


def _account_page(page: deps.Page, engine: Engine, notice: str | None, error: str = "") -> Response:
    """One's account: password, API tokens, single sign-on links."""
    with session_scope(engine) as session:
        identities = [(i.issuer, i.subject) for i in accounts.identities_of(session, page.user.id)]
    return render(
        page.request,
        "account.html",
        page.user,
        400 if error else 200,
        tokens=_tokens(engine, page.user),
        identities=identities,
        issuers=_web(page.request).oidc,
        min_length=_web(page.request).min_password_length,
        notice={"password": "Your password was changed; other sessions were signed out."}.get(
            notice or ""
        ),
        error=error,
        page="account",
    )


@forms.post("/account/password")
def change_password_page(
    page: CurrentPage,
    engine: AppDb,
    current_password: Annotated[str, Form(max_length=PASSWORD)],
    new_password: Annotated[str, Form(max_length=PASSWORD)],
) -> Response:
    keep = session_id(page.request.cookies.get(SESSION_COOKIE, ""))
    try:
        with session_scope(engine, user_id=page.user.id) as session:
            accounts.change_password(
                session,
                page.user.id,
                current_password,
                new_password,
                _web(page.request).min_password_length,
                keep_session=keep,
            )
    except InputError as error:
        return _account_page(page, engine, None, str(error))
    return RedirectResponse("/account?notice=password", status_code=303)


@forms.post("/account/tokens/{token_id}/revoke")
def revoke_token_page(page: CurrentPage, engine: AppDb, token_id: RecordId) -> Response:
    _revoke(engine, page.user, token_id)
    return RedirectResponse("/account#tokens", status_code=303)


@api.get(
    "/tokens",
    response_model=Page[TokenInfo],
    summary="API tokens: your own; an admin's, everyone's",
)
def tokens(engine: AppDb, user: ApiUser, listing: ListParams) -> Any:
    rows = [token.model_dump(mode="json") for token in _tokens(engine, user)]
    return listing.answer(rows, "api-tokens")


@writes.post("/tokens/{token_id}/revoke", summary="Revoke an API token (yours; an admin any)")
def revoke_token(engine: AppDb, user: ApiUser, token_id: RecordId) -> TokenInfo:
    return _revoke(engine, user, token_id)


@writes.post(
    "/me/password",
    summary="Change your password (the current one is needed); your other sessions end",
)
def change_password(
    request: Request, engine: AppDb, user: ApiUser, body: PasswordChangeIn
) -> Account:
    keep = session_id(request.cookies.get(SESSION_COOKIE, ""))
    with session_scope(engine, user_id=user.id) as session:
        changed = accounts.change_password(
            session,
            user.id,
            body.current_password,
            body.new_password,
            _web(request).min_password_length,
            keep_session=keep,
        )
        return _account(changed)


# --- Managing others' accounts -------------------------------------------------------


@pages.get("/users", response_class=HTMLResponse)
def users_page(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    return page.render(
        "users.html",
        accounts=_managed(services, engine, page.user),
        roles=[role.value for role in Role] if page.user.role is Role.ADMIN else ["rep"],
        page="users",
    )


@forms.post("/users/invite")
async def invite_page(page: CurrentPage, services: Services, engine: AppDb) -> Response:
    form = await page.request.form()
    fields: dict[str, Any] = {key: str(form.get(key, "")).strip() for key in ("email", "name")}
    fields["role"] = str(form.get("role", "rep"))
    fields["rep_id"] = str(form.get("rep_id", "")).strip() or None
    fields["team_ids"] = [t.strip() for t in str(form.get("team_ids", "")).split(",") if t.strip()]
    asked = form_model(InvitationIn, **fields)
    invite_as(page.request, services, engine, page.user, asked)
    return RedirectResponse("/users", status_code=303)


@forms.post("/users/{user_id}/{action}")
def set_active_page(
    page: CurrentPage, services: Services, engine: AppDb, user_id: RecordId, action: str
) -> Response:
    if action not in ("disable", "enable"):
        raise NotFound(f"no action {action}")
    set_active_as(services, engine, page.user, user_id, action == "enable")
    return RedirectResponse("/users", status_code=303)


@api.get(
    "/users",
    response_model=Page[Account],
    summary="Accounts you manage: an admin every one, a manager their teams' reps",
)
def users(services: Services, engine: AppDb, user: ApiUser, listing: ListParams) -> Any:
    rows = [account.model_dump(mode="json") for account in _managed(services, engine, user)]
    return listing.answer(rows, "accounts")


@writes.post(
    "/invitations",
    status_code=201,
    summary="Invite someone by e-mail (admins anyone; managers reps of their own teams)",
)
def invite(
    request: Request, services: Services, engine: AppDb, user: ApiUser, body: InvitationIn
) -> Invited:
    return invite_as(request, services, engine, user, body)


@writes.post("/users/{user_id}/disable", summary="Disable an account you manage")
def disable(services: Services, engine: AppDb, user: ApiUser, user_id: RecordId) -> Account:
    return set_active_as(services, engine, user, user_id, False)


@writes.post("/users/{user_id}/enable", summary="Enable a disabled account you manage")
def enable(services: Services, engine: AppDb, user: ApiUser, user_id: RecordId) -> Account:
    return set_active_as(services, engine, user, user_id, True)


# --- Links from e-mails: no session needed ----------------------------------------------


def _link_page(
    request: Request, engine: Engine, secret: str, purpose: LinkPurpose, error: str = ""
) -> Response:
    """The page of an e-mailed link (with `error` when its form was refused); an expired,
    used or unknown link says so, never which."""
    with session_scope(engine) as session:
        try:
            user = accounts.link_user(session, secret, purpose)
        except InputError:
            raise NotFound(accounts.LINK_EXPIRED) from None
        name, email = user.name, user.email
    template = "invite.html" if purpose is LinkPurpose.INVITATION else "password_reset.html"
    return render(
        request,
        template,
        None,
        400 if error else 200,
        name=name,
        email=email,
        secret=secret,
        issuers=_web(request).oidc,
        min_length=_web(request).min_password_length,
        error=error,
    )


def _link_routes(path: str, purpose: LinkPurpose) -> None:
    """Register an e-mailed link's page (GET `path`) and the password form it posts."""

    @pages.get(path, response_class=HTMLResponse, name=f"{purpose.value}_page")
    def link_page(request: Request, engine: AppDb, secret: str) -> Response:
        return _link_page(request, engine, secret, purpose)

    @pages.post(path, response_class=HTMLResponse, name=f"{purpose.value}_password")
    def password_from_link(
        request: Request,
        engine: AppDb,
        secret: str,
        password: Annotated[str, Form(max_length=PASSWORD)],
    ) -> Response:
        return _password_from_link(request, engine, secret, purpose, password)


_link_routes("/invite/{secret}", LinkPurpose.INVITATION)


def _password_from_link(
    request: Request, engine: Engine, secret: str, purpose: LinkPurpose, password: str
) -> Response:
    """Set a password through an e-mailed link: an invitation then signs the person in, a
    reset sends them to sign in; a refused password shows the form again, saying why."""
    check_origin(request)
    invitation = purpose is LinkPurpose.INVITATION
    follow = accounts.accept_invitation if invitation else accounts.reset_password
    try:
        with session_scope(engine) as session:
            user_id = follow(session, secret, password, _web(request).min_password_length).id
    except InputError as error:
        return _link_page(request, engine, secret, purpose, str(error))
    if invitation:
        return signed_in(request, engine, user_id, "invitation", "/")
    return RedirectResponse("/login", status_code=303)


@pages.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return render(request, "password_forgot.html", None, sent=False)


@pages.post("/password/forgot", response_class=HTMLResponse)
def forgot(
    request: Request,
    engine: AppDb,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)],
) -> Response:
    """The same answer whether or not the e-mail has an account; the e-mail goes out after
    the answer, so its time does not tell either."""
    check_origin(request)
    mail, minutes = _settings(request).email, _web(request).password_reset_minutes
    if mail.enabled:
        with session_scope(engine) as session:
            found = accounts.request_reset(session, email, timedelta(minutes=minutes))
            if found is not None:
                message = accounts.reset_message(mail, found[0], found[1], minutes)
                background.add_task(_send_quietly, mail, message)
    return render(request, "password_forgot.html", None, sent=True, minutes=minutes)


def _send_quietly(mail: MailSettings, message: Any) -> None:
    """Send a reset e-mail after the answer; a failure cannot reach the asker (who must not
    learn whether the account exists), so it goes to the server's log."""
    try:
        send(mail, message)
    except MailError as error:
        logger.warning("password reset e-mail not sent: %s", error)


_link_routes("/password/reset/{secret}", LinkPurpose.PASSWORD_RESET)
