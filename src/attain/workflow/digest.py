"""Weekly recognition and progress digests, per team and per rep.

A digest holds the quarter's bookings pace, the deals won in the last `digest_days`, the
people to recognise (goals achieved, target reached or ahead of pace), the risks (behind or
at-risk pace, high-severity findings, activity drops) and a leaderboard. The leaderboard
follows the team overview's rule (docs/web.md): it lists only the reps whose line the reader
may see there, so a rep finds their own line with their rank in the team, never a teammate's
bookings, target or attainment; managers and admins see every rep they manage or all.
Rendered as Markdown or as
email-ready HTML with inline styles, from `reports/templates/digest.*.j2`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd

from attain.access import Visibility, sees
from attain.diagnosis.finding import Finding
from attain.metrics.pacing import PacingRow
from attain.metrics.report import HEADLINE_METRIC, PerformanceReport
from attain.reports.jsonable import jsonable
from attain.reports.templating import environment
from attain.store.handle import Store
from attain.workflow.agenda import GoalProgress
from attain.workflow.settings import WorkflowSettings

DigestScope = Literal["company", "team", "rep"]


@dataclass(frozen=True)
class Win:
    """A deal won in the digest's week."""

    opportunity_id: str
    rep_id: str
    name: str
    amount: float
    closed_on: date


@dataclass(frozen=True)
class Mention:
    """A rep to recognise, or a risk to act on, and why."""

    rep_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class LeaderRow:
    """A place on the leaderboard: bookings to date against target."""

    rank: int
    rep_id: str
    name: str
    team_id: str | None
    booked: float
    target: float
    attainment: float | None
    status: str


@dataclass(frozen=True)
class Digest:
    """One week's digest for the company, a team or a rep."""

    scope: DigestScope
    id: str
    name: str
    as_of: date
    since: date
    period: str
    pacing: PacingRow | None
    reps: list[PacingRow]
    wins: list[Win]
    achievers: list[Mention]
    risks: list[Mention]
    leaderboard: list[LeaderRow]
    notes: list[str] = field(default_factory=list)

    @property
    def won_amount(self) -> float:
        """Bookings won in the week."""
        return sum(win.amount for win in self.wins)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        data: dict[str, Any] = jsonable(self)
        data["won_amount"] = self.won_amount
        return data


def weekly_wins(backend: Store, since: date, as_of: date) -> list[Win]:
    """Deals won from `since` to `as_of` inclusive, largest first (names filled in later)."""
    deals = backend.table("opportunities")
    start = datetime.combine(since, time.min)
    stop = datetime.combine(as_of + timedelta(days=1), time.min)
    won = deals.filter(deals.is_won, deals.closed_at >= start, deals.closed_at < stop)
    frame: pd.DataFrame = backend.execute(
        won.select("opportunity_id", "owner_rep_id", "amount", "closed_at")
    )
    wins = [
        Win(
            opportunity_id=str(row["opportunity_id"]),
            rep_id=str(row["owner_rep_id"]),
            name=str(row["owner_rep_id"]),
            amount=0.0 if pd.isna(row["amount"]) else float(row["amount"]),
            closed_on=pd.Timestamp(row["closed_at"]).date(),
        )
        for row in frame.to_dict("records")
        if row["owner_rep_id"] is not None
    ]
    return sorted(wins, key=lambda win: (-win.amount, win.opportunity_id))


def build_digest(
    scope: DigestScope,
    scope_id: str,
    report: PerformanceReport,
    findings: Sequence[Finding],
    wins: Sequence[Win],
    goals: Sequence[GoalProgress] = (),
    settings: WorkflowSettings | None = None,
    reader: Visibility | None = None,
) -> Digest:
    """The digest of the company, team `scope_id` or rep `scope_id` (pure); the leaderboard
    keeps only the reps whose performance `reader` may see (None: every rep)."""
    settings = settings or WorkflowSettings()
    names = {rep.rep_id: rep.name for rep in report.reps}
    teams = {rep.rep_id: rep.team_id for rep in report.reps}
    pace = [row for row in report.pacing if row.metric == HEADLINE_METRIC]
    rep_rows = {row.id: row for row in pace if row.scope == "rep"}
    members, board_members = _members(scope, scope_id, rep_rows, teams)
    own = next(
        (r for r in pace if r.scope == scope and (scope == "company" or r.id == scope_id)), None
    )
    reps = sorted(
        (rep_rows[rep] for rep in members if rep in rep_rows),
        key=lambda row: (-(row.pace_ratio or 0.0), row.id),
    )
    named_wins = [
        Win(w.opportunity_id, w.rep_id, names.get(w.rep_id, w.rep_id), w.amount, w.closed_on)
        for w in wins
        if w.rep_id in members
    ]
    board = sorted(
        (rep_rows[rep] for rep in board_members if rep in rep_rows),
        # A rep without a target has no attainment: ranked after every rep who has one.
        key=lambda row: (-_attainment(row, -1.0), row.id),
    )
    return Digest(
        scope=scope,
        id=scope_id,
        name=_scope_name(scope, scope_id, own, names),
        as_of=report.as_of,
        since=report.as_of - timedelta(days=settings.digest_days - 1),
        period=report.period.label,
        pacing=own,
        reps=reps,
        wins=named_wins,
        achievers=_achievers(reps, goals, members, names),
        risks=_risks(reps, findings, report, members, names),
        leaderboard=[row for row in _leaderboard(board, names, teams) if sees(reader, row.rep_id)][
            : settings.leaderboard_size
        ],
        notes=list(report.notes),
    )


