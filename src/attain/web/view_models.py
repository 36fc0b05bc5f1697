"""What each page and API object shows: cached core results, cut to the user's scope.

Every function here starts by asking `attain.access.visibility_for` and returns plain,
JSON-ready data that the API returns as is and the templates render, so a page and its API
object always agree.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import Engine, select

from attain.access import ROLE_RESOURCES, Principal, Resource, Visibility, visibility_for
from attain.appdb.database import session_scope
from attain.appdb.models import ActionItem, ActionStatus, Goal
from attain.diagnosis import stage_leakage
from attain.diagnosis.finding import Finding, Skip
from attain.metrics.pacing import business_calendar, weekly_targets
from attain.metrics.periods import Period
from attain.reports.charts import finding_charts, funnel_chart
from attain.reports.forecast import calibration_lines
from attain.reports.forecast_charts import cone_chart
from attain.reports.jsonable import jsonable
from attain.reports.performance import rep_lines, scope_lines
from attain.web.services import AsOfDay, Services

TOP_FINDINGS = 5
"""Findings shown on the team overview."""


def scope(services: Services, user: Principal, resource: Resource) -> Visibility:
    """The user's scope of `resource` (Forbidden when the role may not use it)."""
    teams_of = {rep: entry.team_id for rep, entry in services.roster().items()}
    return visibility_for(user, resource, teams_of)


def known_teams(services: Services) -> set[str]:
    """Every team id in the roster."""
    return {entry.team_id for entry in services.roster().values() if entry.team_id}


def team_overview(
    services: Services, user: Principal, asked: date | None, team: str | None = None
) -> dict[str, Any]:
    """Attainment and pacing per rep, team and company, the company's forecast, and the top
    findings, as far as the user may see them; `team` narrows it to one team."""
    allowed = scope(services, user, Resource.PERFORMANCE)
    if team is not None:
        allowed.team(team, known_teams(services))
    as_of = services.as_of(asked)
    rows = overview_rows(services, as_of.day)

    def keep(scope_name: str, id: str | None, team_id: str | None) -> bool:
        if team is not None and (team_id if scope_name == "rep" else id) != team:
            return scope_name == "company" and allowed.sees("company", id)
        return allowed.sees(scope_name, id)

    company = [line for line in rows["company"] if keep("company", line["id"], None)]
    teams = [line for line in rows["teams"] if keep("team", line["id"], None)]
    reps = [line for line in rows["reps"] if keep("rep", line["rep_id"], line["team_id"])]
    forecast_rows = [
        row
        for row in forecast_rows_of(services, as_of.day)
        if row["scope"] in ("company", "team") and keep(row["scope"], row["id"], row["team_id"])
    ]
    findings: list[dict[str, Any]] = []
    if Resource.DIAGNOSIS in _resources(user):
        findings = findings_view(services, user, as_of.day, team=team, limit=TOP_FINDINGS)
    classes: dict[str, int] = {}
    for line in reps:
        key = line["performance_class"] or "unclassified"
        classes[key] = classes.get(key, 0) + 1
    return {
        "as_of": as_of.day.isoformat(),
        "period": rows["period"],
        "notes": [*as_of.notes, *rows["notes"]],
        "team": team,
        "company": company,
        "teams": teams,
        "reps": reps,
        "classification": classes,
        "forecast": forecast_rows,
        "top_findings": findings,
    }


def overview_rows(services: Services, day: date) -> dict[str, Any]:
    """The organisation's company, team and rep lines as of `day`, JSON-ready, built once
    per data version (filtering them per user is then cheap)."""

    def build() -> dict[str, Any]:
        report = services.report(day)
        return {
            "period": jsonable(report.period),
            "notes": list(report.notes),
            "company": [jsonable(asdict(line)) for line in scope_lines(report, "company")],
            "teams": [jsonable(asdict(line)) for line in scope_lines(report, "team")],
            "reps": [jsonable(asdict(line)) for line in rep_lines(report)],
        }

    rows: dict[str, Any] = services.derived(("overview_rows", day), build)
    return rows


def forecast_rows_of(services: Services, day: date) -> list[dict[str, Any]]:
    """Every forecast row as of `day`, JSON-ready, built once per data version."""
    return services.derived(
        ("forecast_rows", day), lambda: [jsonable(row) for row in services.forecast(day).rows]
    )


def finding_rows_of(services: Services, day: date) -> list[tuple[Finding, dict[str, Any]]]:
    """Every finding as of `day` beside its JSON form, built once per data version."""
    return services.derived(
        ("finding_rows", day),
        lambda: [(finding, finding_row(finding)) for finding in services.diagnosis(day).findings],
    )


def _resources(user: Principal) -> frozenset[Resource]:
    return ROLE_RESOURCES[user.role]


