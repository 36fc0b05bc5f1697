"""The diagnosis as a person reads it: a summary per cause, then each rep's findings with
their evidence beside its benchmark, actions and coaching questions (JSON, Markdown, HTML).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment

from attain.diagnosis.checked import RepChecks, headline, unchecked_causes
from attain.diagnosis.finding import CAUSES, Cause, Diagnosis, Finding
from attain.metrics.attainment import Scope
from attain.reports.charts import finding_charts, to_svg
from attain.reports.jsonable import dumps
from attain.reports.templating import environment, label, money, ratio, times

CAUSE_LABELS: dict[Cause, str] = {
    "lead_warming": "Leads go cold before sales calls",
    "marketing_alignment": "Sales and marketing disagree on leads",
    "lead_criteria": "Leads outside the ideal customer profile",
    "follow_up": "Deals without follow-up",
    "coaching": "Too little coaching",
    "stage_leakage": "Deals leak at one stage",
    "activity_drop": "Activity dropped",
    "product_mix": "Product mix off the company's priorities",
    "target_setting": "Ratcheted targets",
}
"""What each cause is called in reports."""

BENCHMARKS = {
    "top": "top performers",
    "peers": "peers",
    "all_reps": "all reps",
    "company": "company",
    "usual": "rep's usual",
    "healthy": "healthy",
    "benchmark": "benchmark",
}
"""Keys of an evidence item that hold the value the rep's is compared with, and their names."""

SCOPE_ORDER: dict[Scope, int] = {"company": 0, "team": 1, "rep": 2}
_PERCENT = ("share", "rate", "ratio", "attainment", "growth", "mix")
_MONEY = ("pipeline", "amount", "target", "bookings", "value", "stake", "deal_by_tier")
_COUNTS = ("n", "deals", "raises", "periods", "chance")
"""Inner keys formatted as what they are, not as their parent (counts and chances)."""


@dataclass(frozen=True)
class CauseSummary:
    """How many reps and teams (and whether the company) show one cause, and its stake."""

    cause: Cause
    label: str
    reps: int
    teams: int
    company: bool
    bookings_at_stake: float
    """Sum over the rep findings (team and company findings add up their reps' stakes)."""


@dataclass(frozen=True)
class EvidenceRow:
    """One measure of a finding: the rep's value beside its benchmark, formatted."""

    measure: str
    value: str
    benchmark: str
    benchmark_label: str
    detail: str


@dataclass(frozen=True)
class EvidenceTable:
    """A list in the evidence (e.g. the funnel by stage, the quota history) as a table."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FindingView:
    """A finding with its cause's name and its evidence ready to show."""

    finding: Finding
    title: str
    rows: tuple[EvidenceRow, ...]
    tables: tuple[EvidenceTable, ...]


@dataclass(frozen=True)
class Subject:
    """A rep, team or the company with its findings, most bookings at stake first."""

    scope: Scope
    id: str
    name: str
    findings: tuple[FindingView, ...]
    bookings_at_stake: float


def cause_summary(diagnosis: Diagnosis) -> list[CauseSummary]:
    """One line per cause with findings, most bookings at stake first."""
    lines = []
    for cause in CAUSES:
        found = [f for f in diagnosis.findings if f.cause == cause]
        if not found:
            continue
        reps = [f for f in found if f.scope == "rep"]
        lines.append(
            CauseSummary(
                cause=cause,
                label=CAUSE_LABELS[cause],
                reps=len(reps),
                teams=sum(1 for f in found if f.scope == "team"),
                company=any(f.scope == "company" for f in found),
                bookings_at_stake=sum(f.bookings_at_stake for f in reps or found),
            )
        )
    return sorted(lines, key=lambda line: -line.bookings_at_stake)


def total_at_stake(diagnosis: Diagnosis) -> float:
    """Bookings at stake over all causes: the rep findings' sum (rollups would count twice)."""
    return sum(line.bookings_at_stake for line in cause_summary(diagnosis))


