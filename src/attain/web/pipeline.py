"""What the pipeline waterfall shows (how a quarter's pipeline moved week by week, deals behind
bars) and the forecast calls (the CRM's commit, best case and pipeline each week against what
closed, beside Attain's P50); their routes are in `attain.web.routes.pipeline`.

Read from the history (attain.history.waterfall, attain.history.calls), computed once per data
version, period, team or rep and as-of day. Who sees which (resource `forecast`, the same rule
for both): admins the company's, any team's or rep's; managers their teams' (their first team
by default) and their teams' reps'; reps only their own (the deals behind the bars name other
reps' deals, so the leaderboard rule does not apply). A team or rep outside the scope is 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from attain.access import NotFound, Principal, Resource
from attain.appdb.models import Role
from attain.errors import InputError
from attain.history.calls import CallAccuracy, forecast_calls
from attain.history.waterfall import OUTFLOWS, Movement, Waterfall, pipeline_waterfall
from attain.metrics.periods import Period, quarter_of
from attain.reports.history import currency_note
from attain.reports.jsonable import jsonable
from attain.web.services import AsOfDay, Services
from attain.web.view_models import known_teams, scope
from attain.workflow.compensation import parse_period

RESIZED = Movement.RESIZED
RARE = frozenset({Movement.REOPENED, Movement.REASSIGNED_IN, Movement.REASSIGNED_OUT})
"""Movements shown as columns only in a waterfall where some deal made them."""


def _subject(
    services: Services, user: Principal, team: str | None, rep: str | None
) -> tuple[str | None, str | None]:
    """(team, rep) of the waterfall the user asked for and may see; NotFound otherwise."""
    allowed = scope(services, user, Resource.FORECAST)
    roster = services.roster()
    if team is not None and rep is not None:
        raise NotFound("ask for a team's waterfall or a rep's, not both")
    if user.role is Role.REP:
        if team is not None or user.rep_id is None or rep not in (None, user.rep_id):
            raise NotFound(f"no waterfall for {team or rep}")
        return None, allowed.rep(user.rep_id, roster)
    if rep is not None:
        return None, allowed.rep(rep, roster)
    if team is not None:
        return allowed.team(team, known_teams(services)), None
    if allowed.company:
        return None, None
    first = sorted(t for t in allowed.team_ids if t in known_teams(services))
    if not first:
        raise NotFound("no team to show")
    return first[0], None


def _period(text: str) -> Period:
    """The period asked for; InputError (400) for one that is no date (9999-Q4 ends in 10000)."""
    try:
        return parse_period(text)
    except ValueError as error:
        raise InputError(f"period {text!r}: {error}") from None


@dataclass(frozen=True)
class PipelineQuery:
    """What a waterfall or calls request names: an as-of day, a period (default: the as-of
    day's quarter), and a team or a rep (default: the user's widest view)."""

    as_of: date | None = None
    period: str | None = None
    team: str | None = None
    rep: str | None = None


@dataclass(frozen=True)
class Asked:
    """What a waterfall or calls request asks for, once checked against the user's scope."""

    team_id: str | None
    rep_id: str | None
    as_of: AsOfDay
    period: Period


def _asked(services: Services, user: Principal, query: PipelineQuery) -> Asked:
    """The team or rep (NotFound outside the scope), the as-of day and the period of a query."""
    team_id, rep_id = _subject(services, user, query.team, query.rep)
    as_of = services.as_of(query.as_of)
    period = _period(query.period) if query.period else quarter_of(as_of.day)
    return Asked(team_id, rep_id, as_of, period)


def waterfall_of(
    services: Services, user: Principal, query: PipelineQuery
) -> tuple[Waterfall, AsOfDay]:
    """The waterfall the user asked for and may see (cached per data version), and its day."""
    a = _asked(services, user, query)
    currency = services.settings.currency
    result = services.with_store(
        ("pipeline_waterfall", a.period, a.team_id, a.rep_id, a.as_of.day),
        lambda backend: pipeline_waterfall(
            backend,
            a.period,
            team_id=a.team_id,
            rep_id=a.rep_id,
            through=a.as_of.day,
            currency=currency,
        ),
    )
    return result, a.as_of


def waterfall_view(services: Services, user: Principal, query: PipelineQuery) -> dict[str, Any]:
    """The waterfall the user may see, JSON-ready, with its chart."""
    result, as_of = waterfall_of(services, user, query)
    data: dict[str, Any] = jsonable(result)
    return {
        **data,
        "as_of": as_of.day.isoformat(),
        "notes": [*as_of.notes, *result.notes, currency_note(result.currency)],
        "team": result.team_id,
        "rep": result.rep_id,
        "movements": [
            {"name": m.value, "sign": "−" if m in OUTFLOWS else "±" if m is RESIZED else "+"}
            for m in Movement
            if m not in RARE or any(week.bar(m).deals for week in result.weeks)
        ],
        "chart": waterfall_chart(data) if result.weeks else None,
    }


