"""A diagnosis renders as JSON, Markdown and self-contained HTML from hand-built findings."""

from __future__ import annotations

import json
from datetime import date

import pytest

from attain.diagnosis.finding import Diagnosis, Finding, Skip
from attain.metrics.periods import Period
from attain.reports.charts import finding_charts, funnel_chart, response_time_chart, to_svg
from attain.reports.diagnosis import (
    cause_summary,
    evidence_parts,
    fmt,
    subjects,
    to_html,
    to_json,
    to_markdown,
    total_at_stake,
)

FUNNEL = [
    {"stage": "Discovery", "rep_rate": 0.7, "rep_n": 40, "peer_rate": 0.72, "top_rate": 0.78},
    {"stage": "Proposal", "rep_rate": 0.25, "rep_n": 28, "peer_rate": 0.68, "top_rate": 0.75},
]
HOURS = {
    "rep": {"p25": 20.0, "median": 72.0, "p75": 110.0, "p90": 160.0, "n": 40},
    "top": {"p25": 0.5, "median": 2.5, "p75": 6.0, "p90": 12.0, "n": 300},
}
NAMES = {"rep": {"R1": "Ray", "R2": "Rae <b>"}, "team": {"T1": "East"}}


def finding(
    rep: str, cause: str, stake: float, evidence: dict[str, object], **kw: object
) -> Finding:
    """A finding with one action and two questions; scope rep unless given."""
    return Finding(
        scope=kw.get("scope", "rep"),  # type: ignore[arg-type]
        id=rep,
        cause=cause,  # type: ignore[arg-type]
        severity=kw.get("severity", "medium"),  # type: ignore[arg-type]
        bookings_at_stake=stake,
        stake_method="(top performers' rate − rep's) × open pipeline",
        evidence=evidence,
        explanation=f"{cause} explained with numbers.",
        actions=(f"Do something about {cause}.",),
        questions=("What is your follow-up process after a first meeting?", "Why?"),
    )


@pytest.fixture
def diagnosis() -> Diagnosis:
    """R1: stage leakage (50,000) and an activity drop (1,000); R2: lead warming (20,000);
    team T1: an activity-drop rollup (the reps' stakes added up); coaching skipped."""
    return Diagnosis(
        as_of=date(2026, 11, 13),
        window=Period(date(2026, 5, 15), date(2026, 11, 12)),
        findings=[
            finding("R1", "stage_leakage", 50_000, {"funnel": FUNNEL}, severity="high"),
            finding(
                "R2",
                "lead_warming",
                20_000,
                {
                    "benchmark": "top performers",
                    "first_touch_hours": HOURS,
                    "no_marketing_touch_share": {
                        "rep": 0.45,
                        "top": 0.03,
                        "n": 120,
                        "p_value": 1e-9,
                    },
                },
            ),
            finding("T1", "activity_drop", 1_000, {"reps": ["R1"]}, scope="team"),
            finding("R1", "activity_drop", 1_000, {"calls_per_week": {"rep": 2, "usual": 20}}),
        ],
        skipped=[Skip("coaching", "no coaching sessions in the store")],
        sellers=("R1", "R2", "R3"),
    )


def test_json_has_exactly_the_documented_shape(diagnosis: Diagnosis) -> None:
    parsed = json.loads(to_json(diagnosis))

    assert list(parsed) == ["as_of", "notes", "headline", "findings", "skipped", "checks"]
    assert parsed["notes"] == list(diagnosis.notes)
    assert parsed["as_of"] == "2026-11-13"
    assert list(parsed["findings"][0]) == [
        "scope",
        "id",
        "cause",
        "severity",
        "bookings_at_stake",
        "stake_method",
        "evidence",
        "explanation",
        "actions",
        "questions",
    ]
    assert parsed["findings"][0]["evidence"]["funnel"] == FUNNEL
    assert parsed["skipped"] == [
        {"cause": "coaching", "reason": "no coaching sessions in the store"}
    ]


def test_summary_counts_each_cause_and_adds_up_rep_stakes_only(diagnosis: Diagnosis) -> None:
    summary = cause_summary(diagnosis)
    lines = {line.cause: line for line in summary}

    assert [line.cause for line in summary] == ["stage_leakage", "lead_warming", "activity_drop"]
    assert (lines["activity_drop"].reps, lines["activity_drop"].teams) == (1, 1)
    assert lines["activity_drop"].bookings_at_stake == 1_000  # the team rollup is not added
    assert total_at_stake(diagnosis) == 71_000


