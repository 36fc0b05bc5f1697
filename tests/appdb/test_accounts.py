"""Accounts that manage themselves (#22): invitations, password changes and resets, API tokens,
disabling and enabling, single sign-on identities, and who may do each (attain.access).

On today's code before this change none of `attain.appdb.accounts` existed: an account was made
only by an admin at the command line with a password they then knew.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from attain.access import Forbidden, NotFound, Principal, principal
from attain.appdb import accounts
from attain.appdb.database import session_scope
from attain.appdb.models import LinkPurpose, OneTimeLink, User, WebSession, utcnow
from attain.appdb.users import add_user, create_api_token, token_hash, verify_password
from attain.errors import InputError

PASSWORD = "correct horse battery"
NEW_PASSWORD = "violet kettle marching anchor"
DAY = timedelta(days=1)
TEAMS = {"R1": "T1", "R2": "T2"}
"""The roster: rep R1 is in team T1, which the manager manages; R2 in another team."""


@pytest.fixture
def people(engine: Engine) -> dict[str, int]:
    """An admin, a manager of team T1, and a rep (R1) of that team, by role."""
    with session_scope(engine) as session:
        made = {
            "admin": add_user(session, "admin@example.com", "Ada", "admin", PASSWORD),
            "manager": add_user(
                session, "manager@example.com", "Max", "manager", PASSWORD, teams=["T1"]
            ),
            "rep": add_user(session, "rep@example.com", "Rae", "rep", PASSWORD, rep_id="R1"),
        }
        return {role: user.id for role, user in made.items()}


def _as(session: object, user_id: int) -> Principal:
    user = session.get(User, user_id)  # type: ignore[attr-defined]
    return principal(user)


def test_an_invited_user_sets_a_password_through_the_link_once(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        admin = _as(session, people["admin"])
        invitation = accounts.invite(session, admin, "New@Example.com", "Nia", "marketing", DAY)
        secret = invitation.secret
        stored = session.scalars(select(OneTimeLink.token_hash)).all()
        assert stored == [token_hash(secret)] and secret not in stored
        assert verify_password(session, "new@example.com", PASSWORD) is None
    with session_scope(engine) as session, pytest.raises(InputError, match="15 characters"):
        accounts.accept_invitation(session, secret, "short")
    with session_scope(engine) as session:
        user = accounts.accept_invitation(session, secret, NEW_PASSWORD)
        assert user.is_active
        assert verify_password(session, "new@example.com", NEW_PASSWORD) is not None
    with session_scope(engine) as session, pytest.raises(InputError, match="expired or was"):
        accounts.accept_invitation(session, secret, "another long password here")


def test_an_invitation_link_expires(engine: Engine, people: dict[str, int]) -> None:
    with session_scope(engine) as session:
        invitation = accounts.invite(
            session, None, "late@example.com", "Lee", "admin", timedelta(hours=72)
        )
        link = session.scalars(select(OneTimeLink)).one()
        assert timedelta(hours=71) < link.expires_at - utcnow() <= timedelta(hours=72)
        link.expires_at = utcnow() - timedelta(seconds=1)
    with session_scope(engine) as session, pytest.raises(InputError, match="expired"):
        accounts.accept_invitation(session, invitation.secret, NEW_PASSWORD)


def test_a_manager_invites_only_reps_of_their_own_teams(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        manager = _as(session, people["manager"])
        with pytest.raises(Forbidden, match="not in a team you manage"):
            accounts.invite(
                session, manager, "r2@example.com", "R Two", "rep", DAY, "R2", teams_of=TEAMS
            )
        with pytest.raises(Forbidden, match="only reps"):
            accounts.invite(
                session, manager, "boss@example.com", "Boss", "admin", DAY, teams_of=TEAMS
            )
        rep = _as(session, people["rep"])
        with pytest.raises(Forbidden):
            accounts.invite(session, rep, "x@example.com", "X", "marketing", DAY, teams_of=TEAMS)
    with session_scope(engine) as session:
        session.get(User, people["rep"]).rep_id = "R9"  # type: ignore[union-attr]
    with session_scope(engine) as session:
        manager = _as(session, people["manager"])
        made = accounts.invite(
            session, manager, "r1b@example.com", "R One", "rep", DAY, "R1", teams_of=TEAMS
        )
        assert made.user.rep_id == "R1" and not made.user.is_active


def test_changing_a_password_needs_the_current_one_and_ends_other_sessions(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        for key in ("mine", "phone", "laptop"):
            session.add(
                WebSession(id=key, user_id=people["rep"], csrf_token="c", expires_at=utcnow() + DAY)
            )
    with session_scope(engine) as session, pytest.raises(InputError, match="current password"):
        accounts.change_password(session, people["rep"], "wrong one", NEW_PASSWORD)
    with session_scope(engine) as session, pytest.raises(InputError, match="e-mail"):
        accounts.change_password(session, people["rep"], PASSWORD, "rep@example.com is mine!!")
    with session_scope(engine) as session:
        accounts.change_password(
            session, people["rep"], PASSWORD, NEW_PASSWORD, keep_session="mine"
        )
        assert session.scalars(select(WebSession.id)).all() == ["mine"]
        assert verify_password(session, "rep@example.com", PASSWORD) is None
        assert verify_password(session, "rep@example.com", NEW_PASSWORD) is not None


def test_a_reset_link_is_only_made_for_an_active_account_and_ends_every_session(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        assert accounts.request_reset(session, "nobody@example.com", DAY) is None
        assert accounts.request_reset(session, "not an address", DAY) is None
        found = accounts.request_reset(session, "REP@example.com", DAY)
        assert found is not None
        assert accounts.request_reset(session, "rep@example.com", DAY) is None  # a minute apart
        session.add(
            WebSession(id="s", user_id=people["rep"], csrf_token="c", expires_at=utcnow() + DAY)
        )
    secret = found[1]
    with session_scope(engine) as session, pytest.raises(InputError, match="expired"):
        accounts.accept_invitation(session, secret, NEW_PASSWORD)  # a reset is no invitation
    with session_scope(engine) as session:
        accounts.reset_password(session, secret, NEW_PASSWORD)
        assert session.scalars(select(WebSession)).all() == []
        assert verify_password(session, "rep@example.com", NEW_PASSWORD) is not None
    with session_scope(engine) as session, pytest.raises(InputError, match="expired"):
        accounts.reset_password(session, secret, "yet another fine long password")


def test_tokens_are_listed_and_revoked_by_their_owner_or_an_admin(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        rep_token = create_api_token(session, session.get(User, people["rep"]), "sheet")[0].id
        create_api_token(session, session.get(User, people["manager"]), "bot")
    with session_scope(engine) as session:
        manager, rep = _as(session, people["manager"]), _as(session, people["rep"])
        admin = _as(session, people["admin"])
        assert [name for t, name in accounts.visible_tokens(session, rep)] == ["rep@example.com"]
        assert len(accounts.visible_tokens(session, admin)) == 2
        with pytest.raises(NotFound):
            accounts.revoke_token(session, manager, rep_token)
        accounts.revoke_token(session, rep, rep_token)
        assert accounts.visible_tokens(session, rep)[0][0].revoked_at is not None


def test_disable_and_enable_follow_the_managers_teams_and_a_disabled_email_is_invited_again(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        manager = _as(session, people["manager"])
        with pytest.raises(NotFound):
            accounts.set_active(session, manager, people["admin"], False, TEAMS)
        accounts.set_active(session, manager, people["rep"], False, TEAMS)
        assert verify_password(session, "rep@example.com", PASSWORD) is None
        accounts.set_active(session, manager, people["rep"], True, TEAMS)
        assert verify_password(session, "rep@example.com", PASSWORD) is not None
        accounts.set_active(session, None, people["rep"], False, TEAMS)
    with session_scope(engine) as session:
        again = accounts.invite(session, None, "rep@example.com", "Rae B", "rep", DAY, "R1")
        assert again.user.id == people["rep"] and not again.user.is_active
        with pytest.raises(InputError, match="already has an active account"):
            accounts.invite(session, None, "admin@example.com", "Ada", "admin", DAY)
    with session_scope(engine) as session:
        accounts.accept_invitation(session, again.secret, NEW_PASSWORD)
        assert verify_password(session, "rep@example.com", NEW_PASSWORD) is not None


def test_an_identity_links_on_issuer_and_subject_only(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        rep = session.get(User, people["rep"])
        assert rep is not None
        accounts.link_identity(session, rep, "https://id.example", "sub-1")
        found = accounts.user_for_identity(session, "https://id.example", "sub-1")
        assert found is not None and found.id == rep.id
        assert accounts.user_for_identity(session, "https://other.example", "sub-1") is None
        admin = session.get(User, people["admin"])
        assert admin is not None
        with pytest.raises(InputError, match="already linked"):
            accounts.link_identity(session, admin, "https://id.example", "sub-1")


def test_an_invitation_is_accepted_by_single_sign_on(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        invitation = accounts.invite(session, None, "sso@example.com", "Sam", "marketing", DAY)
    with session_scope(engine) as session:
        user = accounts.accept_invitation_by_sso(session, invitation.secret, "https://id", "s9")
        assert user.is_active
        assert accounts.user_for_identity(session, "https://id", "s9") is not None
        purposes = session.scalars(select(OneTimeLink.purpose)).all()
        assert purposes == [LinkPurpose.INVITATION]
