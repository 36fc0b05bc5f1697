"""Who may see which coaching records and actions: the web app's rules, for services too.

Services take an optional `attain.web.access.Scope` for the coaching resource: None means
unrestricted (the command line, run by whoever holds the database), otherwise only the reps
the scope sees. A rep outside the scope is `NotFound`, exactly as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from attain.appdb.models import User
from attain.web.access import NotFound, Principal, Resource, Scope, scope_for

__all__ = ["NotFound", "Scope", "check_rep", "coaching_scope", "principal_of", "sees"]


def principal_of(user: User) -> Principal:
    """The user as the access rules know them."""
    return Principal(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        rep_id=user.rep_id,
        team_ids=tuple(user.team_ids),
    )


def coaching_scope(user: User, teams_of: Mapping[str, str | None]) -> Scope:
    """Which reps' coaching records `user` may see; `teams_of` maps rep id to team id.

    Raises `attain.web.access.Forbidden` for marketing users (no coaching records at all).
    """
    return scope_for(principal_of(user), Resource.COACHING, teams_of)


def sees(scope: Scope | None, rep_id: str | None) -> bool:
    """Whether records about `rep_id` are visible (None: about no rep, admins only)."""
    return scope is None or scope.sees_rep(rep_id)


def check_rep(scope: Scope | None, rep_id: str) -> str:
    """`rep_id` when the scope sees it; else NotFound."""
    if not sees(scope, rep_id):
        raise NotFound(f"no rep {rep_id}")
    return rep_id
