"""What the pages' flags, classes and findings mean, in words a reader sees on hover and a
screen reader reads (`meaning`), and a finding's evidence as a table and a chart
(`evidence_view`): each measure for the rep beside their peers and the top performers, the
other numbers as plain facts, and a small Vega-Lite chart of the comparisons (one bar per
group, one row per measure, each on its own scale).

Detectors write evidence as nested dicts (attain.diagnosis): a comparison is a dict holding
the rep's value under "rep" and a benchmark under "peers", "top", "all_reps" or "usual";
anything else numeric or short is a fact.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from attain.metrics.settings import PerformanceSettings

SMART_LETTERS = {
    "S": "specific (one metric, one owner)",
    "M": "measurable (the data holds the metric)",
    "A": "achievable (within reach of what the owner has done before)",
    "R": "relevant (tied to the bookings target)",
    "T": "time-bound (a start and an end)",
}
"""What each letter of a goal's SMART check asks (attain.metrics.smart)."""

BENCHMARKS = {"peers": "peers", "top": "top performers", "all_reps": "all reps", "usual": "usual"}
"""Evidence keys naming a benchmark, and how the page names them."""

MAX_FACT_LENGTH = 80
"""Facts longer than this (lists of examples, long texts) stay in the JSON, not the table."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _comparison(key: str, value: dict[str, Any]) -> dict[str, Any] | None:
    """A comparison row when `value` holds a numeric 'rep' and a numeric benchmark."""
    rep = _number(value.get("rep"))
    if rep is None:
        return None
    groups = {name: _number(value.get(key)) for key, name in BENCHMARKS.items()}
    if all(v is None for v in groups.values()):
        return None
    return {
        "measure": _label(key),
        "rep": rep,
        "peers": groups["peers"],
        "top": groups["top performers"],
        "other": groups["all reps"] if groups["all reps"] is not None else groups["usual"],
        "n": _number(value.get("n")),
        "share": "share" in key or "rate" in key,
    }


def evidence_view(evidence: dict[str, Any], who: str = "this rep") -> dict[str, Any]:
    """The evidence's comparisons, facts and chart (None when nothing compares)."""
    comparisons: list[dict[str, Any]] = []
    facts: list[dict[str, str]] = []
    for key, value in evidence.items():
        if isinstance(value, dict):
            row = _comparison(key, value)
            if row is not None:
                comparisons.append(row)
            continue
        if isinstance(value, list | tuple):
            if value and all(isinstance(v, str) for v in value):
                text = ", ".join(value)
                if len(text) <= MAX_FACT_LENGTH:
                    facts.append({"measure": _label(key), "value": text})
            continue
        fact = _fact(value)
        if fact is not None:
            facts.append({"measure": _label(key), "value": fact})
    return {"comparisons": comparisons, "facts": facts, "chart": _chart(comparisons, who)}


def _fact(value: Any) -> str | None:
    number = _number(value)
    if number is not None:
        return f"{number:,.0f}" if abs(number) >= 100 or number.is_integer() else f"{number:.3g}"
    if isinstance(value, str) and len(value) <= MAX_FACT_LENGTH:
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return None


def _chart(comparisons: list[dict[str, Any]], who: str) -> dict[str, Any] | None:
    """Bars of the rep against each benchmark, one row per measure on its own scale."""
    values = [
        {"measure": row["measure"], "group": group, "value": row[key]}
        for row in comparisons
        for key, group in (
            ("rep", who),
            ("peers", "peers"),
            ("top", "top performers"),
            ("other", "others"),
        )
        if row[key] is not None
    ]
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"{who} against peers and top performers, one row per measure",
        "data": {"values": values},
        "facet": {
            "row": {
                "field": "measure",
                "type": "nominal",
                "title": None,
                "header": {"labelAngle": 0, "labelAlign": "left", "labelLimit": 220},
            }
        },
        "spec": {
            "width": 220,
            "height": {"step": 14},
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {
                    "field": "group",
                    "type": "nominal",
                    "title": None,
                    "sort": [who, "peers", "top performers", "others"],
                },
                "x": {"field": "value", "type": "quantitative", "title": None},
                "color": {
                    "field": "group",
                    "type": "nominal",
                    "legend": None,
                    "scale": {
                        "domain": [who, "peers", "top performers", "others"],
                        "range": ["#c0392b", "#7f8c8d", "#1f6fa5", "#a0a0a0"],
                    },
                },
            },
        },
        "resolve": {"scale": {"x": "independent"}},
    }


def _class_meanings(s: PerformanceSettings) -> dict[str, str]:
    last = f"the last {s.classification_periods} completed periods"
    past = "It judges past periods, so it can differ from this period's pace."
    return {
        "top_performer": f"Top performer: at or above {s.surpass_ratio:.0%} of target in at "
        f"least {s.top_share:.0%} of {last}. {past}",
        "performer": f"Performer: at or above target in at least {s.performer_share:.0%} of "
        f"{last}, without surpassing it often enough to be a top performer. {past}",
        "under_performer": f"Under performer: at or above target in fewer than "
        f"{s.performer_share:.0%} of {last}. {past}",
        "new": f"New: fewer than {s.min_full_periods} completed periods worked in full, too "
        "few to judge.",
    }


def _status_meanings(s: PerformanceSettings) -> dict[str, str]:
    pace = "booked so far ÷ the share of target expected by now"
    return {
        "ahead": f"Ahead: {pace} is at or above {s.ahead_ratio:.0%}.",
        "on_pace": f"On pace: {pace} is from {s.on_pace_ratio:.0%} to {s.ahead_ratio:.0%}.",
        "behind": f"Behind: {pace} is from {s.behind_ratio:.0%} to {s.on_pace_ratio:.0%}.",
        "at_risk": f"At risk: {pace} is below {s.behind_ratio:.0%}.",
    }


def goal_issue_meaning(issue: str) -> str:
    """'bookings: A' in words: which goal fails which SMART letters."""
    goal, _, letters = issue.partition(": ")
    failed = "; ".join(SMART_LETTERS.get(letter, letter) for letter in letters.strip())
    return f"The {goal} goal fails the SMART check: not {failed}."


def meaning_of(kind: str, value: str | None, settings: PerformanceSettings) -> str:
    """The sentence that explains a class, a status, an early warning or a goal issue."""
    if not value:
        return ""
    if kind == "class":
        return _class_meanings(settings).get(value, value)
    if kind == "status":
        return _status_meanings(settings).get(value, value)
    if kind == "warning":
        return (
            f"Early warning: this week's {value} fell well below the rep's usual week (the "
            "median of the weeks before), which tends to show in bookings weeks later."
        )
    if kind == "ratcheted":
        return "Ratcheted: the target was raised more than once a period or right after a hit."
    if kind == "goal":
        return " ".join(goal_issue_meaning(issue) for issue in value.split("; ") if issue)
    return value


@pass_context
def meaning(context: Context, kind: str, value: str | None) -> str:
    """Template global: `meaning("class", r.performance_class)`, with the app's settings."""
    request = context.get("request")
    state = getattr(getattr(request, "app", None), "state", None)
    settings = getattr(getattr(state, "services", None), "settings", None)
    performance = settings.performance if settings is not None else PerformanceSettings()
    return meaning_of(kind, value, performance)
