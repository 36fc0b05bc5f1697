"""Who may see what: the one place the web app decides authorisation.

Every route asks `scope_for(user, resource, roster)` first and then `scope.rep(...)` /
`scope.team(...)` for any object named in the request, and shows only rows the scope's
`sees_*` methods allow. Templates never decide.

The rules:

- admin: everything.
- manager: performance, forecast, diagnosis and coaching records of their teams and those
  teams' reps; no company totals; no leads & channels (403).
- rep: their own numbers, findings and coaching records; on performance and forecast also
  every team's and the company's totals (the leaderboard); no leads & channels (403).
- marketing: leads, channels and the ICP only; everything else 403 (so no coaching notes).

A resource the role may not use at all is 403 (`Forbidden`); a rep or team outside the
scope is 404 (`NotFound`), exactly as if it did not exist, so nobody learns which ids exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from attain.appdb.models import Role


class Resource(StrEnum):
    """What a request reads; each route names one."""

    PERFORMANCE = "performance"
    """Attainment, pacing, coverage and classification (team overview, rep page)."""
    FORECAST = "forecast"
    DIAGNOSIS = "diagnosis"
    COACHING = "coaching"
    """Goals, coaching sessions, action items and notes from the app database."""
    LEADS = "leads"
    """Lead grades, channel effectiveness and the ICP rules."""


class AccessError(Exception):
    """Base of the authorisation errors; the web layer turns them into problem details."""


class NotFound(AccessError):
    """The object does not exist, or exists outside the user's scope (never said which)."""


class Forbidden(AccessError):
    """The user's role may not use this kind of resource at all."""


ROLE_RESOURCES: dict[Role, frozenset[Resource]] = {
    Role.ADMIN: frozenset(Resource),
    Role.MANAGER: frozenset(
        {Resource.PERFORMANCE, Resource.FORECAST, Resource.DIAGNOSIS, Resource.COACHING}
    ),
    Role.REP: frozenset(
        {Resource.PERFORMANCE, Resource.FORECAST, Resource.DIAGNOSIS, Resource.COACHING}
    ),
    Role.MARKETING: frozenset({Resource.LEADS}),
}
"""Which kinds of resource each role may use at all."""

LEADERBOARD = frozenset({Resource.PERFORMANCE, Resource.FORECAST})
"""Resources where a rep also sees every team's and the company's totals."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the web app knows them for one request."""

    id: int
    email: str
    name: str
    role: Role
    rep_id: str | None
    team_ids: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    """What one user may see of one resource: which reps, which teams, and the company."""

    resource: Resource
    all_reps: bool
    rep_ids: frozenset[str]
    all_teams: bool
    team_ids: frozenset[str]
    company: bool

    def sees_rep(self, rep_id: str | None) -> bool:
        """Whether this rep's own numbers and records are visible (None: records about no
        rep in particular, visible only to those who see every rep)."""
        return self.all_reps or (rep_id is not None and rep_id in self.rep_ids)

    def sees_team(self, team_id: str | None) -> bool:
        """Whether this team's totals (and team-level findings) are visible."""
        return team_id is not None and (self.all_teams or team_id in self.team_ids)

    def sees(self, scope: str, id: str | None) -> bool:
        """Whether a row of a report ('rep', 'team' or 'company' scope) is visible."""
        if scope == "company":
            return self.company
        if scope == "team":
            return self.sees_team(id)
        return self.sees_rep(id)

    def rep(self, rep_id: str, roster: Mapping[str, object]) -> str:
        """`rep_id` when it exists and is visible; else NotFound."""
        if rep_id not in roster or not self.sees_rep(rep_id):
            raise NotFound(f"no rep {rep_id}")
        return rep_id

    def team(self, team_id: str, known: set[str]) -> str:
        """`team_id` when it exists and is visible; else NotFound."""
        if team_id not in known or not self.sees_team(team_id):
            raise NotFound(f"no team {team_id}")
        return team_id


def scope_for(user: Principal, resource: Resource, teams_of: Mapping[str, str | None]) -> Scope:
    """What `user` may see of `resource`; `teams_of` maps every rep id to its team (or None).

    Raises Forbidden when the role may not use the resource at all.
    """
    if resource not in ROLE_RESOURCES[user.role]:
        raise Forbidden(f"the {user.role} role cannot see {resource}")
    if user.role in (Role.ADMIN, Role.MARKETING):
        return Scope(resource, True, frozenset(), True, frozenset(), True)
    if user.role is Role.MANAGER:
        teams = frozenset(user.team_ids)
        reps = frozenset(rep for rep, team in teams_of.items() if team in teams)
        return Scope(resource, False, reps, False, teams, False)
    own = frozenset({user.rep_id}) if user.rep_id else frozenset()
    leaderboard = resource in LEADERBOARD
    return Scope(resource, False, own, leaderboard, frozenset(), leaderboard)