def _members(
    scope: DigestScope,
    scope_id: str,
    rep_rows: Mapping[str, PacingRow],
    teams: Mapping[str, str | None],
) -> tuple[set[str], set[str]]:
    """The reps the digest is about, and the reps on its leaderboard: a rep's digest ranks
    the rep among their own team (alone without a team)."""
    if scope == "company":
        return set(rep_rows), set(rep_rows)
    if scope == "team":
        members = {rep for rep, team in teams.items() if team == scope_id}
        return members, members
    team = teams.get(scope_id)
    board = {rep for rep, t in teams.items() if t == team} if team else {scope_id}
    return {scope_id}, board


def _mention(rep_id: str, names: Mapping[str, str], reason: str) -> Mention:
    """A Mention of the rep by name (by id when the roster has no name)."""
    return Mention(rep_id, names.get(rep_id, rep_id), reason)


def _achievers(
    reps: Sequence[PacingRow],
    goals: Sequence[GoalProgress],
    members: set[str],
    names: Mapping[str, str],
) -> list[Mention]:
    """Reps who reached a goal, then reps who reached their target or are ahead of pace."""
    achievers = [
        _mention(
            goal.rep_id,
            names,
            f"reached their goal: {goal.label()} ({goal.actual:,.0f} of {goal.target:,.0f})",
        )
        for goal in goals
        if goal.rep_id in members and goal.achieved
    ]
    for row in reps:
        if row.target > 0 and row.actual_to_date >= row.target:
            reason = (
                f"reached the {row.metric} target ({row.actual_to_date:,.0f} of {row.target:,.0f})"
            )
        elif row.status == "ahead":
            reason = f"ahead of pace ({(row.pace_ratio or 0.0):.0%} of the pace needed)"
        else:
            continue
        achievers.append(_mention(row.id, names, reason))
    return achievers


def _risks(
    reps: Sequence[PacingRow],
    findings: Sequence[Finding],
    report: PerformanceReport,
    members: set[str],
    names: Mapping[str, str],
) -> list[Mention]:
    """Reps behind or at risk on pace, then high-severity findings, then early warnings."""
    risks = [
        _mention(
            row.id,
            names,
            f"{row.status.replace('_', ' ')}: {row.actual_to_date:,.0f} of "
            f"{row.expected_to_date:,.0f} expected by now, {row.remaining_target:,.0f} to go",
        )
        for row in reps
        if row.status in ("behind", "at_risk")
    ]
    risks += [
        _mention(f.id, names, f"{f.cause.replace('_', ' ')}: {f.explanation}")
        for f in findings
        if f.severity == "high" and f.scope == "rep" and f.id in members
    ]
    risks += [
        _mention(
            w.rep_id,
            names,
            f"{w.metric.replace('_', ' ')} fell to {w.this_week:,.0f} in the last 7 days "
            f"(usually {w.median:,.0f})",
        )
        for w in report.early_warnings
        if w.rep_id in members
    ]
    return risks


def _leaderboard(
    board: Sequence[PacingRow], names: Mapping[str, str], teams: Mapping[str, str | None]
) -> list[LeaderRow]:
    return [
        LeaderRow(
            rank=rank,
            rep_id=row.id,
            name=names.get(row.id, row.name),
            team_id=teams.get(row.id),
            booked=row.actual_to_date,
            target=row.target,
            attainment=_attainment(row, None),
            status=row.status,
        )
        for rank, row in enumerate(board, start=1)
    ]


def _scope_name(
    scope: DigestScope, scope_id: str, own: PacingRow | None, names: Mapping[str, str]
) -> str:
    if scope == "company":
        return "Company"
    if scope == "team":
        return own.name if own else scope_id
    return names.get(scope_id, scope_id)


def _attainment(row: PacingRow, missing: Any) -> Any:
    return row.actual_to_date / row.target if row.target > 0 else missing


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown."""
    return environment().get_template("digest.md.j2").render(d=digest)


def render_html(digest: Digest) -> str:
    """The digest as a self-contained HTML e-mail body (inline styles, no scripts)."""
    return environment().get_template("digest.html.j2").render(d=digest)
