"""Flags, classes and findings explained (#24): the sentences behind a hover and a screen
reader's text, and a finding's evidence as a table and chart."""

from __future__ import annotations

from attain.metrics.settings import PerformanceSettings
from attain.web.explain import evidence_view, goal_issue_meaning, meaning_of

EVIDENCE = {
    "benchmark": "top performers",
    "accepted_share": {"rep": 0.40, "top": 0.82},
    "mql_to_accepted_hours": {"rep": 142.0, "top": 27.0, "n": 44, "p_value": 1e-12},
    "win_rate": {"rep": 0.04, "peers": 0.2, "top": 0.3},
    "rejection_reasons": {"not_a_fit": 26, "no_budget": 12},
    "handed_over_leads": 139,
    "gone_dark_examples": [],
}
"""Shaped as the marketing-alignment and lead-warming detectors write theirs."""


def test_comparisons_facts_and_chart_come_from_the_evidence() -> None:
    view = evidence_view(EVIDENCE, "Ana")
    rows = {row["measure"]: row for row in view["comparisons"]}
    assert set(rows) == {"accepted share", "mql to accepted hours", "win rate"}
    assert rows["win rate"]["rep"] == 0.04 and rows["win rate"]["peers"] == 0.2
    assert rows["win rate"]["top"] == 0.3 and rows["win rate"]["share"]
    assert rows["mql to accepted hours"]["n"] == 44 and not rows["mql to accepted hours"]["share"]
    # A dict without a 'rep' value (counts of reasons) is neither a comparison nor a fact.
    facts = {fact["measure"]: fact["value"] for fact in view["facts"]}
    assert facts == {"benchmark": "top performers", "handed over leads": "139"}
    bars = view["chart"]["data"]["values"]
    assert {"measure": "win rate", "group": "Ana", "value": 0.04} in bars
    assert {"measure": "win rate", "group": "peers", "value": 0.2} in bars
    assert len(bars) == 2 + 2 + 3  # each measure's rep and every benchmark it has


def test_no_chart_without_a_comparison() -> None:
    assert evidence_view({"owed": 385, "overdue": 58})["chart"] is None


def test_a_class_says_its_rule_with_the_settings_numbers() -> None:
    settings = PerformanceSettings()
    text = meaning_of("class", "under_performer", settings)
    assert f"fewer than {settings.performer_share:.0%}" in text
    assert f"last {settings.classification_periods} completed periods" in text
    assert "differ from this period's pace" in text
    assert meaning_of("status", "behind", settings).startswith("Behind: ")
    assert meaning_of("class", None, settings) == ""


def test_a_goal_issue_names_each_failed_letter() -> None:
    text = goal_issue_meaning("bookings: AT")
    assert text.startswith("The bookings goal fails the SMART check")
    assert "achievable" in text and "time-bound" in text
