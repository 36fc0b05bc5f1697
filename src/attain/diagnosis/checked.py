"""Honest silence: for every rep at risk, which causes the diagnosis checked, which it could not,
and the data that would let it.

A diagnosis that finds nothing because it could check nothing must not read like a clean bill
of health: on exports without activities, leads or coaching most causes are skipped, and "No
findings" above a list of skips was read as "nothing is wrong".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attain.diagnosis.finding import Cause, Finding, Skip
    from attain.metrics.pacing import PacingRow

CAUSE_COUNT = 9
"""Causes the diagnosis knows (attain.diagnosis.finding.CAUSES)."""

DATA_NEEDED: dict[str, str] = {
    "lead_warming": "leads with their first marketing and sales touch",
    "marketing_alignment": "leads with their source and sales' acceptance or rejection",
    "lead_criteria": "won and lost deals with account industry and size, or an [icp] profile",
    "follow_up": "activities: follow-ups or tasks with a due date",
    "coaching": "coaching sessions: one-on-ones and shadowing",
    "stage_leakage": "stage history: every stage each deal entered, in opportunity_stages",
    "activity_drop": "activities: calls, e-mails and meetings by rep and day",
    "product_mix": "products with a priority tier on the deals",
    "target_setting": "bookings quotas per rep and period",
}
"""The data that lets each cause be checked, for the 'not checked' lines."""

AT_RISK = ("behind", "at_risk")
"""Pacing statuses of a rep at risk of missing the period's bookings target."""


@dataclass(frozen=True)
class Unchecked:
    """A cause the diagnosis could not check, why, and the data that would let it."""

    cause: Cause
    reason: str
    needs: str


@dataclass(frozen=True)
class RepChecks:
    """What the diagnosis could say about one rep at risk."""

    rep_id: str
    risk: str
    """Why the rep is listed: the pacing status, or 'no targets' when none can be paced."""
    checked: tuple[Cause, ...]
    found: tuple[Cause, ...]
    """Of the causes checked, those found for this rep."""
    unchecked: tuple[Unchecked, ...]


def unchecked_causes(skipped: Sequence[Skip]) -> tuple[Unchecked, ...]:
    """Each skipped cause once (first reason kept), with the data that would let it run."""
    seen: dict[str, Unchecked] = {}
    for skip in skipped:
        if skip.cause not in seen:
            seen[skip.cause] = Unchecked(skip.cause, skip.reason, DATA_NEEDED.get(skip.cause, ""))
    return tuple(seen.values())


def rep_checks(
    causes: Sequence[Cause],
    sellers: Sequence[str],
    pacing: Sequence[PacingRow],
    findings: Sequence[Finding],
    skipped: Sequence[Skip],
) -> list[RepChecks]:
    """For each seller at risk (every seller when no target can be paced), the causes checked,
    found and not checked."""
    unchecked = unchecked_causes(skipped)
    skipped_causes = {item.cause for item in unchecked}
    checked = tuple(cause for cause in causes if cause not in skipped_causes)
    status = {
        row.id: row.status for row in pacing if row.scope == "rep" and row.metric == "bookings"
    }
    listed = [s for s in sellers if status.get(s) in AT_RISK] if status else list(sellers)
    return [
        RepChecks(
            rep_id=seller,
            risk=str(status[seller]) if seller in status else "no targets",
            checked=checked,
            found=tuple(
                cause
                for cause in checked
                if any(f.scope == "rep" and f.id == seller and f.cause == cause for f in findings)
            ),
            unchecked=unchecked,
        )
        for seller in listed
    ]


def headline(findings: Sequence[Finding], skipped: Sequence[Skip], causes: int) -> str:
    """The diagnosis's first line when it found nothing: what was checked and what was not,
    never a bare 'No findings' when most causes could not be checked."""
    unchecked = unchecked_causes(skipped)
    checked = causes - len(unchecked)
    if findings:
        return f"Checked {checked} of {causes} causes; {len(unchecked)} could not be checked."
    if checked == 0:
        return f"Nothing could be checked: none of the {causes} causes has the data it needs."
    if 2 * len(unchecked) >= causes:
        return (
            f"Checked only {checked} of {causes} causes, and none of them shows in the data; "
            f"{len(unchecked)} could not be checked (see 'not checked'), so this is not a "
            "clean bill of health."
        )
    if not unchecked:
        return "No findings: none of the causes checked shows in the data."
    return (
        f"No findings: none of the {checked} causes checked shows in the data; "
        f"{len(unchecked)} could not be checked (see 'not checked')."
    )


def unchecked_line(item: Unchecked) -> str:
    """'activity drop: no activities ... (needs activities ...)' for one unchecked cause."""
    name = item.cause.replace("_", " ")
    return f"{name}: {item.reason}" + (f" (needs {item.needs})" if item.needs else "")
