"""The sales–marketing alignment meeting: an agenda from the findings and the channel report,
and the action items agreed in it, with owners, due dates and status.

Topics, in this order:

1. company and team findings of the alignment causes (`ALIGNMENT_CAUSES`), largest stake
   first: a pattern shared by many sellers is a process problem for both sides;
2. reps with an alignment finding, largest stake first (at most `MAX_REP_TOPICS`);
3. the sources with the highest rejection share (at least `MIN_CHANNEL_LEADS` leads and
   above the all-leads share): what marketing sends that sales turns down;
4. the sources that earn the most per lead: where to put more budget.

Actions agreed in a meeting are action items whose source is `alignment_meeting:<day>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from attain.appdb.models import ActionItem, ActionStatus
from attain.diagnosis.finding import Cause, Finding
from attain.leads.channels import ChannelLine, ChannelReport
from attain.workflow.actions import AgreedAction, list_actions, new_action

ALIGNMENT_CAUSES: tuple[Cause, ...] = ("marketing_alignment", "lead_warming", "lead_criteria")
"""Causes about the hand-over between marketing and sales."""
SOURCE_PREFIX = "alignment_meeting:"
MAX_REP_TOPICS = 5
MIN_CHANNEL_LEADS = 30
MAX_CHANNEL_TOPICS = 3

_OWNERS: dict[Cause, str] = {
    "marketing_alignment": "sales and marketing",
    "lead_warming": "sales",
    "lead_criteria": "marketing",
}
_ASKS: dict[Cause, str] = {
    "marketing_alignment": "Agree what makes a lead acceptable and how fast sales decides.",
    "lead_warming": "Agree a first-touch time for handed-over leads and who warms them before.",
    "lead_criteria": "Review the ideal customer profile against what wins; retarget campaigns.",
}


@dataclass(frozen=True)
class Topic:
    """One agenda topic: what to discuss, the numbers behind it, and a proposed action."""

    title: str
    detail: str
    proposed_action: str
    owner: str
    """Which side the proposed action falls to: sales, marketing, or both."""
    source: str
    """'finding:<cause>:<scope>:<id>' or 'channel:<source>'."""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlignmentAgenda:
    """The meeting's topics, most important first."""

    as_of: date
    topics: list[Topic]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {"as_of": self.as_of.isoformat(), "topics": [asdict(t) for t in self.topics]}


def alignment_agenda(
    as_of: date, findings: Sequence[Finding], channels: ChannelReport | None
) -> AlignmentAgenda:
    """Topics from the alignment findings and the channel report (pure)."""
    mine = [f for f in findings if f.cause in ALIGNMENT_CAUSES]
    groups = sorted(
        (f for f in mine if f.scope != "rep"), key=lambda f: (-f.bookings_at_stake, f.id)
    )
    reps = sorted(
        (f for f in mine if f.scope == "rep"), key=lambda f: (-f.bookings_at_stake, f.id)
    )[:MAX_REP_TOPICS]
    topics = [_finding_topic(f) for f in [*groups, *reps]]
    if channels is not None:
        topics += _channel_topics(channels)
    return AlignmentAgenda(as_of=as_of, topics=topics)


def _finding_topic(finding: Finding) -> Topic:
    who = "the company" if finding.scope == "company" else f"{finding.scope} {finding.id}"
    return Topic(
        title=f"{finding.cause.replace('_', ' ').capitalize()} at {who}",
        detail=f"{finding.explanation} About {finding.bookings_at_stake:,.0f} of bookings at "
        "stake this period.",
        proposed_action=finding.actions[0] if finding.actions else _ASKS[finding.cause],
        owner=_OWNERS[finding.cause],
        source=f"finding:{finding.cause}:{finding.scope}:{finding.id}",
        evidence={"severity": finding.severity, "bookings_at_stake": finding.bookings_at_stake},
    )


def _channel_topics(channels: ChannelReport) -> list[Topic]:
    sources = [s for s in channels.sources if s.leads >= MIN_CHANNEL_LEADS and s.channel]
    overall = channels.total.rejection_share or 0.0
    rejected = sorted(
        (s for s in sources if (s.rejection_share or 0.0) > overall),
        key=lambda s: -(s.rejection_share or 0.0),
    )[:MAX_CHANNEL_TOPICS]
    topics = [
        Topic(
            title=f"Leads from {s.channel} are rejected",
            detail=f"Sales rejected {s.rejected} of {s.leads} leads ({_pct(s.rejection_share)}, "
            f"all leads {_pct(overall)})" + _reasons(s) + ".",
            proposed_action=f"Agree the qualification criteria for {s.channel} leads, or move "
            "its budget.",
            owner="marketing",
            source=f"channel:{s.channel}",
            evidence={"leads": s.leads, "rejected": s.rejected, "share": s.rejection_share},
        )
        for s in rejected
    ]
    earning = sorted(
        (s for s in sources if s.revenue_per_lead), key=lambda s: -(s.revenue_per_lead or 0.0)
    )[:1]
    topics += [
        Topic(
            title=f"{s.channel} earns the most per lead",
            detail=f"{s.revenue_per_lead:,.0f} of won revenue per lead from {s.leads} leads "
            f"(all leads {(channels.total.revenue_per_lead or 0.0):,.0f}).",
            proposed_action=f"Consider more budget for {s.channel} and ask sales to work its "
            "leads first.",
            owner="marketing",
            source=f"channel:{s.channel}",
            evidence={"leads": s.leads, "revenue_per_lead": s.revenue_per_lead},
        )
        for s in earning
    ]
    return topics


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _reasons(line: ChannelLine) -> str:
    if not line.top_rejection_reasons:
        return ""
    named = ", ".join(f"{reason} ({count})" for reason, count in line.top_rejection_reasons)
    return f"; most often {named}"


def add_meeting_action(
    session: Session, meeting: date, action: AgreedAction, rep_id: str | None = None
) -> ActionItem:
    """Record an action agreed in the alignment meeting of `meeting` (audited)."""
    item = new_action(action, rep_id=rep_id, source=f"{SOURCE_PREFIX}{meeting.isoformat()}")
    session.add(item)
    session.flush()
    return item


def meeting_actions(
    session: Session, *, overdue_on: date | None = None, open_only: bool = False
) -> list[ActionItem]:
    """Actions agreed in alignment meetings by due date; `overdue_on` keeps the overdue ones."""
    status = ActionStatus.OPEN if open_only else None
    return list_actions(session, source_prefix=SOURCE_PREFIX, status=status, overdue_on=overdue_on)
