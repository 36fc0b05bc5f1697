"""Users: who may sign in, with which password or token, and the rules for adding them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from attain.appdb.database import session_scope
from attain.appdb.models import ApiToken, Role, User, WebSession, utcnow
from attain.appdb.users import (
    add_user,
    create_api_token,
    disable_user,
    get_user,
    list_users,
    revoke_api_token,
    token_hash,
    user_for_token,
    verify_password,
)
from attain.errors import InputError

PASSWORD = "correct horse battery"


def add(
    engine: Engine,
    email: str,
    role: str = "admin",
    name: str = "Someone",
    rep_id: str | None = None,
    teams: Sequence[str] = (),
) -> None:
    with session_scope(engine) as session:
        add_user(session, email, name, role, PASSWORD, rep_id=rep_id, teams=teams)


def test_an_added_user_signs_in_with_their_password_only(engine: Engine) -> None:
    add(engine, "Ana@Example.com ", "manager", name="Ana Ruiz", teams=["T2", "T1", "T1"])
    with session_scope(engine) as session:
        user = verify_password(session, "ana@example.com", PASSWORD)
        assert user is not None
        assert (user.email, user.name, user.role, user.team_ids) == (
            "ana@example.com",
            "Ana Ruiz",
            Role.MANAGER,
            ["T1", "T2"],
        )
        assert user.password_hash.startswith("$argon2")
        assert verify_password(session, "ana@example.com", "wrong password") is None
        assert verify_password(session, "nobody@example.com", PASSWORD) is None


def test_users_are_listed_by_email_with_their_teams(engine: Engine) -> None:
    add(engine, "zoe@example.com", "rep", rep_id="R7")
    add(engine, "bob@example.com", "manager", teams=["T9"])
    add(engine, "cy@example.com", "marketing")
    with session_scope(engine) as session:
        listed = [(u.email, u.role, u.rep_id, u.team_ids) for u in list_users(session)]
    assert listed == [
        ("bob@example.com", Role.MANAGER, None, ["T9"]),
        ("cy@example.com", Role.MARKETING, None, []),
        ("zoe@example.com", Role.REP, "R7", []),
    ]


def test_a_disabled_user_can_no_longer_sign_in_by_password_token_or_session(
    engine: Engine,
) -> None:
    add(engine, "ex@example.com", "rep", rep_id="R1")
    with session_scope(engine) as session:
        user = get_user(session, "ex@example.com")
        _, secret = create_api_token(session, user, "script")
        session.add(WebSession(id="h" * 64, user_id=user.id, csrf_token="c", expires_at=utcnow()))
    with session_scope(engine) as session:
        disable_user(session, "ex@example.com")
    with session_scope(engine) as session:
        assert verify_password(session, "ex@example.com", PASSWORD) is None
        assert user_for_token(session, secret) is None
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0
        assert [u.is_active for u in list_users(session)] == [False]
        assert list_users(session, include_disabled=False) == []


def test_a_token_secret_is_shown_once_and_only_its_hash_is_kept(engine: Engine) -> None:
    add(engine, "ops@example.com")
    with session_scope(engine) as session:
        token, secret = create_api_token(session, get_user(session, "ops@example.com"), "export")
        token_id = token.id
    assert secret.startswith("attain_") and len(secret) > 40
    with session_scope(engine) as session:
        stored = session.get_one(ApiToken, token_id)
        assert stored.token_hash == token_hash(secret) != secret
        assert stored.last_used_at is None
        user = user_for_token(session, secret)
        assert user is not None and user.email == "ops@example.com"
        assert user_for_token(session, secret + "x") is None
    with session_scope(engine) as session:
        stored = session.get_one(ApiToken, token_id)
        assert stored.last_used_at is not None
        revoke_api_token(session, stored)
    with session_scope(engine) as session:
        assert user_for_token(session, secret) is None


def test_a_manager_without_teams_is_allowed(engine: Engine) -> None:
    add(engine, "new.manager@example.com", "manager")
    with session_scope(engine) as session:
        assert get_user(session, "new.manager@example.com").team_ids == []


@pytest.mark.parametrize(
    ("email", "role", "details", "message"),
    [
        ("a@example.com", "admin", {}, "a user with e-mail a@example.com already exists"),
        ("A@EXAMPLE.COM", "admin", {}, "a user with e-mail a@example.com already exists"),
        ("b@example.com", "boss", {}, "unknown role 'boss'; choose one of admin, manager"),
        ("b@example.com", "rep", {}, "a rep needs a rep id"),
        ("b@example.com", "rep", {"rep_id": "R1"}, "rep R1 is already linked to user r@"),
        ("b@example.com", "rep", {"rep_id": "R2", "teams": ["T1"]}, "only managers"),
        ("not-an-address", "admin", {}, "is not an e-mail address"),
        ("b@example.com", "admin", {"name": " "}, "a name is needed"),
    ],
)
def test_adding_a_user_explains_what_is_wrong(
    engine: Engine, email: str, role: str, details: dict[str, Any], message: str
) -> None:
    add(engine, "a@example.com")
    add(engine, "r@example.com", "rep", rep_id="R1")
    with pytest.raises(InputError, match=message):
        add(engine, email, role, **details)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 2


def test_a_short_password_is_refused(engine: Engine) -> None:
    with pytest.raises(InputError, match="at least 15 characters"), session_scope(engine) as s:
        add_user(s, "short@example.com", "Short", "admin", "1234567")


def test_unknown_users_are_named_in_the_error(engine: Engine) -> None:
    with (
        pytest.raises(InputError, match=r"no user with e-mail ghost@example\.com"),
        session_scope(engine) as session,
    ):
        disable_user(session, "ghost@example.com")
