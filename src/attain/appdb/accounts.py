"""Accounts that manage themselves: invitations, password changes and resets, API tokens,
disabling and enabling, and single sign-on identities (issue #22).

Who may do what is `attain.access` (`check_may_invite`, `check_may_manage_account`,
`sees_tokens_of`); this module applies it and keeps the records. Links sent by e-mail carry a
random token that works once and expires; only its SHA-256 is stored (`OneTimeLink`), so a copy
of the app database opens no account. Setting a password through a link or changing it ends
the user's other web sessions. E-mails are composed here and sent by the caller
(`attain.mail.send`), so nothing here needs a network.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from attain.access import (
    Forbidden,
    NotFound,
    Principal,
    check_may_invite,
    check_may_manage_account,
    principal,
    sees_tokens_of,
)
from attain.appdb.audit import record
from attain.appdb.models import (
    ApiToken,
    LinkPurpose,
    OneTimeLink,
    Role,
    SsoIdentity,
    TeamMembership,
    User,
    WebSession,
    utcnow,
)
from attain.appdb.passwords import MIN_PASSWORD_LENGTH
from attain.appdb.users import (
    check_new_user,
    normalise_email,
    revoke_api_token,
    set_password,
    token_hash,
    unusable_password_hash,
    verify_password,
)
from attain.errors import InputError
from attain.mail import MailSettings, compose

LINK_EXPIRED = "This link has expired or was already used; ask for a new one."
"""What a used, expired or unknown link says (never which of the three)."""

RESET_INTERVAL = timedelta(minutes=1)
"""Fewest time between two reset e-mails to one account, so a stranger pressing "send me a
link" in a loop cannot flood someone's inbox."""

Teams = Mapping[str, str | None]
"""Every CRM rep id and its team id (from the store's roster), for a manager's rules."""


@dataclass(frozen=True)
class Invitation:
    """An invited user and the secret of their one-time link (to be e-mailed, never stored)."""

    user: User
    secret: str
    expires_at: datetime


def invite(
    session: Session,
    by: Principal | None,
    email: str,
    name: str,
    role: Role | str,
    lifetime: timedelta,
    rep_id: str | None = None,
    teams: Sequence[str] = (),
    teams_of: Teams | None = None,
) -> Invitation:
    """Invite `email` with `role`: a new account stays inactive until its holder follows the
    link; a disabled account is invited again (same id, so its history stays its own, with the
    new details). `by` is the inviter (None: an operator at the command line without --by).
    Earlier unused links of the account stop working."""
    address = normalise_email(email)
    existing = session.scalar(select(User).where(User.email == address))
    if existing is not None and existing.is_active:
        raise InputError(f"{address} already has an active account")
    new = check_new_user(
        session, address, name, role, rep_id, teams, reused=existing.id if existing else None
    )
    if by is not None:
        check_may_invite(by, new.role, new.rep_id, tuple(new.team_ids), teams_of or {})
    user = existing or User(email=address, password_hash=unusable_password_hash())
    user.name, user.role, user.rep_id, user.is_active = new.name, new.role, new.rep_id, False
    user.team_memberships = [TeamMembership(team_id=team) for team in new.team_ids]
    session.add(user)
    session.flush()
    secret, link = _new_link(session, user, LinkPurpose.INVITATION, lifetime, by)
    return Invitation(user, secret, link.expires_at)


def _new_link(
    session: Session,
    user: User,
    purpose: LinkPurpose,
    lifetime: timedelta,
    by: Principal | None,
) -> tuple[str, OneTimeLink]:
    """A fresh one-time link for `user`; the user's earlier unused links stop working."""
    now = utcnow()
    earlier = select(OneTimeLink).where(
        OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None)
    )
    for link in session.scalars(earlier):  # through objects, so the audit log sees it
        link.used_at = now
    secret = secrets.token_urlsafe(32)
    link = OneTimeLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=token_hash(secret),
        created_by=by.id if by else None,
        expires_at=now + lifetime,
    )
    session.add(link)
    session.flush()
    return secret, link


def open_link(session: Session, secret: str, purpose: LinkPurpose) -> OneTimeLink | None:
    """The live link with this secret and purpose (unused, not expired); None otherwise."""
    link = session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == token_hash(secret)))
    if link is None or link.purpose is not purpose or link.used_at is not None:
        return None
    return link if link.expires_at > utcnow() else None