def rep_list(services: Services, user: Principal, asked: date | None) -> list[dict[str, Any]]:
    """Every visible rep's line, most at risk first."""
    allowed = scope(services, user, Resource.PERFORMANCE)
    rows = overview_rows(services, services.as_of(asked).day)
    return [line for line in rows["reps"] if allowed.sees_rep(line["rep_id"])]


def rep_detail(
    services: Services, engine: Engine, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any]:
    """One rep: pace (with weekly targets), class and funnel against top performers,
    findings, SMART checks, goals, coaching sessions and action items (overdue flagged)."""
    numbers = rep_numbers(services, user, rep_id, asked)
    records = coaching_records(
        engine, user, services, rep_id=rep_id, today=date.fromisoformat(numbers["as_of"])
    )
    return {**numbers, **records}


def rep_numbers(
    services: Services, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any]:
    """The store's part of `rep_detail` (all but the app database's records), the same for
    everyone who may see the rep: built once per rep, as-of day and data version. Shared
    between requests: read it, never change it."""
    scope(services, user, Resource.PERFORMANCE).rep(rep_id, services.roster())
    as_of = services.as_of(asked)
    return services.derived(
        ("rep_numbers", rep_id, as_of), lambda: _rep_numbers(services, rep_id, as_of)
    )


def _rep_numbers(services: Services, rep_id: str, as_of: AsOfDay) -> dict[str, Any]:
    report = services.report(as_of.day)
    reps = overview_rows(services, as_of.day)["reps"]
    line = next((x for x in reps if x["rep_id"] == rep_id), None)
    pacing = [row for row in report.pacing if row.scope == "rep" and row.id == rep_id]
    classification = next((c for c in report.classification if c.rep_id == rep_id), None)
    coverage = next((c for c in report.coverage if c.scope == "rep" and c.id == rep_id), None)
    smart = [check for check in report.goals if rep_id in check.goal.owners]
    diagnosis = services.diagnosis(as_of.day)
    findings = [f for f in diagnosis.findings if f.scope == "rep" and f.id == rep_id]
    entry = services.roster()[rep_id]
    prepared = rep_page_parts(services, rep_id, as_of.day)
    return {
        "rep_id": rep_id,
        "name": entry.name,
        "team_id": entry.team_id,
        "as_of": as_of.day.isoformat(),
        "period": jsonable(report.period),
        "notes": [*as_of.notes, *report.notes],
        "line": line,
        "pacing": jsonable(pacing),
        "weekly_targets": prepared["weekly_targets"],
        "classification": jsonable(classification),
        "coverage": jsonable(coverage),
        "smart_checks": jsonable(smart),
        "findings": [finding_row(f) for f in findings],
        "coaching_agenda": [q for f in findings for q in f.questions],
        "funnel": prepared["funnel"],
        "charts": prepared["charts"],
    }


def rep_page_parts(services: Services, rep_id: str, day: date) -> dict[str, Any]:
    """The rep page's weekly targets, funnel and charts, built once per rep and data version:
    Altair builds and validates a chart more slowly than the rest of the page renders, which
    under load would be on every request. The app builds them for every rep in the background
    after the heavy results (`prepare_rep_pages`)."""

    def build() -> dict[str, Any]:
        report, diagnosis = services.report(day), services.diagnosis(day)
        pacing = [row for row in report.pacing if row.scope == "rep" and row.id == rep_id]
        bookings = next((row for row in pacing if row.metric == "bookings"), None)
        findings = [f for f in diagnosis.findings if f.scope == "rep" and f.id == rep_id]
        return {
            "weekly_targets": weekly_rows(services, bookings) if bookings is not None else [],
            "funnel": rep_funnel(services, rep_id, day),
            "charts": rep_charts(services, bookings, findings, day),
        }

    parts: dict[str, Any] = services.derived(("rep_page_parts", rep_id, day), build)
    return parts


def prepare_rep_pages(services: Services, day: date) -> None:
    """Build every rep's page parts (`rep_page_parts`) ahead of the first visit."""
    for rep_id in services.roster():
        rep_page_parts(services, rep_id, day)


def rep_charts(
    services: Services, bookings: Any, findings: list[Finding], day: date
) -> list[dict[str, Any]]:
    """The rep page's charts: the pace against weekly targets, and each finding's charts."""
    charts = []
    if bookings is not None:
        period = Period(bookings.period_start, bookings.period_end)
        charts.append(pacing_chart(services, period, bookings.target, bookings, day))
    # The funnel section shows every rep's funnel, so a stage-leakage finding's is not repeated.
    charts += [
        chart.to_dict()
        for finding in findings
        if finding.cause != stage_leakage.CAUSE
        for chart in finding_charts(finding)
    ]
    return charts


