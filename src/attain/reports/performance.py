"""The performance report as tables a person reads: one line per team and per rep, in Markdown,
CSV and HTML (the terminal view in the CLI uses the same lines).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from attain.metrics.report import HEADLINE_METRIC, PerformanceReport
from attain.reports.csv_safe import write_csv
from attain.reports.templating import environment

STATUS_ORDER = {"at_risk": 0, "behind": 1, "on_pace": 2, "ahead": 3}


@dataclass(frozen=True)
class ScopeLine:
    """Headline numbers of a rep, a team or the company in the current period."""

    id: str
    name: str
    team_id: str | None
    target: float | None
    actual: float
    expected: float | None
    pace_ratio: float | None
    status: str | None
    required_daily_rate: float | None
    week_target: float | None
    week_actual: float | None
    coverage: float | None
    coverage_note: str | None


@dataclass(frozen=True)
class RepLine:
    """One rep's row: pace this period, class over past periods, and what was flagged."""

    rep_id: str
    name: str
    team_id: str | None
    performance_class: str | None
    trend: str | None
    target: float | None
    actual: float
    expected: float | None
    pace_ratio: float | None
    status: str | None
    required_daily_rate: float | None
    week_target: float | None
    week_actual: float | None
    coverage: float | None
    win_rate: float | None
    early_warnings: str
    ratcheted: bool
    goal_issues: str


def scope_lines(report: PerformanceReport, scope: str) -> list[ScopeLine]:
    """Bookings pace and coverage of every team (scope 'team') or the company ('company')."""
    coverage = {(row.scope, row.id): row for row in report.coverage}
    lines = []
    for row in report.pacing:
        if row.scope != scope or row.metric != HEADLINE_METRIC:
            continue
        cover = coverage.get((row.scope, row.id))
        lines.append(
            ScopeLine(
                id=row.id,
                name=row.name,
                team_id=row.team_id,
                target=row.target,
                actual=row.actual_to_date,
                expected=row.expected_to_date,
                pace_ratio=row.pace_ratio,
                status=row.status,
                required_daily_rate=row.required_daily_rate,
                week_target=row.week_target,
                week_actual=row.week_actual,
                coverage=cover.coverage if cover else None,
                coverage_note=cover.reason if cover else None,
            )
        )
    return sorted(lines, key=lambda line: (STATUS_ORDER.get(line.status or "", 9), line.name))


def rep_lines(report: PerformanceReport) -> list[RepLine]:
    """One line per selling rep (and anyone with a bookings target), most at risk first."""
    pace = {r.id: r for r in report.pacing if r.scope == "rep" and r.metric == HEADLINE_METRIC}
    coverage = {r.id: r for r in report.coverage if r.scope == "rep"}
    classes = {c.rep_id: c for c in report.classification}
    sales = {s.rep_id: s for s in report.sales}
    warnings: dict[str, list[str]] = {}
    for warning in report.early_warnings:
        warnings.setdefault(warning.rep_id, []).append(warning.metric)
    ratcheted = {r.rep_id for r in report.ratcheted_reps}
    issues: dict[str, list[str]] = {}
    for check in report.goals:
        failed = "".join(letter.letter for letter in check.letters if letter.passed is False)
        for owner in check.goal.owners if failed else ():
            issues.setdefault(owner, []).append(f"{'/'.join(check.goal.metrics)}: {failed}")
    lines = []
    for rep in report.reps:
        if rep.role != "rep" and rep.rep_id not in pace:
            continue
        if rep.rep_id not in pace and rep.rep_id not in sales and rep.rep_id not in classes:
            continue
        row, cls = pace.get(rep.rep_id), classes.get(rep.rep_id)
        cover, sold = coverage.get(rep.rep_id), sales.get(rep.rep_id)
        lines.append(
            RepLine(
                rep_id=rep.rep_id,
                name=rep.name,
                team_id=rep.team_id,
                performance_class=cls.performance_class if cls else None,
                trend=cls.trend if cls else None,
                target=row.target if row else None,
                actual=row.actual_to_date if row else (sold.bookings if sold else 0.0),
                expected=row.expected_to_date if row else None,
                pace_ratio=row.pace_ratio if row else None,
                status=row.status if row else None,
                required_daily_rate=row.required_daily_rate if row else None,
                week_target=row.week_target if row else None,
                week_actual=row.week_actual if row else None,
                coverage=cover.coverage if cover else None,
                win_rate=sold.win_rate if sold else None,
                early_warnings=", ".join(warnings.get(rep.rep_id, [])),
                ratcheted=rep.rep_id in ratcheted,
                goal_issues="; ".join(issues.get(rep.rep_id, [])),
            )
        )
    return sorted(
        lines,
        key=lambda line: (
            STATUS_ORDER.get(line.status or "", 9),
            line.pace_ratio if line.pace_ratio is not None else 9.0,
            line.rep_id,
        ),
    )


def to_csv(report: PerformanceReport) -> str:
    """The rep lines as CSV, one row per rep."""
    names = [field.name for field in fields(RepLine)]
    rows = ([_csv_value(getattr(line, name)) for name in names] for line in rep_lines(report))
    return write_csv(rows, names)


def to_markdown(report: PerformanceReport) -> str:
    """The report as Markdown, for a wiki page or an e-mail."""
    return environment().get_template("performance.md.j2").render(**_context(report))


def to_html(report: PerformanceReport) -> str:
    """The report as one self-contained HTML page (no external assets)."""
    return environment().get_template("performance.html.j2").render(**_context(report))


def _context(report: PerformanceReport) -> dict[str, object]:
    company = scope_lines(report, "company")
    return {
        "report": report,
        "company": company[0] if company else None,
        "teams": scope_lines(report, "team"),
        "reps": rep_lines(report),
        "goal_failures": [g for g in report.goals if not g.smart],
        "unquoted": [
            u
            for u in (report.attainment.unquoted if report.attainment else [])
            if u.period_start == report.period.start
        ],
    }


def _csv_value(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    return "" if value is None else value