def link_user(session: Session, secret: str, purpose: LinkPurpose) -> User:
    """The user a live link is for; InputError (`LINK_EXPIRED`) otherwise."""
    link = open_link(session, secret, purpose)
    user = session.get(User, link.user_id) if link is not None else None
    if link is None or user is None:
        raise InputError(LINK_EXPIRED)
    return user


def _use_link(session: Session, secret: str, purpose: LinkPurpose) -> User:
    link = open_link(session, secret, purpose)
    user = session.get(User, link.user_id) if link is not None else None
    if link is None or user is None:
        raise InputError(LINK_EXPIRED)
    link.used_at = utcnow()
    return user


def accept_invitation(
    session: Session, secret: str, password: str, min_length: int = MIN_PASSWORD_LENGTH
) -> User:
    """Follow an invitation: set the first password (the policy applies) and activate."""
    user = link_user(session, secret, LinkPurpose.INVITATION)
    set_password(user, password, min_length)
    _use_link(session, secret, LinkPurpose.INVITATION)
    user.is_active = True
    end_sessions(session, user)
    record(session, user.id, "invitation_accepted", "users", user.id, None, None)
    session.flush()
    return user


def accept_invitation_by_sso(session: Session, secret: str, issuer: str, subject: str) -> User:
    """Follow an invitation by signing in at an issuer: link that identity and activate (the
    account keeps no usable password until its holder sets one through a reset)."""
    user = _use_link(session, secret, LinkPurpose.INVITATION)
    link_identity(session, user, issuer, subject)
    user.is_active = True
    record(session, user.id, "invitation_accepted", "users", user.id, None, {"issuer": issuer})
    session.flush()
    return user


