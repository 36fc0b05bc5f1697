"""What a detector returns: findings with evidence, actions and questions, or why it skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from attain.metrics.periods import Period

Cause = Literal[
    "lead_warming",
    "marketing_alignment",
    "lead_criteria",
    "follow_up",
    "coaching",
    "stage_leakage",
    "activity_drop",
    "product_mix",
    "target_setting",
]
CAUSES: tuple[Cause, ...] = (
    "lead_warming",
    "marketing_alignment",
    "lead_criteria",
    "follow_up",
    "coaching",
    "stage_leakage",
    "activity_drop",
    "product_mix",
    "target_setting",
)
"""Fixed, documented cause identifiers (the demo's truth.json uses the same ones)."""

Scope = Literal["rep", "team", "company"]
Severity = Literal["high", "medium", "low"]

HIGH_SHARE = 0.20
MEDIUM_SHARE = 0.05


@dataclass(frozen=True)
class Finding:
    """One cause found for a rep, team or the company, with the numbers that show it."""

    scope: Scope
    id: str
    cause: Cause
    severity: Severity
    bookings_at_stake: float
    """Bookings this cause is estimated to cost in the current period (see stake_method)."""
    stake_method: str
    """How bookings_at_stake was estimated, in one sentence."""
    evidence: dict[str, Any]
    """The numbers behind the finding, each beside its peer or top-performer benchmark."""
    explanation: str
    actions: tuple[str, ...]
    questions: tuple[str, ...]
    """2–4 coaching questions, e.g. 'What is your follow-up process after a first meeting?'."""


@dataclass(frozen=True)
class Skip:
    """A detector that could not run, and why (usually missing data)."""

    cause: Cause
    reason: str


@dataclass(frozen=True)
class Detection:
    """A detector's output: its findings, or the reason it skipped."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


def severity(stake: float, target: float | None) -> Severity:
    """High when the stake is at least 20% of the period target, medium from 5%, else low."""
    if not target or target <= 0:
        return "medium" if stake > 0 else "low"
    share = stake / target
    if share >= HIGH_SHARE:
        return "high"
    return "medium" if share >= MEDIUM_SHARE else "low"


@dataclass(frozen=True)
class Diagnosis:
    """All findings for one as-of date, most bookings at stake first, and the skipped causes."""

    as_of: date
    window: Period
    findings: list[Finding]
    skipped: list[Skip]
    notes: list[str] = field(default_factory=list)
    sellers: tuple[str, ...] = ()
    """The selling reps diagnosed (employed through the whole window)."""