def test_teams_come_first_then_reps_by_their_largest_finding(diagnosis: Diagnosis) -> None:
    found = subjects(diagnosis, NAMES)

    assert [(s.scope, s.name) for s in found] == [
        ("team", "Team East (T1)"),
        ("rep", "Ray (R1)"),
        ("rep", "Rae <b> (R2)"),
    ]
    assert [v.finding.cause for v in found[1].findings] == ["stage_leakage", "activity_drop"]
    assert found[1].bookings_at_stake == 51_000


def test_evidence_sits_beside_its_benchmark_and_lists_become_tables() -> None:
    rows, tables = evidence_parts(
        {
            "benchmark": "top performers",
            "no_marketing_touch_share": {"rep": 0.45, "top": 0.03, "n": 120, "p_value": 1e-9},
            "calls_per_week": {"rep": 2, "usual": 17.5},
            "open_pipeline_this_period": 392_330.4,
            "funnel": FUNNEL,
        }
    )

    assert [(r.measure, r.value, r.benchmark, r.benchmark_label, r.detail) for r in rows] == [
        ("no marketing touch share", "45%", "3%", "top performers", "n 120 · p < 0.001"),
        ("calls per week", "2", "17.5", "rep's usual", ""),
        ("open pipeline this period", "392,330", "", "", ""),
    ]
    [table] = tables
    assert table.columns == ("stage", "rep rate", "rep n", "peer rate", "top rate")
    assert table.rows[1] == ("Proposal", "25%", "28", "68%", "75%")


def test_values_are_formatted_by_what_their_key_says() -> None:
    assert fmt("first_touch_hours", 71.94) == "71.9 h"
    assert fmt("coverage", 1.53) == "1.5×"
    assert fmt("slow_response_p_value", 0.02) == "p = 0.020"
    assert fmt("new_deal_mix", {"priority": 0.05, "loss_leader": 0.9}) == (
        "priority 5% · loss leader 90%"
    )
    assert fmt("signals", ["slow_response", "cold_leads"]) == "slow response, cold leads"
    assert fmt("anything", None) == "—"


def test_markdown_gives_the_summary_then_each_rep_with_actions_and_questions(
    diagnosis: Diagnosis,
) -> None:
    markdown = to_markdown(diagnosis, NAMES)

    assert markdown.startswith("# Why targets are missed — as of 2026-11-13")
    assert "about **71,000** of bookings at stake" in markdown
    assert "| Deals leak at one stage | 1 | 0 | no | 50,000 |" in markdown
    assert (
        "- Too little coaching: no coaching sessions in the store (needs coaching sessions: "
        "one-on-ones and shadowing)." in markdown
    )
    assert "### Ray (R1) — 2 findings, 51,000 at stake" in markdown
    assert (
        "| no marketing touch share | 45% | 3% (top performers) | n 120 · p < 0.001 |" in markdown
    )
    assert "- What is your follow-up process after a first meeting?" in markdown
    assert (
        markdown.index("## Summary") < markdown.index("### Team East") < markdown.index("## Reps")
    )


def test_html_is_one_self_contained_page_with_inline_svg_charts(diagnosis: Diagnosis) -> None:
    html = to_html(diagnosis, NAMES)

    assert "<h1>Why targets are missed — as of 2026-11-13</h1>" in html
    assert html.count("<svg") == 2  # the funnel of R1 and the response times of R2
    assert "<script" not in html and "<link" not in html and 'src="http' not in html
    assert "Rae &lt;b&gt; (R2)" in html and "p &lt; 0.001" in html
    assert '<a href="#rep-R1">Ray (R1)</a>' in html


def test_html_without_charts_and_an_empty_diagnosis_read_plainly(diagnosis: Diagnosis) -> None:
    assert "<svg" not in to_html(diagnosis, charts=False)
    empty = Diagnosis(diagnosis.as_of, diagnosis.window, findings=[], skipped=[])
    assert "No findings: none of the causes checked shows in the data." in to_html(empty)
    assert "No findings" in to_markdown(empty)


def test_funnel_chart_puts_the_rep_beside_peers_and_top_performers_by_stage() -> None:
    spec = funnel_chart(FUNNEL).to_dict()

    values = next(iter(spec["datasets"].values()))
    assert {(v["stage"], v["who"], v["rate"]) for v in values} >= {
        ("Proposal", "This rep", 0.25),
        ("Proposal", "Peers", 0.68),
        ("Proposal", "Top performers", 0.75),
    }
    assert spec["layer"][0]["mark"]["type"] == "bar"


def test_charts_are_chosen_from_the_evidence_and_render_to_svg(diagnosis: Diagnosis) -> None:
    charts = [len(finding_charts(f)) for f in diagnosis.findings]
    svg = to_svg(response_time_chart(HOURS))

    assert charts == [1, 1, 0, 0]
    assert svg.startswith("<svg") and "Hours to first sales touch" in svg
    assert "median 72.0 h" in svg
