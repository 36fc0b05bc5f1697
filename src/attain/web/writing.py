"""What the web's writes share: a session that credits its changes to the signed-in user, and
the access check that comes before a write about one rep."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from attain.access import Principal, Resource, Visibility, check_rep_writer
from attain.appdb.database import session_scope
from attain.appdb.models import User
from attain.errors import InputError
from attain.web.services import Services
from attain.web.view_models import scope


def acting_user(session: Session, user: Principal) -> User:
    """The signed-in user's row, for the records that name who made them."""
    found = session.get(User, user.id)
    if found is None:  # pragma: no cover - the request's user was just read
        raise InputError("sign in again")
    return found


@contextmanager
def acting_session(engine: Engine, user: Principal) -> Iterator[tuple[Session, User]]:
    """A session whose changes the audit log credits to `user`, with `user`'s row."""
    with session_scope(engine, user_id=user.id) as session:
        yield session, acting_user(session, user)


@dataclass(frozen=True)
class RepWrite:
    """A write about one rep that access allowed: where to write and on whose behalf."""

    session: Session
    rep_id: str
    allowed: Visibility
    by: User


def check_rep_write(services: Services, user: Principal, resource: Resource, rep_id: str) -> str:
    """Check that `user` may write `resource` records about `rep_id`, before a page reads its
    form: another rep is NotFound (and a rep their own, Forbidden) whatever the form says."""
    return check_rep_writer(user, scope(services, user, resource), rep_id, services.roster())


@contextmanager
def rep_write(
    services: Services, engine: Engine, user: Principal, resource: Resource, rep_id: str
) -> Iterator[RepWrite]:
    """Check that `user` may write `resource` records about `rep_id` (NotFound outside their
    scope, Forbidden for a role that may not write), then an acting session for the write."""
    allowed = scope(services, user, resource)
    checked = check_rep_writer(user, allowed, rep_id, services.roster())
    with acting_session(engine, user) as (session, by):
        yield RepWrite(session, checked, allowed, by)
