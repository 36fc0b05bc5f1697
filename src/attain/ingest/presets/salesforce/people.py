"""Reps and teams from Salesforce users: who sells, who manages, who left and when."""

from __future__ import annotations

import duckdb

from attain.ingest.presets.exports import boolean, date, derived, optional
from attain.ingest.presets.salesforce.fields import (
    field,
    is_true,
    lead_owner,
    listed,
    mapped_fields,
    not_deleted,
    required_field,
    scalar,
)
from attain.ingest.readers import ROW, RawFile
from attain.ingest.sources import Source, mapped_source

SELLER_USER_TYPE = "standard"
"""The UserType of internal, fully licensed users. Every other type (AutomatedProcess,
CsnOnly for Chatter Free, PowerPartner, PowerCustomerSuccess, CspLitePortal, Guest, ...)
is a system, portal or community user, never a seller."""

SYSTEM_USER_NAMES = (
    "integration user",
    "automated process",
    "security user",
    "chatter expert",
    "data.com clean",
)
"""Users Salesforce creates for its own features, some of them with UserType Standard
(Integration User, Platform Integration User, Security User); matched within the name."""


def reps_from_users(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> list[Source]:
    """Reps from users, with a role from what they own (see docs/presets.md), and their teams.

    A user's team is their manager's (`ManagerId`, when the manager is in the export), else their
    role's (`UserRoleId`, when UserRole.csv is given).
    """
    users = raw["User"]
    this = users.relation
    user_id = required_field(users, "Id")
    live = not_deleted(users)
    known = f"(SELECT {user_id} FROM {this} WHERE {live})"
    manager_id = field(users, "ManagerId")
    managed_by = f"CASE WHEN {manager_id} IN {known} THEN {manager_id} END"
    managers = f"(SELECT {managed_by} FROM {this} WHERE {live})"
    name = (
        f"coalesce({field(users, 'Name')}, NULLIF(TRIM(concat_ws(' ', "
        f"{field(users, 'FirstName')}, {field(users, 'LastName')})), ''), {user_id})"
    )
    roles = raw.get("UserRole")
    team = f"coalesce({managed_by}, {_role_team(users, roles)})"
    _note_unknown_managers(con, users, live, manager_id, managed_by, notes)
    owned = _ownership(con, raw)
    hired = date(field(users, "CreatedDate"), users.date_format)
    columns = {
        "rep_id": user_id,
        "name": name,
        "role": _role(users, name, user_id, managers, "Opportunity" in raw),
        "team_id": team,
        **mapped_fields(users, {"email": "Email"}),
    }
    if optional(users, "CreatedDate") is not None:
        columns["hire_date"] = hired
    if optional(users, "IsActive") is not None:
        columns["end_date"] = (
            f"CASE WHEN coalesce({boolean(field(users, 'IsActive'))}, 'false') = 'false' "
            "AND o.last_day IS NOT NULL THEN strftime("
            f"greatest(o.last_day, TRY_CAST({hired} AS DATE)), '%Y-%m-%d') END"
        )
    selects = ", ".join(f"{sql} AS {canonical}" for canonical, sql in columns.items())
    reps = listed(
        derived(
            con,
            users,
            f"SELECT {this}.{ROW}, {selects} FROM {this} LEFT JOIN ({owned}) o "
            f"ON o.owner_id = {user_id} WHERE {live}",
        )
    )
    teams = _manager_teams(con, users, name, user_id, managers, live)
    if roles is not None:
        teams.extend(_role_teams(con, roles, reps, notes))
    return [*teams, mapped_source(reps, "reps", {column: column for column in columns})]


def _role_team(users: RawFile, roles: RawFile | None) -> str:
    """A user's role as their team (SQL), when UserRole.csv is given and lists the role."""
    if roles is None or optional(users, "UserRoleId") is None:
        return "NULL"
    role_ids = (
        f"(SELECT {required_field(roles, 'Id')} FROM {roles.relation} WHERE {not_deleted(roles)})"
    )
    role_id = field(users, "UserRoleId")
    return f"CASE WHEN {role_id} IN {role_ids} THEN {role_id} END"


def _note_unknown_managers(
    con: duckdb.DuckDBPyConnection,
    users: RawFile,
    live: str,
    manager_id: str,
    managed_by: str,
    notes: list[str],
) -> None:
    """Say how many live users name a manager the export lacks: their team falls back."""
    unknown_managers = scalar(
        con,
        f"SELECT count(*) FROM {users.relation} WHERE {live} AND {manager_id} IS NOT NULL "
        f"AND {managed_by} IS NULL",
    )
    if unknown_managers:
        notes.append(
            f"salesforce: {users.path.name}: {unknown_managers} user(s) name a manager not in "
            "the export (or deleted); their team is their role's, if any"
        )


def _role(users: RawFile, name: str, user_id: str, managers: str, has_deals: bool) -> str:
    """SQL: the rep role. System and portal users are `other`; a manager is `manager`; a user
    owning a deal sells (`rep`); one owning only leads, tasks or events is an `sdr`; a user
    owning nothing is `other` (a licence, not a seller). Without Opportunity.csv what users own
    is unknown, so every standard user sells."""
    user_type = f"lower(coalesce({field(users, 'UserType')}, '{SELLER_USER_TYPE}'))"
    system_name = " OR ".join(f"contains(lower({name}), '{words}')" for words in SYSTEM_USER_NAMES)
    sells = "o.deals > 0" if has_deals else "true"
    return (
        f"CASE WHEN {user_type} <> '{SELLER_USER_TYPE}' OR {system_name} THEN 'other' "
        f"WHEN {user_id} IN {managers} THEN 'manager' "
        f"WHEN {sells} THEN 'rep' WHEN o.owner_id IS NOT NULL THEN 'sdr' ELSE 'other' END"
    )


def _ownership(con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile]) -> str:
    """SQL: per owner id, the deals they own and the last day they worked anything they own
    (a deal's creation or close, a task's or event's creation)."""
    parts = ["SELECT NULL::VARCHAR AS owner_id, NULL::VARCHAR AS kind, NULL::VARCHAR AS day"]
    deals = raw.get("Opportunity")
    if deals is not None:
        owner, live = required_field(deals, "OwnerId"), not_deleted(deals)
        close_day = date(field(deals, "CloseDate"), deals.date_format)
        closed_on = f"CASE WHEN {is_true(deals, 'IsClosed')} THEN {close_day} END"
        for day in (date(required_field(deals, "CreatedDate"), deals.date_format), closed_on):
            parts.append(f"SELECT {owner}, 'deal', {day} FROM {deals.relation} WHERE {live}")
    leads = raw.get("Lead")
    if leads is not None and optional(leads, "OwnerId") is not None:
        parts.append(
            f"SELECT {lead_owner(leads)}, 'lead', NULL FROM {leads.relation} "
            f"WHERE {not_deleted(leads)}"
        )
    for name in ("Task", "Event"):
        if name in raw:
            activity = raw[name]
            logged = date(required_field(activity, "CreatedDate"), activity.date_format)
            parts.append(
                f"SELECT {required_field(activity, 'OwnerId')}, 'activity', {logged} "
                f"FROM {activity.relation} WHERE {not_deleted(activity)}"
            )
    union = " UNION ALL ".join(parts)
    return (
        "SELECT owner_id, count(*) FILTER (WHERE kind = 'deal') AS deals, "
        f"max(TRY_CAST(day AS DATE)) AS last_day FROM ({union}) WHERE owner_id IS NOT NULL "
        "GROUP BY owner_id"
    )


