"""The Monday view's page data: what changed since the previous data version (or the version
nearest a chosen date), computed once per pair of versions for everyone
(attain.history.monday), then cut to what the user may see of `performance` and narrowed to a
team or a rep when asked."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from attain.access import Principal, Resource, Visibility
from attain.errors import AttainError
from attain.forecast.forecast import Forecast
from attain.history.changes import restricted
from attain.history.monday import MondayChanges, monday_changes
from attain.history.states import parse_moment
from attain.reports.history import currency_note
from attain.reports.jsonable import jsonable
from attain.web.services import Services
from attain.web.view_models import known_teams, scope

DEAL_KINDS = ("pushed_out", "pulled_in", "moved_stage", "won", "lost", "created", "resized")
"""The deal changes the view lists, in this order (deleted and reassigned deals stay on the
full change record, /changes)."""


def _since(text: str | None) -> int | date | None:
    """The `since` query: a data version, a date (its nearest version) or none (the previous
    version)."""
    if not text:
        return None
    moment = parse_moment(text, "since")
    return moment.date() if isinstance(moment, datetime) else moment


def _computed(services: Services, since: int | date | None) -> MondayChanges:
    """The changes for everyone, cached per data version and `since`."""
    day = services.as_of(None).day
    latest = (services.report(day), services.diagnosis(day))
    try:
        ahead: Forecast | None = services.forecast(day)
    except AttainError:
        ahead = None
    settings = services.settings
    return services.with_store(
        ("monday", since),
        lambda backend: monday_changes(
            backend, settings, since, latest=latest, latest_forecast=ahead
        ),
    )


class _Cut:
    """Which rows of the changes one user sees, narrowed to a team or a rep."""

    def __init__(
        self,
        allowed: Visibility,
        teams_of: dict[str, str | None],
        team: str | None,
        rep: str | None,
    ) -> None:
        self.allowed, self.teams_of, self.team, self.rep = allowed, teams_of, team, rep

    def rep_row(self, rep_id: str | None) -> bool:
        if rep_id is None or not self.allowed.sees_rep(rep_id):
            return False
        if self.rep is not None:
            return rep_id == self.rep
        return self.team is None or self.teams_of.get(rep_id) == self.team

    def row(self, scope_name: str, id: str) -> bool:
        if scope_name == "rep":
            return self.rep_row(id)
        if self.rep is not None:
            return False
        if scope_name == "team":
            return self.allowed.sees_team(id) and self.team in (None, id)
        return self.allowed.company and self.team is None


def monday_view(
    services: Services,
    user: Principal,
    since: str | None = None,
    team: str | None = None,
    rep: str | None = None,
) -> dict[str, Any]:
    """The changes the user may see, JSON-ready, with counts for the page's summary line."""
    allowed = scope(services, user, Resource.PERFORMANCE)
    roster = services.roster()
    if team:
        allowed.team(team, known_teams(services))
    if rep:
        allowed.rep(rep, roster)
    found = _computed(services, _since(since))
    cut = _Cut(allowed, {r: e.team_id for r, e in roster.items()}, team or None, rep or None)
    record = restricted(found.deals, cut.rep_row)
    deals = {
        kind: [jsonable(c) for c in record.deals if str(c.kind) == kind] for kind in DEAL_KINDS
    }
    data: dict[str, Any] = {
        "versions": jsonable(asdict(found.versions)),
        "since": since or "",
        "team": team or None,
        "rep": rep or None,
        "statuses": [jsonable(asdict(s)) for s in found.statuses if cut.row(s.scope, s.id)],
        "findings": [jsonable(asdict(f)) for f in found.findings if cut.row(f.scope, f.id)],
        "activity": [jsonable(asdict(a)) for a in found.activity if cut.rep_row(a.rep_id)],
        "deals": deals,
        "forecast": [jsonable(asdict(m)) for m in found.forecast if cut.row(m.scope, m.id)],
        "totals": {t["kind"]: t for t in jsonable(record.totals)},
        "notes": [currency_note(record.currency)],
        "activity_rule": {
            "ratio": services.settings.performance.warning_ratio,
            "weeks": services.settings.performance.warning_weeks,
        },
    }
    data["counts"] = {
        "statuses": len(data["statuses"]),
        "new": sum(f["change"] == "new" for f in data["findings"]),
        "resolved": sum(f["change"] == "resolved" for f in data["findings"]),
        "activity": len(data["activity"]),
        "deals": sum(len(rows) for rows in deals.values()),
    }
    return data