Names = Mapping[Scope, Mapping[str, str]]
"""Display names by scope and id (as `attain.metrics.attainment.scope_names` returns them)."""


def subjects(diagnosis: Diagnosis, names: Names | None = None) -> list[Subject]:
    """The company, teams and reps with findings, each with its findings in rank order.

    Company and teams come first; reps follow in the order of their largest finding.
    """
    names = names or {}
    grouped: dict[tuple[Scope, str], list[Finding]] = {}
    for finding in diagnosis.findings:
        grouped.setdefault((finding.scope, finding.id), []).append(finding)
    found = [
        Subject(
            scope=scope,
            id=subject_id,
            name=_name(scope, subject_id, names),
            findings=tuple(finding_view(f) for f in findings),
            bookings_at_stake=sum(f.bookings_at_stake for f in findings),
        )
        for (scope, subject_id), findings in grouped.items()
    ]
    return sorted(found, key=lambda subject: SCOPE_ORDER[subject.scope])


def finding_view(finding: Finding) -> FindingView:
    """The finding's evidence split into measures beside their benchmark and tables."""
    rows, tables = evidence_parts(finding.evidence)
    return FindingView(finding, CAUSE_LABELS.get(finding.cause, label(finding.cause)), rows, tables)


def evidence_parts(
    evidence: Mapping[str, Any],
) -> tuple[tuple[EvidenceRow, ...], tuple[EvidenceTable, ...]]:
    """Measures and tables of an evidence dict.

    An item {"rep": x, "top": y, ...} is a measure beside its benchmark (a top-level
    "benchmark" text names what "top" is); a list of dicts is a table; other items are
    measures without a benchmark.
    """
    named = evidence.get("benchmark")
    rows: list[EvidenceRow] = []
    tables: list[EvidenceTable] = []
    for key, value in evidence.items():
        if key == "benchmark" and isinstance(value, str):
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append(_table(key, value))
        elif isinstance(value, dict) and "rep" in value:
            rows.append(_compared(key, value, named if isinstance(named, str) else None))
        else:
            rows.append(EvidenceRow(label(key), fmt(key, value), "", "", ""))
    return tuple(rows), tuple(tables)