def waterfall_chart(data: dict[str, Any]) -> dict[str, Any]:
    """Per week, the movements as bars stacked up (in) and down (out), and the end pipeline."""
    rows = [
        {"week": week["start"], "movement": bar["movement"], "amount": bar["amount"]}
        for week in data["weeks"]
        for bar in week["bars"]
        if bar["deals"]
    ]
    ends = pd.DataFrame(
        [{"week": week["start"], "end pipeline": week["end_amount"]} for week in data["weeks"]]
    )
    bars = (
        alt.Chart(pd.DataFrame(rows or [{"week": ends["week"][0], "movement": "", "amount": 0.0}]))
        .mark_bar()
        .encode(
            x=alt.X("week:T", title="week starting"),
            y=alt.Y("sum(amount):Q", title="money", axis=alt.Axis(format="~s")),
            color=alt.Color("movement:N", title=None),
            tooltip=["week:T", "movement:N", "amount:Q"],
        )
    )
    line = (
        alt.Chart(ends)
        .mark_line(point=True, color="#333")
        .encode(x="week:T", y="end pipeline:Q", tooltip=["week:T", "end pipeline:Q"])
    )
    chart = alt.layer(bars, line).properties(
        width=640, height=260, title="Pipeline movements per week and the pipeline at week end"
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def calls_of(
    services: Services, user: Principal, query: PipelineQuery
) -> tuple[CallAccuracy, AsOfDay]:
    """The forecast-call accuracy the user asked for and may see (same scope as the waterfall),
    cached per data version, and its day."""
    a = _asked(services, user, query)
    settings = services.settings
    result = services.with_store(
        ("forecast_calls", a.period, a.team_id, a.rep_id, a.as_of.day),
        lambda backend: forecast_calls(
            backend,
            a.period,
            zone=settings.performance.timezone,
            forecast_settings=settings.forecast,
            team_id=a.team_id,
            rep_id=a.rep_id,
            through=a.as_of.day,
            currency=settings.currency,
        ),
    )
    return result, a.as_of


def calls_view(services: Services, user: Principal, query: PipelineQuery) -> dict[str, Any]:
    """The forecast calls the user may see, JSON-ready, each call's error against the actual,
    and a chart of the calls and the P50 week by week against the actual."""
    result, as_of = calls_of(services, user, query)
    data: dict[str, Any] = jsonable(result)
    for week in data["weeks"]:
        week["errors"] = {
            name: call_error(week[name], result.actual)
            for name in ("commit_call", "best_case_call", "pipeline_call", "attain_p50")
        }
    return {
        **data,
        "as_of": as_of.day.isoformat(),
        "notes": [*as_of.notes, currency_note(result.currency)],
        "team": result.team_id,
        "rep": result.rep_id,
        "chart": calls_chart(data) if result.weeks else None,
    }


def call_error(call: float | None, actual: float) -> float | None:
    """A call's signed error as a share of the actual (0.25: 25% above); None without either."""
    if call is None or not actual:
        return None
    return (call - actual) / actual


CALL_LINES = {
    "commit_call": "CRM commit",
    "best_case_call": "CRM best case",
    "pipeline_call": "CRM pipeline",
    "attain_p50": "Attain P50",
}
"""The lines of the calls chart and their legend names."""


def calls_chart(data: dict[str, Any]) -> dict[str, Any]:
    """Each call per week as a line, and the actual as a rule across them."""
    rows = [
        {"week": week["week"], "call": name, "amount": week[key]}
        for week in data["weeks"]
        for key, name in CALL_LINES.items()
        if week[key] is not None
    ]
    lines = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="week of the period"),
            y=alt.Y("amount:Q", title="money", axis=alt.Axis(format="~s")),
            color=alt.Color("call:N", title=None),
            tooltip=["week:O", "call:N", "amount:Q"],
        )
    )
    actual = (
        alt.Chart(pd.DataFrame([{"actual": data["actual"]}]))
        .mark_rule(strokeDash=[4, 4], color="#333")
        .encode(y="actual:Q", tooltip=["actual:Q"])
    )
    chart = alt.layer(lines, actual).properties(
        width=640, height=260, title="The calls week by week; dashed: what closed won"
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