def _manager_teams(
    con: duckdb.DuckDBPyConnection,
    users: RawFile,
    name: str,
    user_id: str,
    managers: str,
    live: str,
) -> list[Source]:
    """A team per user whom another user's ManagerId names, called `<name>'s team`."""
    teams = derived(
        con,
        users,
        f"SELECT {ROW}, {user_id} AS manager_id, {name} AS manager_name FROM {users.relation} "
        f"WHERE {user_id} IN {managers} AND {live}",
    )
    return [
        mapped_source(
            teams,
            "teams",
            {
                "team_id": "manager_id",
                "name": "manager_name || '''s team'",
                "manager_rep_id": "manager_id",
            },
        )
    ]


def _role_teams(
    con: duckdb.DuckDBPyConnection, roles: RawFile, reps: RawFile, notes: list[str]
) -> list[Source]:
    """A team per role that some user without a manager holds, named after the role."""
    role_id = required_field(roles, "Id")
    teams = listed(
        derived(
            con,
            roles,
            f"SELECT {ROW}, {role_id} AS team_id, {required_field(roles, 'Name')} AS name "
            f"FROM {roles.relation} WHERE {not_deleted(roles)} "
            f"AND {role_id} IN (SELECT team_id FROM {reps.relation})",
        )
    )
    live = scalar(con, f"SELECT count(*) FROM {roles.relation} WHERE {not_deleted(roles)}")
    if live > teams.rows:
        notes.append(
            f"salesforce: {roles.path.name}: {live - teams.rows} role(s) that no user without a "
            "manager holds, not made teams"
        )
    return [mapped_source(teams, "teams", {"team_id": "team_id", "name": "name"})]


def reps_from_owners(
    con: duckdb.DuckDBPyConnection, raw: dict[str, RawFile], notes: list[str]
) -> list[Source]:
    """Without User.csv: a rep per owner id of deals, leads, tasks, events and quotas."""
    owners = {
        "Opportunity": "OwnerId",
        "Lead": "OwnerId",
        "Task": "OwnerId",
        "Event": "OwnerId",
        "ForecastingQuota": "QuotaOwnerId",
    }
    made: list[RawFile] = []
    seen = "SELECT ''"
    for name, owner_field in owners.items():
        if name not in raw or optional(raw[name], owner_field) is None:
            continue
        source = raw[name]
        owner = lead_owner(source) if name == "Lead" else required_field(source, owner_field)
        made.append(
            derived(
                con,
                source,
                f"SELECT min({ROW}) AS {ROW}, {owner} AS rep_id FROM {source.relation} "
                f"WHERE {not_deleted(source)} AND {owner} IS NOT NULL "
                f"AND {owner} NOT IN ({seen}) GROUP BY 2",
            )
        )
        seen += f" UNION ALL SELECT rep_id FROM {made[-1].relation}"
    count = sum(reps.rows for reps in made)
    if count:
        notes.append(f"salesforce: no User.csv: {count} rep(s) made from owner ids, named by id")
    return [
        mapped_source(reps, "reps", {"rep_id": "rep_id", "name": "rep_id", "role": "'rep'"})
        for reps in made
    ]
