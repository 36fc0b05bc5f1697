"""Who may see and change what: the one statement of the access rules, used alike by the web
app, the command line and the workflow services (none of it depends on FastAPI).

Every route asks `visibility_for(user, resource, roster)` first and then
`visibility.rep(...)` / `visibility.team(...)` for any object named in the request, and shows
only rows the visibility's `sees_*` methods allow. Templates never decide. Workflow services
take an optional `Visibility` of the coaching resource (`coaching_visibility`): None means
unrestricted (the command line, run by whoever holds the database).

A user's `Visibility` is not a report row's `Scope` (`attain.metrics.attainment.Scope`, one of
'rep', 'team' or 'company'): it says which of those rows the user may see.

The rules:

- admin: everything.
- manager: performance, forecast, diagnosis and coaching records of their teams and those
  teams' reps; no company totals; no leads & channels (403).
- rep: their own numbers, findings and coaching records; on performance and forecast also
  every team's and the company's totals (the leaderboard); no leads & channels (403).
- marketing: leads, channels, the ICP, the sales–marketing alignment agenda and product
  priorities (read); everything else 403 (so no coaching notes, programs, skills or payouts).
- alignment (agenda and meeting actions): admin and marketing everything, managers their
  teams' reps (company, team-less and channel topics to all three); reps 403.
- writing coaching records (logging a session): admins, and managers for their teams' reps; a
  rep gets 404 for another rep (exactly as reading it) and 403 for themselves. Marking an
  action item done: anyone who sees the rep's coaching records (a rep their own actions).
- digests: admins any (company by default), managers their teams' and reps', reps only their
  own (with the team leaderboard); anything else 404.
- programs, skills, ramp and compensation: admins every rep, managers their teams' reps, reps
  only their own (a program, skill score, ramp line or payout of another rep is 404);
  marketing 403. A manager's or rep's compensation check covers only the payouts they see.
- product priorities: every role reads them; admins and managers edit them (reps and
  marketing 403).
- writing (starting a program, a check-in, a skill score, like logging a session): the roles
  in `WRITERS`, for the reps their scope sees; a rep gets 404 for another rep and 403 for
  themselves.

A resource the role may not use at all is 403 (`Forbidden`); a rep or team outside the
scope is 404 (`NotFound`), exactly as if it did not exist, so nobody learns which ids exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from attain.appdb.models import Role, User
from attain.errors import AttainError


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
    ALIGNMENT = "alignment"
    """The sales–marketing alignment agenda and the actions agreed in its meetings."""
    PROGRAMS = "programs"
    """Intensive programs, their weekly check-ins and before/after reviews."""
    SKILLS = "skills"
    """The skills matrix, the skills findings point at and recommended training."""
    RAMP = "ramp"
    """New hires' ramp curves against their cohort's medians."""
    PRODUCTS = "products"
    """Product priority tiers and differentiators."""
    COMPENSATION = "compensation"
    """Payouts under the compensation plan and whether it rewards priority products."""


class AccessError(AttainError):
    """Base of the authorisation errors: the web app answers 404 or 403 problem details
    (`attain.web.problems`), the command line one line of error."""


class NotFound(AccessError):
    """The object does not exist, or exists outside the user's scope (never said which)."""


class Forbidden(AccessError):
    """The user's role may not use this kind of resource at all."""


_MANAGEMENT = frozenset(
    {
        Resource.PROGRAMS,
        Resource.SKILLS,
        Resource.RAMP,
        Resource.PRODUCTS,
        Resource.COMPENSATION,
    }
)
"""The management workflow's resources that managers and reps use (each rep only their own)."""

ROLE_RESOURCES: dict[Role, frozenset[Resource]] = {
    Role.ADMIN: frozenset(Resource),
    Role.MANAGER: frozenset(
        {
            Resource.PERFORMANCE,
            Resource.FORECAST,
            Resource.DIAGNOSIS,
            Resource.COACHING,
            Resource.ALIGNMENT,
            *_MANAGEMENT,
        }
    ),
    Role.REP: frozenset(
        {
            Resource.PERFORMANCE,
            Resource.FORECAST,
            Resource.DIAGNOSIS,
            Resource.COACHING,
            *_MANAGEMENT,
        }
    ),
    Role.MARKETING: frozenset({Resource.LEADS, Resource.ALIGNMENT, Resource.PRODUCTS}),
}
"""Which kinds of resource each role may use at all."""

WRITERS: dict[Resource, frozenset[Role]] = {
    resource: frozenset({Role.ADMIN, Role.MANAGER})
    for resource in (Resource.COACHING, Resource.PROGRAMS, Resource.SKILLS, Resource.PRODUCTS)
}
"""Roles that may write each resource: log coaching sessions, start programs and log their
check-ins, score skills (for the reps their scope sees), set product priorities."""

LEADERBOARD = frozenset({Resource.PERFORMANCE, Resource.FORECAST})
"""Resources where a rep also sees every team's and the company's totals."""


@dataclass(frozen=True)
class Principal:
    """A user as the access rules know them: the signed-in user of one web request, or the
    user a command acts as (`principal`)."""

    id: int
    email: str
    name: str
    role: Role
    rep_id: str | None
    team_ids: tuple[str, ...]

    @property
    def scope(self) -> tuple[Role, str | None, frozenset[str]]:
        """All that the read rules (`visibility_for`) look at: two users with the same scope
        see the same rows, so a page part cached under it may be shown to both."""
        return (self.role, self.rep_id, frozenset(self.team_ids))


def principal(user: User) -> Principal:
    """The app-database user as the access rules know them."""
    return Principal(user.id, user.email, user.name, user.role, user.rep_id, tuple(user.team_ids))