def end_sessions(session: Session, user: User, keep: str | None = None) -> None:
    """End the user's web sessions, except the one whose id is `keep`."""
    query = delete(WebSession).where(WebSession.user_id == user.id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    session.execute(query)


def change_password(
    session: Session,
    user_id: int,
    current: str,
    new: str,
    min_length: int = MIN_PASSWORD_LENGTH,
    keep_session: str | None = None,
) -> User:
    """Change one's own password: the current one is required, the new one must pass the
    policy; every other web session of the user ends (`keep_session`, the caller's, stays)."""
    user = session.get(User, user_id)
    if user is None or verify_password(session, user.email, current) is None:
        raise InputError("the current password is wrong")
    if secrets.compare_digest(current, new):
        raise InputError("the new password is the current one; choose another")
    set_password(user, new, min_length)
    end_sessions(session, user, keep=keep_session)
    record(session, user.id, "password_changed", "users", user.id, None, None)
    session.flush()
    return user


def request_reset(session: Session, email: str, lifetime: timedelta) -> tuple[User, str] | None:
    """A password-reset link for the active account `email`: (user, secret); None when there
    is no such active account, or one was sent less than `RESET_INTERVAL` ago (the caller
    answers the same either way)."""
    try:
        address = normalise_email(email)
    except InputError:
        return None
    user = session.scalar(select(User).where(User.email == address, User.is_active.is_(True)))
    if user is None:
        return None
    latest = session.scalar(
        select(OneTimeLink.created_at)
        .where(OneTimeLink.user_id == user.id, OneTimeLink.purpose == LinkPurpose.PASSWORD_RESET)
        .order_by(OneTimeLink.created_at.desc())
        .limit(1)
    )
    if latest is not None and utcnow() - latest < RESET_INTERVAL:
        return None
    secret, _ = _new_link(session, user, LinkPurpose.PASSWORD_RESET, lifetime, None)
    record(session, None, "password_reset_requested", "users", user.id, None, None)
    return user, secret


def reset_password(
    session: Session, secret: str, password: str, min_length: int = MIN_PASSWORD_LENGTH
) -> User:
    """Set a new password through a reset link; every web session of the user ends."""
    user = link_user(session, secret, LinkPurpose.PASSWORD_RESET)
    if not user.is_active:
        raise InputError(LINK_EXPIRED)
    set_password(user, password, min_length)
    _use_link(session, secret, LinkPurpose.PASSWORD_RESET)
    end_sessions(session, user)
    record(session, user.id, "password_reset", "users", user.id, None, None)
    session.flush()
    return user


def visible_tokens(session: Session, by: Principal | None) -> list[tuple[ApiToken, str]]:
    """The API tokens `by` may see, with their owner's e-mail: their own; an admin's (and an
    operator's, None) every user's. Newest first."""
    query = select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
    if by is not None and by.role is not Role.ADMIN:
        query = query.where(ApiToken.user_id == by.id)
    rows = session.execute(query.order_by(ApiToken.id.desc())).all()
    return [
        (token, owner) for token, owner in rows if by is None or sees_tokens_of(by, token.user_id)
    ]


def revoke_token(session: Session, by: Principal | None, token_id: int) -> ApiToken:
    """Revoke token `token_id`; NotFound when it does not exist or `by` may not see it
    (None: an operator at the command line)."""
    token = session.get(ApiToken, token_id)
    if token is None or (by is not None and not sees_tokens_of(by, token.user_id)):
        raise NotFound(f"no API token {token_id}")
    revoke_api_token(session, token)
    return token


def set_active(
    session: Session, by: Principal | None, user_id: int, active: bool, teams_of: Teams
) -> User:
    """Disable or enable the account `user_id` as `by` (None: an operator): an admin anyone
    but themselves, a manager their teams' reps. Disabling ends sessions; tokens stop
    working while the account is disabled."""
    if by is not None and by.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden(f"the {by.role} role cannot manage accounts")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    if by is not None:
        check_may_manage_account(by, user.role, user.rep_id, teams_of)
        if by.id == user.id:
            raise InputError("you cannot disable or enable your own account")
    user.is_active = active
    if not active:
        end_sessions(session, user)
    session.flush()
    return user


def visible_users(session: Session, by: Principal, teams_of: Teams) -> list[User]:
    """The accounts `by` manages, by e-mail: an admin everyone, a manager their teams' reps."""
    users = session.scalars(
        select(User).options(selectinload(User.team_memberships)).order_by(User.email)
    ).all()
    shown = []
    for user in users:
        try:
            check_may_manage_account(by, user.role, user.rep_id, teams_of)
        except NotFound:
            continue
        shown.append(user)
    return shown


def link_identity(session: Session, user: User, issuer: str, subject: str) -> SsoIdentity:
    """Link the account at `issuer` whose stable subject is `subject` to `user`; InputError
    when it is already linked to someone else."""
    found = session.scalar(
        select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )
    if found is not None:
        if found.user_id != user.id:
            raise InputError("that single sign-on account is already linked to another user")
        return found
    identity = SsoIdentity(user_id=user.id, issuer=issuer, subject=subject)
    session.add(identity)
    session.flush()
    return identity


def user_for_identity(session: Session, issuer: str, subject: str) -> User | None:
    """The active user linked to (issuer, subject); None when none is."""
    user = session.scalar(
        select(User)
        .join(SsoIdentity, SsoIdentity.user_id == User.id)
        .where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )
    return user if user is not None and user.is_active else None


def identities_of(session: Session, user_id: int) -> Sequence[SsoIdentity]:
    """The single sign-on accounts linked to a user."""
    return session.scalars(
        select(SsoIdentity).where(SsoIdentity.user_id == user_id).order_by(SsoIdentity.id)
    ).all()


def invitation_message(
    mail: MailSettings, invitation: Invitation, inviter: str, secret_path: str = "/invite/"
) -> EmailMessage:
    """The e-mail of an invitation: who invited, the link, and when it stops working."""
    link = f"{mail.base_url.rstrip('/')}{secret_path}{invitation.secret}"
    until = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    text = (
        f"Hello {invitation.user.name},\n\n"
        f"{inviter} invited you to Attain as {invitation.user.role.value}.\n"
        f"Choose your password here (the link works once, until {until}):\n\n{link}\n\n"
        "If you did not expect this, ignore this e-mail.\n"
    )
    return compose(mail, invitation.user.email, "Your invitation to Attain", text)


def reset_message(mail: MailSettings, user: User, secret: str, minutes: float) -> EmailMessage:
    """The e-mail with a password-reset link."""
    link = f"{mail.base_url.rstrip('/')}/password/reset/{secret}"
    text = (
        f"Hello {user.name},\n\nSomeone asked to reset your Attain password. "
        f"Choose a new one here (the link works once, for {minutes:g} minutes):\n\n{link}\n\n"
        "If it was not you, ignore this e-mail; your password stays as it is.\n"
    )
    return compose(mail, user.email, "Reset your Attain password", text)


def acting(session: Session, email: str | None) -> Principal | None:
    """The user with e-mail `email` as the access rules know them (None for None)."""
    if email is None:
        return None
    user = session.scalar(
        select(User)
        .options(selectinload(User.team_memberships))
        .where(User.email == normalise_email(email))
    )
    if user is None:
        raise InputError(f"no user with e-mail {email}; `attain users list` shows them")
    return principal(user)