def rep_funnel(services: Services, rep_id: str, day: date) -> dict[str, Any]:
    """The rep's conversion at each funnel stage beside the top performers' and peers', the
    stage with the widest gap to the top performers and a chart; without stages, the reason.

    Callers check access first."""
    table = services.funnel(day)
    if isinstance(table, Skip):
        return {
            "window": None,
            "stages": [],
            "widest_gap": None,
            "reason": table.reason,
            "chart": None,
        }
    steps = table.steps(rep_id)
    rows = [{**asdict(step), "shortfall": step.shortfall} for step in steps]
    window = f"from {table.window.start} to {table.window.end}"
    reason = None
    if not steps:
        reason = (
            f"no deal of this rep entered and left a funnel stage {window}"
            if rep_id in table.sellers
            else f"only selling reps employed {window} are compared"
        )
    return {
        "window": jsonable(table.window),
        "stages": rows,
        "widest_gap": table.widest_gap(rep_id),
        "reason": reason,
        "chart": funnel_chart(rows).to_dict() if rows else None,
    }


def funnel_view(
    services: Services, user: Principal, rep_id: str, asked: date | None
) -> dict[str, Any]:
    """One rep's funnel against top performers and peers (the rep page's section)."""
    scope(services, user, Resource.PERFORMANCE).rep(rep_id, services.roster())
    day = services.as_of(asked).day
    funnel = rep_page_parts(services, rep_id, day)["funnel"]
    return {"rep_id": rep_id, "as_of": day.isoformat(), **funnel}


def weekly_rows(services: Services, row: Any) -> list[dict[str, Any]]:
    """The bookings target per calendar week of the period (business days, flat)."""
    calendar = business_calendar(services.settings.performance)
    weeks = weekly_targets(Period(row.period_start, row.period_end), row.target, calendar)
    return [
        {"week_start": pd.Timestamp(str(week)).date().isoformat(), "target": float(value)}
        for week, value in weeks.items()
    ]


