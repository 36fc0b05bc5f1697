"""User accounts and API tokens: adding, listing, disabling, and checking credentials.

Passwords are hashed with Argon2 (pwdlib's recommended settings). API token secrets are shown
once, when created; only their SHA-256 is stored, so a stolen database yields no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from pwdlib import PasswordHash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from attain.appdb.models import ApiToken, Role, TeamMembership, User, WebSession, utcnow
from attain.appdb.passwords import MIN_PASSWORD_LENGTH, check_password
from attain.errors import InputError

TOKEN_PREFIX = "attain_"
"""Start of every API token secret, so a leaked one is easy to recognise and search for."""

_hasher = PasswordHash.recommended()


@cache
def _unusable_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong
    password and timing does not tell which accounts exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


def add_user(
    session: Session,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    rep_id: str | None = None,
    teams: Iterable[str] = (),
    min_password_length: int = MIN_PASSWORD_LENGTH,
) -> User:
    """Create an active user; a rep needs the CRM `rep_id`, a manager may list the `teams`
    (CRM team ids) they manage. The password must pass the policy of `appdb.passwords`."""
    new = check_new_user(session, email, name, role, rep_id, teams)
    check_password(password, new.email, min_password_length)
    user = User(
        email=new.email,
        name=new.name,
        password_hash=_hasher.hash(password),
        role=new.role,
        rep_id=new.rep_id,
        is_active=True,
        team_memberships=[TeamMembership(team_id=team) for team in new.team_ids],
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class NewUser:
    """A user's details as `add_user` will store them: cleaned and checked."""

    email: str
    name: str
    role: Role
    rep_id: str | None
    team_ids: list[str]


def check_new_user(
    session: Session,
    email: str,
    name: str,
    role: Role | str,
    rep_id: str | None = None,
    teams: Iterable[str] = (),
    reused: int | None = None,
) -> NewUser:
    """Everything `add_user` checks except the password, so a caller can fail fast before
    asking for one: a valid unused e-mail, a name, a known role, a rep id for a rep that no
    other user holds, teams for managers only. The user with id `reused` (a disabled account
    invited again) does not count as holding the e-mail or rep id."""
    email = normalise_email(email)
    role = _role(role)
    rep_id = (rep_id or "").strip() or None
    team_ids = sorted({team.strip() for team in teams if team.strip()})
    if not name.strip():
        raise InputError(f"user {email}: a name is needed")
    if role is Role.REP and rep_id is None:
        raise InputError(f"user {email}: a rep needs a rep id, the CRM id of the rep they are")
    if team_ids and role is not Role.MANAGER:
        raise InputError(f"user {email}: only managers manage teams, and the role is {role}")
    others = User.id != reused if reused is not None else User.id.is_not(None)
    if session.scalar(select(User.id).where(User.email == email, others)) is not None:
        raise InputError(f"a user with e-mail {email} already exists")
    if rep_id is not None:
        holder = session.scalar(select(User.email).where(User.rep_id == rep_id, others))
        if holder is not None:
            raise InputError(f"rep {rep_id} is already linked to user {holder}")
    return NewUser(email, name.strip(), role, rep_id, team_ids)


def get_user(session: Session, email: str) -> User:
    """The user with this e-mail, or an InputError saying there is none."""
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise InputError(f"no user with e-mail {email}; `attain users list` shows them")
    return user


def list_users(session: Session, include_disabled: bool = True) -> Sequence[User]:
    """Users by e-mail, with their teams loaded."""
    query = select(User).options(selectinload(User.team_memberships)).order_by(User.email)
    if not include_disabled:
        query = query.where(User.is_active.is_(True))
    return session.scalars(query).all()


def disable_user(session: Session, email: str) -> User:
    """Stop the user signing in: passwords, tokens and open web sessions no longer work."""
    user = get_user(session, email)
    user.is_active = False
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return user


def enable_user(session: Session, email: str) -> User:
    """Let a disabled user sign in again, with the password they had (tokens revoked while
    disabled stay revoked)."""
    user = get_user(session, email)
    user.is_active = True
    session.flush()
    return user


def set_password(user: User, password: str, min_password_length: int = MIN_PASSWORD_LENGTH) -> None:
    """Give `user` a new password after the policy of `appdb.passwords` accepts it."""
    check_password(password, user.email, min_password_length)
    user.password_hash = _hasher.hash(password)


def unusable_password_hash() -> str:
    """A hash no password matches: the password of an invited user until they choose one."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_password(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None for any mismatch."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        _hasher.verify(password, _unusable_hash())
        return None
    valid, new_hash = _hasher.verify_and_update(password, user.password_hash)
    if not valid or not user.is_active:
        return None
    if new_hash is not None:  # hashed with older settings: upgrade it while we have it
        user.password_hash = new_hash
        session.flush()
    return user


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret; the secret cannot be recovered later."""
    if not name.strip():
        raise InputError("an API token needs a name saying what uses it")
    if not user.is_active:
        raise InputError(f"user {user.email} is disabled; enable it before issuing tokens")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=token_hash(secret))
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user a token secret belongs to, or None (unknown, revoked, or disabled user);
    records when the token was last used."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    token.last_used_at = utcnow()
    session.flush()
    return user


def revoke_api_token(session: Session, token: ApiToken) -> None:
    """Stop a token working; the row stays for the audit trail."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()


def token_hash(secret: str) -> str:
    """How a token secret is stored: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """`email` trimmed and lowercased; InputError when it is not an e-mail address."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(char.isspace() for char in email):
        raise InputError(f"{email!r} is not an e-mail address")
    return email


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(member.value for member in Role)
        raise InputError(f"unknown role {role!r}; choose one of {choices}") from None