@dataclass(frozen=True)
class Visibility:
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


def visibility_for(
    user: Principal, resource: Resource, teams_of: Mapping[str, str | None]
) -> Visibility:
    """What `user` may see of `resource`; `teams_of` maps every rep id to its team (or None).

    Raises Forbidden when the role may not use the resource at all.
    """
    if resource not in ROLE_RESOURCES[user.role]:
        raise Forbidden(f"the {user.role} role cannot see {resource}")
    if user.role in (Role.ADMIN, Role.MARKETING):
        return Visibility(resource, True, frozenset(), True, frozenset(), True)
    if user.role is Role.MANAGER:
        teams = frozenset(user.team_ids)
        reps = frozenset(rep for rep, team in teams_of.items() if team in teams)
        return Visibility(resource, False, reps, False, teams, False)
    own = frozenset({user.rep_id}) if user.rep_id else frozenset()
    leaderboard = resource in LEADERBOARD
    return Visibility(resource, False, own, leaderboard, frozenset(), leaderboard)


def can_write(user: Principal, resource: Resource) -> bool:
    """Whether the user's role may write `resource` (see `WRITERS`)."""
    return user.role in WRITERS.get(resource, frozenset())


def check_writer(user: Principal, resource: Resource) -> None:
    """Forbidden unless the user's role may write `resource`."""
    if not can_write(user, resource):
        raise Forbidden(f"the {user.role} role cannot change {resource}")


def check_rep_writer(
    user: Principal, visibility: Visibility, rep_id: str, roster: Mapping[str, object]
) -> str:
    """`rep_id` when `user` may write the visibility's resource about that rep (log a session,
    start a program, score a skill): NotFound when the rep is not visible (as for reading),
    Forbidden when the role may not write."""
    visibility.rep(rep_id, roster)
    check_writer(user, visibility.resource)
    return rep_id


def digest_subject(
    user: Principal,
    visibility: Visibility,
    team: str | None,
    rep: str | None,
    roster: Mapping[str, object],
    teams: set[str],
) -> tuple[str, str]:
    """Whose digest `user` asked for, as ('company'|'team'|'rep', id): the default is the
    company for an admin, a manager's first team and a rep's own; NotFound for what is not
    visible.

    `visibility` is that of the performance resource; a rep sees only their own digest even
    though the leaderboard rule shows them every team's totals elsewhere.
    """
    if team is not None and rep is not None:
        raise NotFound("ask for a team's digest or a rep's, not both")
    if user.role is Role.REP:
        own = user.rep_id
        if team is not None or own is None or (rep is not None and rep != own):
            raise NotFound(f"no digest for {team or rep}")
        return "rep", visibility.rep(own, roster)
    if rep is not None:
        return "rep", visibility.rep(rep, roster)
    if team is not None:
        return "team", visibility.team(team, teams)
    if visibility.company:
        return "company", "company"
    first = sorted(t for t in visibility.team_ids if t in teams)
    if not first:
        raise NotFound("no team to digest")
    return "team", first[0]


def coaching_visibility(user: User, teams_of: Mapping[str, str | None]) -> Visibility:
    """Which reps' coaching records `user` may see; `teams_of` maps rep id to team id.

    Raises `Forbidden` for marketing users (no coaching records at all).
    """
    return visibility_for(principal(user), Resource.COACHING, teams_of)


def sees(visibility: Visibility | None, rep_id: str | None) -> bool:
    """Whether records about `rep_id` are visible (None: unrestricted; a record about no rep
    is visible only to those who see every rep)."""
    return visibility is None or visibility.sees_rep(rep_id)


def check_rep(visibility: Visibility | None, rep_id: str) -> str:
    """`rep_id` when the visibility sees it (None: unrestricted); else NotFound."""
    if not sees(visibility, rep_id):
        raise NotFound(f"no rep {rep_id}")
    return rep_id


def check_may_invite(
    user: Principal,
    role: Role,
    rep_id: str | None,
    team_ids: tuple[str, ...],
    teams_of: Mapping[str, str | None],
) -> None:
    """Whether `user` may invite someone with `role` (and `rep_id`, `team_ids`): an admin
    anyone; a manager only a rep of one of their own teams (`teams_of` maps every rep id to
    its team); other roles nobody. Forbidden otherwise."""
    if user.role is Role.ADMIN:
        return
    if user.role is not Role.MANAGER:
        raise Forbidden(f"the {user.role} role cannot invite people")
    if role is not Role.REP or team_ids:
        raise Forbidden("a manager invites only reps of their own teams")
    if rep_id is None or teams_of.get(rep_id) not in user.team_ids:
        raise Forbidden(f"rep {rep_id} is not in a team you manage")


def check_may_manage_account(
    user: Principal, role: Role, rep_id: str | None, teams_of: Mapping[str, str | None]
) -> None:
    """Whether `user` may disable, enable or re-invite the account of someone with `role` and
    `rep_id`: an admin anyone; a manager the reps of their own teams (anyone else is NotFound,
    as if the account did not exist); other roles nobody (Forbidden)."""
    if user.role is Role.ADMIN:
        return
    if user.role is not Role.MANAGER:
        raise Forbidden(f"the {user.role} role cannot manage accounts")
    if role is not Role.REP or rep_id is None or teams_of.get(rep_id) not in user.team_ids:
        raise NotFound("no such user")


def sees_tokens_of(user: Principal, owner_id: int) -> bool:
    """Whether `user` may list and revoke the API tokens of user `owner_id`: their own, and an
    admin everyone's (a manager does not manage reps' scripts)."""
    return owner_id == user.id or user.role is Role.ADMIN