def pacing_chart(
    services: Services, period: Period, target: float, row: Any, as_of: date
) -> dict[str, Any]:
    """Cumulative weekly targets over the period, with booked and expected-to-date marks."""
    weeks = pd.DataFrame(weekly_rows(services, row))
    weeks["cumulative target"] = weeks["target"].cumsum()
    line = (
        alt.Chart(weeks)
        .mark_line(point=True, color="#8d99ae")
        .encode(
            x=alt.X("week_start:T", title=None),
            y=alt.Y("cumulative target:Q", title="bookings", axis=alt.Axis(format="~s")),
            tooltip=["week_start:T", "target:Q", "cumulative target:Q"],
        )
    )
    marks = pd.DataFrame(
        [
            {"day": as_of.isoformat(), "value": row.actual_to_date, "what": "booked"},
            {"day": as_of.isoformat(), "value": row.expected_to_date, "what": "expected"},
        ]
    )
    points = (
        alt.Chart(marks)
        .mark_point(size=120, filled=True)
        .encode(
            x="day:T", y="value:Q", color=alt.Color("what:N", title=None), tooltip=["what", "value"]
        )
    )
    chart = alt.layer(line, points).properties(
        width=560, height=240, title=f"Pace in {period.label}: weekly targets, booked to date"
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def finding_row(finding: Finding) -> dict[str, Any]:
    """A finding as JSON, evidence included."""
    row: dict[str, Any] = jsonable(finding)
    return row


def findings_view(
    services: Services,
    user: Principal,
    day: date,
    team: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The findings the user may see as of `day` (the first `limit`), most at stake first."""
    allowed = scope(services, user, Resource.DIAGNOSIS)
    roster = services.roster()
    kept: list[dict[str, Any]] = []
    for finding, row in finding_rows_of(services, day):
        if limit is not None and len(kept) >= limit:
            break
        if not allowed.sees(finding.scope, finding.id):
            continue
        if team is not None:
            owner = roster.get(finding.id)
            team_of = finding.id if finding.scope == "team" else owner.team_id if owner else None
            if team_of != team:
                continue
        kept.append(row)
    return kept


def forecast_view(
    services: Services, user: Principal, asked: date | None, row_scope: str | None = None
) -> dict[str, Any]:
    """The quarter's forecast rows the user may see (one scope when `row_scope` is given)."""
    allowed = scope(services, user, Resource.FORECAST)
    as_of = services.as_of(asked)
    result = services.forecast(as_of.day)
    rows = [
        row
        for row in forecast_rows_of(services, as_of.day)
        if allowed.sees(row["scope"], row["id"]) and row_scope in (None, row["scope"])
    ]
    return {
        "as_of": as_of.day.isoformat(),
        "period": jsonable(result.period),
        "notes": [*as_of.notes, *calibration_lines(result)],
        "simulations": result.simulations,
        "method": result.method,
        "rows": rows,
    }


def cone_view(services: Services, user: Principal, asked: date | None) -> dict[str, Any] | None:
    """The cone chart of the widest row the user may see (company, else their first team or
    themselves), or None when they may see none."""
    allowed = scope(services, user, Resource.FORECAST)
    cone = services.cone(services.as_of(asked).day)
    rows = [row for row in cone[-1].rows if allowed.sees(row.scope, row.id)]
    if not rows:
        return None
    order = {"company": 0, "team": 1, "rep": 2}
    row = min(rows, key=lambda r: (order.get(r.scope, 3), r.id))
    chart = cone_chart(cone, row.scope, row.id, title=f"Forecast of {row.name} against target")
    spec: dict[str, Any] = chart.to_dict()
    return spec


def channels_view(services: Services, user: Principal, asked: date | None) -> dict[str, Any]:
    """Channel effectiveness: sources and campaigns ranked by revenue per lead."""
    scope(services, user, Resource.LEADS)
    day = services.as_of(asked).day
    report = services.channels(day)
    sources = [line.row() for line in report.sources]
    chart = (
        alt.Chart(pd.DataFrame(sources or [{"channel": "", "revenue_per_lead": 0.0}]))
        .mark_bar(color="#2e7d5b")
        .encode(
            x=alt.X("revenue_per_lead:Q", title="won revenue per lead"),
            y=alt.Y("channel:N", sort="-x", title=None),
            # Typed, so the placeholder row of a day before any lead needs no such columns.
            tooltip=["channel:N", "leads:Q", "won:Q", "revenue_per_lead:Q"],
        )
        .properties(width=480, title="Revenue per lead by source")
    )
    return {
        "as_of": jsonable(report.as_of),
        "notes": list(report.notes),
        "total": jsonable(report.total.row()),
        "sources": jsonable(sources),
        "campaigns": jsonable([line.row() for line in report.campaigns]),
        "chart": chart.to_dict(),
    }


def lead_grades_view(
    services: Services, user: Principal, asked: date | None
) -> list[dict[str, Any]]:
    """Every lead's grade, fit and engagement scores."""
    scope(services, user, Resource.LEADS)
    return services.lead_grades(services.as_of(asked).day)


def icp_view(services: Services, user: Principal) -> dict[str, Any]:
    """The ideal customer profile's rules and weights."""
    scope(services, user, Resource.LEADS)
    icp = services.settings.icp
    return {"defined": icp.defined, "rules": list(icp.rules()), **jsonable(icp.model_dump())}


def goal_row(goal: Goal) -> dict[str, Any]:
    """A goal set in Attain, JSON-ready."""
    return {
        "id": goal.id,
        "rep_id": goal.rep_id,
        "period_start": goal.period_start.isoformat(),
        "period_end": goal.period_end.isoformat(),
        "metric": goal.metric,
        "target": goal.target,
        "description": goal.description,
    }


def rep_goals(engine: Engine, rep_id: str) -> list[dict[str, Any]]:
    """The goals set in Attain for one rep (whose visibility the caller has checked)."""
    with session_scope(engine) as session:
        query = select(Goal).where(Goal.rep_id == rep_id).order_by(Goal.id)
        return [goal_row(g) for g in session.scalars(query)]


def coaching_records(
    engine: Engine,
    user: Principal,
    services: Services,
    rep_id: str | None = None,
    today: date | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Goals, coaching sessions (imported and logged, newest first) and action items of the
    reps the user may see (one rep when `rep_id` is given); action items past due and still
    open are flagged `overdue`."""
    allowed = scope(services, user, Resource.COACHING)
    today = today or date.today()

    def visible(model: Any) -> Any:
        query = select(model).order_by(model.id)
        if rep_id is not None:
            query = query.where(model.rep_id == rep_id)
        if not allowed.all_reps:
            query = query.where(model.rep_id.in_(sorted(allowed.rep_ids)))
        return query

    with session_scope(engine) as session:
        goals = [goal_row(g) for g in session.scalars(visible(Goal))]
        actions = [
            {
                "id": a.id,
                "rep_id": a.rep_id,
                "title": a.title,
                "owner": a.owner,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "status": a.status.value,
                "source": a.source,
                "overdue": a.status is ActionStatus.OPEN
                and a.due_date is not None
                and a.due_date < today,
            }
            for a in session.scalars(visible(ActionItem))
        ]
    from attain.web.coaching_view_models import coaching_sessions  # imports this module

    sessions = coaching_sessions(services, engine, user, rep_id)
    return {"goals": goals, "coaching_sessions": sessions, "action_items": actions}