def fmt(key: str, value: Any) -> str:
    """An evidence value for reading, formatted by what its key says it is."""
    name = key.lower()
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return " · ".join(_detail(_inner(key, k), k, v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(fmt(key, v) for v in value)
    if isinstance(value, str):
        return label(value) if "_" in value and " " not in value else value
    if not isinstance(value, int | float):
        return str(value)
    if "p_value" in name or name == "chance":
        return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"
    if "alpha" in name:
        return f"{value:.2g}"
    if "hours" in name:
        return f"{value:,.1f} h"
    if "coverage" in name:
        return times(value)
    if any(word in name for word in _PERCENT):
        return ratio(value)
    if any(word in name for word in _MONEY):
        return money(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.0f}"


def diagnosis_headline(diagnosis: Diagnosis) -> str:
    """The line above the findings: how many there are, or what was checked when none shows
    (never a bare "No findings" when most causes could not be checked)."""
    return headline(diagnosis.findings, diagnosis.skipped, len(CAUSES))


def check_line(check: RepChecks, names: Names) -> str:
    """One rep at risk in a sentence: checked, found and not checked."""
    who = names.get("rep", {}).get(check.rep_id, check.rep_id)
    found = ", ".join(label(cause) for cause in check.found) or "none of them"
    missing = ", ".join(label(item.cause) for item in check.unchecked) or "none"
    return (
        f"{who} ({check.risk.replace('_', ' ')}): checked {len(check.checked)} causes, found "
        f"{found}; not checked: {missing}."
    )


def to_json(diagnosis: Diagnosis) -> str:
    """{"as_of", "notes", "headline", "findings": [...], "skipped": [{"cause", "reason"}],
    "checks": [...]} as indented JSON; the notes say what the data lacked (e.g. the data-quality
    line), the checks what was checked for each rep at risk."""
    return dumps(
        {
            "as_of": diagnosis.as_of,
            "notes": diagnosis.notes,
            "headline": diagnosis_headline(diagnosis),
            "findings": diagnosis.findings,
            "skipped": diagnosis.skipped,
            "checks": diagnosis.checks,
        }
    )


def to_markdown(diagnosis: Diagnosis, names: Names | None = None) -> str:
    """The diagnosis as Markdown, for a wiki page or an e-mail."""
    template = _templates().get_template("diagnosis.md.j2")
    return template.render(**_context(diagnosis, names, charts=False))


def to_html(diagnosis: Diagnosis, names: Names | None = None, *, charts: bool = True) -> str:
    """The diagnosis as one self-contained HTML page, charts inline as SVG."""
    template = _templates().get_template("diagnosis.html.j2")
    return template.render(**_context(diagnosis, names, charts=charts))


def _context(diagnosis: Diagnosis, names: Names | None, *, charts: bool) -> dict[str, object]:
    found = subjects(diagnosis, names)
    return {
        "diagnosis": diagnosis,
        "summary": cause_summary(diagnosis),
        "total": total_at_stake(diagnosis),
        "groups": [s for s in found if s.scope != "rep"],
        "reps": [s for s in found if s.scope == "rep"],
        "skipped": [
            (CAUSE_LABELS.get(item.cause, label(item.cause)), f"{item.reason} (needs {item.needs})")
            for item in unchecked_causes(diagnosis.skipped)
        ],
        "headline": diagnosis_headline(diagnosis),
        "checks": [check_line(check, names or {}) for check in diagnosis.checks],
        "charts": charts,
    }


def _templates() -> Environment:
    return environment(svg=_svgs, cell=_cell, sentence=_sentence)


def _sentence(text: str) -> str:
    """The text ending in exactly one full stop."""
    return text.rstrip(" .") + "."


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _svgs(finding: Finding) -> list[str]:
    return [to_svg(chart) for chart in finding_charts(finding)]


def _name(scope: Scope, subject_id: str, names: Names) -> str:
    if scope == "company":
        return "Company"
    name = names.get(scope, {}).get(subject_id)
    shown = f"{name} ({subject_id})" if name and name != subject_id else subject_id
    return f"Team {shown}" if scope == "team" else shown


def _compared(key: str, item: Mapping[str, Any], named: str | None) -> EvidenceRow:
    bench = next((k for k in BENCHMARKS if k in item), None)
    rest = {k: v for k, v in item.items() if k not in ("rep", bench)}
    detail = " · ".join(_detail(_inner(key, k), k, v) for k, v in rest.items())
    return EvidenceRow(
        measure=label(key),
        value=fmt(key, item["rep"]),
        benchmark=fmt(key, item[bench]) if bench else "",
        benchmark_label=(named if bench == "top" and named else BENCHMARKS.get(bench or "", "")),
        detail=detail,
    )


def _detail(key: str, name: str, value: Any) -> str:
    """'n 40', or 'p < 0.001' for a p-value (which names itself)."""
    shown = fmt(key, value)
    return shown if shown.startswith("p ") else f"{label(name)} {shown}"


def _table(key: str, items: list[dict[str, Any]]) -> EvidenceTable:
    columns: list[str] = []
    for item in items:
        columns.extend(column for column in item if column not in columns)
    return EvidenceTable(
        title=label(key),
        columns=tuple(label(column) for column in columns),
        rows=tuple(
            tuple(fmt(_inner(key, column), item.get(column)) for column in columns)
            for item in items
        ),
    )


def _inner(parent: str, key: str) -> str:
    """The key that decides an inner value's format: its own if telling, else its parent's."""
    telling = ("p_value", "hours", "coverage", *_PERCENT, *_MONEY)
    if any(word in key.lower() for word in telling) or key in _COUNTS or key.endswith("_deals"):
        return key
    return parent
