"""Whose digests a user gets, and the message that carries each.

An admin gets the company's digest, a manager one per team they manage, a rep their own;
marketing users none (the performance resource is not theirs). Each digest is built by
`attain.workflow.digest.build_digest` with the recipient's visibility as the reader, so a
message holds nothing its recipient could not open in the web app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pandas as pd
import vl_convert
from sqlalchemy.orm import Session

from attain.access import Forbidden, Principal, Resource, visibility_for
from attain.appdb.models import Role
from attain.diagnosis.finding import Finding
from attain.diagnosis.run import configured_diagnosis
from attain.mail import InlineImage
from attain.metrics.report import PerformanceReport, performance_report
from attain.reports.templating import money, ratio
from attain.store.ddl import IMPORTS_TABLE
from attain.store.handle import Store
from attain.workflow.agenda import GoalProgress, current_goals, goal_progress
from attain.workflow.delivery.channels import Message
from attain.workflow.digest import (
    Digest,
    DigestScope,
    Win,
    build_digest,
    render_html,
    render_markdown,
    weekly_wins,
)
from attain.workflow.settings import WorkflowSettings

if TYPE_CHECKING:
    from attain.config import Settings

CHART_CID = "digest-pace"


@dataclass(frozen=True)
class DigestInputs:
    """What every digest of one run is built from, computed once for all recipients."""

    report: PerformanceReport
    findings: tuple[Finding, ...]
    wins: tuple[Win, ...]
    goals: tuple[GoalProgress, ...]
    data_version: str
    """The store's latest import id: part of an on-demand digest's one-time key."""

    @property
    def teams_of(self) -> dict[str, str | None]:
        """Every rep's team, as the access rules need it."""
        return {rep.rep_id: rep.team_id for rep in self.report.reps}


def store_inputs(
    backend: Store,
    session: Session,
    settings: Settings,
    as_of: date | None = None,
    report: PerformanceReport | None = None,
) -> DigestInputs:
    """The digests' inputs read from the store (`attain digest` shows one of them); `report`,
    when the caller has it, spares computing it again."""
    report = report or performance_report(backend, settings.performance, as_of=as_of)
    day, workflow = report.as_of, settings.workflow
    wins = weekly_wins(backend, day - timedelta(days=workflow.digest_days - 1), day)
    findings = configured_diagnosis(backend, settings, report).findings
    goals = goal_progress(
        backend,
        current_goals(session, day, recent_days=workflow.digest_days),
        day,
        settings.performance.timezone,
    )
    return DigestInputs(report, tuple(findings), tuple(wins), tuple(goals), data_version(backend))


def data_version(backend: Store) -> str:
    """The id of the store's latest committed import ('0' before the first)."""
    latest = backend.execute(backend.stored_table(IMPORTS_TABLE).import_id.max())
    return "0" if pd.isna(latest) else str(int(latest))


def subjects(user: Principal, teams: set[str]) -> list[tuple[DigestScope, str]]:
    """Which digests `user` gets: the company (admin), each managed team, or their own."""
    if user.role is Role.ADMIN:
        return [("company", "company")]
    if user.role is Role.MANAGER:
        return [("team", team) for team in sorted(user.team_ids) if team in teams]
    if user.role is Role.REP and user.rep_id:
        return [("rep", user.rep_id)]
    return []


def user_digests(user: Principal, inputs: DigestInputs, settings: WorkflowSettings) -> list[Digest]:
    """The digests `user` gets, each cut to what they may see."""
    teams_of = inputs.teams_of
    try:
        reader = visibility_for(user, Resource.PERFORMANCE, teams_of)
    except Forbidden:
        return []
    teams = {team for team in teams_of.values() if team is not None}
    return [
        build_digest(
            scope,
            id,
            inputs.report,
            inputs.findings,
            inputs.wins,
            inputs.goals,
            settings,
            reader,
        )
        for scope, id in subjects(user, teams)
        if scope != "rep" or id in teams_of
    ]


def digest_link(digest: Digest, base_url: str) -> str:
    """The web page the digest summarises."""
    query = {"team": digest.id} if digest.scope == "team" else {}
    if digest.scope == "rep":
        query = {"rep": digest.id}
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{base_url.rstrip('/')}/digest{suffix}"


def digest_message(digest: Digest, base_url: str, chart: bool = True) -> Message:
    """The digest as a message: Markdown text, HTML with the pace chart, a chat summary."""
    html = render_html(digest)
    images: tuple[InlineImage, ...] = ()
    if chart and digest.reps:
        images = (InlineImage(CHART_CID, pace_chart_png(digest)),)
        figure = (
            f'<p style="margin:8px 0;"><img src="cid:{CHART_CID}" width="560" '
            f'alt="Booked against target per rep" style="max-width:100%;"></p>'
        )
        html = html.replace("<h2", figure + "<h2", 1)
    return Message(
        subject=f"Weekly digest: {digest.name} ({digest.period}, through {digest.as_of})",
        summary=tuple(summary_lines(digest)),
        text=render_markdown(digest),
        link=digest_link(digest, base_url),
        html=html,
        images=images,
    )


def summary_lines(digest: Digest) -> list[str]:
    """A few lines for chat: pace, the week's wins and the first risks."""
    lines = []
    if digest.pacing is not None:
        pace = digest.pacing
        lines.append(
            f"Booked {money(pace.actual_to_date)} of {money(pace.target)} "
            f"({ratio(pace.pace_ratio)} of the pace needed: {pace.status.replace('_', ' ')})"
        )
    lines.append(f"Won this week: {len(digest.wins)} deals for {money(digest.won_amount)}")
    lines += [f"Risk: {risk.name}: {risk.reason}" for risk in digest.risks[:3]]
    return lines


def pace_chart_png(digest: Digest) -> bytes:
    """Booked to date against target for each rep of the digest, as a PNG."""
    rows = [
        {"rep": row.name, "what": what, "value": value}
        for row in digest.reps
        for what, value in (("booked", row.actual_to_date), ("target", row.target))
    ]
    spec = _bar_spec(rows, [row.name for row in digest.reps])
    png: bytes = vl_convert.vegalite_to_png(vl_spec=spec, scale=1, allowed_base_urls=[])
    return png


def _bar_spec(rows: Sequence[Mapping[str, Any]], order: list[str]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Booked to date against target",
        "width": 480,
        "height": {"step": 14},
        "data": {"values": list(rows)},
        "mark": "bar",
        "encoding": {
            "y": {"field": "rep", "type": "nominal", "sort": order, "title": None},
            "yOffset": {"field": "what", "type": "nominal"},
            "x": {"field": "value", "type": "quantitative", "title": None},
            "color": {
                "field": "what",
                "type": "nominal",
                "scale": {"range": ["#2e7d5b", "#d1d5db"]},
                "title": None,
            },
        },
    }
