"""The next one-on-one's agenda: 3–6 questions for a rep, most important first.

Questions come from the rep's open findings (one template per cause, its evidence numbers
filled in), the actions agreed with them that are overdue, and their goals behind pace; when
there are fewer than `agenda_min_questions`, standing questions fill up. Items are ranked by
severity, in this order (documented in docs/workflow.md):

1. findings of high severity (stake at least 20% of the rep's target), largest stake first;
2. overdue agreed actions, longest overdue first;
3. findings of medium severity, largest stake first;
4. goals behind pace (and the quarter's bookings pace when at risk or behind), furthest
   behind first;
5. findings of low severity;
6. standing questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import Visibility, check_rep
from attain.appdb.models import ActionItem, ActionStatus, Goal
from attain.diagnosis.finding import Cause, Finding
from attain.metrics.facts import daily_actuals, is_countable
from attain.metrics.pacing import PacingRow
from attain.store.handle import Store
from attain.workflow.actions import days_overdue, is_overdue, list_actions
from attain.workflow.settings import WorkflowSettings
from attain.workflow.surveys import team_voice

ItemKind = Literal["finding", "overdue_action", "goal", "pacing", "standing"]

TIER_HIGH_FINDING = 1
TIER_OVERDUE_ACTION = 2
TIER_MEDIUM_FINDING = 3
TIER_GOAL = 4
TIER_LOW_FINDING = 5
TIER_STANDING = 6
_FINDING_TIERS = {"high": TIER_HIGH_FINDING, "medium": TIER_MEDIUM_FINDING, "low": TIER_LOW_FINDING}

STANDING_QUESTIONS = (
    "Which deal do you most need help with this week, and what is its next step?",
    "What did you learn from your last won or lost deal?",
    "What is one skill you want to work on before our next one-on-one?",
)
"""Asked when the rep has fewer open items than the agenda's minimum, in this order."""


def _pct(value: Any) -> str:
    return f"{float(value):.0%}"


def _num(value: Any) -> str:
    return f"{float(value):,.0f}"


def _lead_warming(ev: dict[str, Any]) -> str:
    hours = ev["first_touch_hours"]
    return (
        f"Your first touch on a handed-over lead comes a median {_num(hours['rep']['median'])} h "
        f"after hand-over, against {_num(hours['top']['median'])} h for {ev['benchmark']}: "
        "what stops you from calling new leads the same day?"
    )


def _marketing_alignment(ev: dict[str, Any]) -> str:
    rejected = ev["rejected_share"]
    return (
        f"You rejected {_pct(rejected['rep'])} of handed-over leads ({_pct(rejected['top'])} "
        f"for {ev['benchmark']}) and left {_pct(ev['untouched_share']['rep'])} untouched: "
        "which leads do you turn down, and what would make them worth working?"
    )


def _lead_criteria(ev: dict[str, Any]) -> str:
    share = ev["off_profile_deal_share"]
    what = "deals"
    if share.get("rep") is None:
        share, what = ev["off_profile_lead_share"], "leads"
    return (
        f"{_pct(share['rep'])} of your new {what} are outside the ideal customer profile "
        f"({_pct(share['top'])} for {ev['benchmark']}): how do you decide which prospects to "
        "pursue?"
    )


def _follow_up(ev: dict[str, Any]) -> str:
    return (
        f"{ev['overdue']} of your {ev['owed']} follow-ups and tasks due lately are still not "
        f"done ({_pct(ev['overdue_share'])}, peers {_pct(ev['peer_overdue_share'])}) and "
        f"{ev['gone_dark_deals']} open deals have gone dark: what is your follow-up process "
        "after a first meeting?"
    )


def _coaching(ev: dict[str, Any]) -> str:
    weeks = ev["weeks_since_one_on_one"]
    last = (
        "You have no one-on-one on record"
        if weeks is None
        else (f"Your last one-on-one was {_num(weeks)} weeks ago")
    )
    return (
        f"{last} and you were shadowed {ev['shadows_last_12_months']} times in 12 months: "
        "what support would help you most over the next month?"
    )


def _stage_leakage(ev: dict[str, Any]) -> str:
    return (
        f"At {ev['stage']} you move {_pct(ev['rep_rate'])} of deals on to {ev['next_stage']} "
        f"against {_pct(ev['peer_rate'])} for peers: what happens to the deals that stall there?"
    )


def _activity_drop(ev: dict[str, Any]) -> str:
    metric, numbers = next(
        (key.removesuffix("_per_week"), value)
        for key, value in ev.items()
        if key.endswith("_per_week") and isinstance(value, dict)
    )
    return (
        f"Your {metric.replace('_', ' ')} fell to {_num(numbers['rep'])} in the last 7 days "
        f"against a usual {_num(numbers['usual'])} a week: what changed, and what will refill "
        "your pipeline?"
    )


def _product_mix(ev: dict[str, Any]) -> str:
    loss = ev["loss_leader_share_of_new_deals"]
    return (
        f"{_pct(loss['rep'])} of your new deals are loss leaders against {_pct(loss['peers'])} "
        "for peers: how do you choose which products to lead with?"
    )


def _target_setting(ev: dict[str, Any]) -> str:
    target = ev["bookings_target"]
    return (
        f"Your target of {_num(target['rep'])} is well above the {_num(target['usual'])} you "
        "usually sell in a period: what would it take to get there, and what do you need from "
        "me?"
    )


QUESTION_TEMPLATES: dict[Cause, Callable[[dict[str, Any]], str]] = {
    "lead_warming": _lead_warming,
    "marketing_alignment": _marketing_alignment,
    "lead_criteria": _lead_criteria,
    "follow_up": _follow_up,
    "coaching": _coaching,
    "stage_leakage": _stage_leakage,
    "activity_drop": _activity_drop,
    "product_mix": _product_mix,
    "target_setting": _target_setting,
}
"""One question per cause, filled in from a rep finding's evidence."""


def finding_question(finding: Finding) -> str:
    """The cause's question with the finding's numbers; the detector's own first question when
    the evidence lacks a number the template needs (e.g. a team finding)."""
    try:
        return QUESTION_TEMPLATES[finding.cause](finding.evidence)
    except (KeyError, TypeError, ValueError, StopIteration):
        return finding.questions[0] if finding.questions else finding.explanation


@dataclass(frozen=True)
class GoalProgress:
    """How far a goal from the app database is, against the share of its period gone by."""

    goal_id: int
    rep_id: str
    metric: str
    target: float
    description: str
    period_start: date
    period_end: date
    actual: float
    expected: float
    """target × the share of the period's days up to as_of."""

    @property
    def pace_ratio(self) -> float | None:
        """actual ÷ expected (None before the period starts)."""
        return self.actual / self.expected if self.expected > 0 else None

    @property
    def achieved(self) -> bool:
        """Whether the target is reached."""
        return self.actual >= self.target

    def behind(self, ratio: float) -> bool:
        """Whether done so far is below `ratio` of what was expected by now."""
        pace = self.pace_ratio
        return pace is not None and pace < ratio and not self.achieved

    def label(self) -> str:
        """'20 meetings by 2026-12-31' (the description when there is one)."""
        return self.description or (
            f"{self.target:,.0f} {self.metric.replace('_', ' ')} by {self.period_end}"
        )


def expected_share(start: date, end: date, as_of: date) -> float:
    """Share of the days from `start` to `end` (inclusive) up to `as_of` (inclusive)."""
    total = (end - start).days + 1
    done = (min(as_of, end) - start).days + 1
    return min(max(done / total, 0.0), 1.0) if total > 0 else 1.0


def goal_progress(
    backend: Store, goals: Sequence[Goal], as_of: date, zone: str = "UTC"
) -> list[GoalProgress]:
    """Each goal's actual to `as_of` from the store's facts; goals whose metric Attain cannot
    count (see attain.metrics.smart) are left out."""
    found = []
    for goal in goals:
        if not is_countable(goal.metric) or goal.period_start > as_of:
            continue
        last = min(goal.period_end, as_of)
        daily = daily_actuals(backend, goal.metric, goal.period_start, last, zone)
        actual = float(daily.loc[daily["rep_id"].astype(str) == goal.rep_id, "value"].sum())
        found.append(
            GoalProgress(
                goal_id=goal.id,
                rep_id=goal.rep_id,
                metric=goal.metric,
                target=goal.target,
                description=goal.description,
                period_start=goal.period_start,
                period_end=goal.period_end,
                actual=actual,
                expected=goal.target * expected_share(goal.period_start, goal.period_end, as_of),
            )
        )
    return found


def current_goals(
    session: Session, as_of: date, rep_ids: Sequence[str] | None = None, recent_days: int = 0
) -> list[Goal]:
    """Goals whose period contains `as_of` (or ended within `recent_days` before it)."""
    query = select(Goal).where(
        Goal.period_start <= as_of,
        Goal.period_end >= as_of - timedelta(days=recent_days),
    )
    if rep_ids is not None:
        query = query.where(Goal.rep_id.in_(sorted(rep_ids)))
    return list(session.scalars(query.order_by(Goal.rep_id, Goal.id)))


@dataclass(frozen=True)
class AgendaItem:
    """One question on the agenda, why it is there and how it ranks."""

    question: str
    kind: ItemKind
    tier: int
    """1 (most important) to 6; see the module's docstring."""
    weight: float
    """Order within the tier: bookings at stake, days overdue or shortfall share."""
    cause: Cause | None = None
    source: str = ""
    """Where it came from: 'finding:follow_up', 'action:12', 'goal:3', 'pacing', 'standing'."""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Agenda:
    """The questions for one rep's next one-on-one, most important first."""

    rep_id: str
    as_of: date
    items: list[AgendaItem]
    team_voice: list[str] = field(default_factory=list)
    """What the rep's team said in its shown pulse surveys lately (`surveys.team_voice`):
    context for the manager, never one rep's answer."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "rep_id": self.rep_id,
            "as_of": self.as_of.isoformat(),
            "items": [asdict(item) for item in self.items],
            "team_voice": list(self.team_voice),
        }


def build_agenda(
    rep_id: str,
    as_of: date,
    findings: Sequence[Finding],
    actions: Sequence[ActionItem] = (),
    goals: Sequence[GoalProgress] = (),
    settings: WorkflowSettings | None = None,
    pacing: PacingRow | None = None,
    team_voice: Sequence[str] = (),
) -> Agenda:
    """The agenda from the rep's findings, overdue actions and goals behind pace, with the
    team's pulse-survey themes beside it (pure)."""
    settings = settings or WorkflowSettings()
    items = [
        *_finding_items(rep_id, findings),
        *_overdue_action_items(rep_id, as_of, actions),
        *_goal_items(rep_id, goals, settings),
    ]
    if pacing is not None and pacing.id == rep_id and pacing.status in ("behind", "at_risk"):
        items.append(_pacing_item(pacing))
    items.sort(key=lambda item: (item.tier, -item.weight))
    items = items[: settings.agenda_max_questions]
    for question in STANDING_QUESTIONS:
        if len(items) >= min(settings.agenda_min_questions, settings.agenda_max_questions):
            break
        items.append(AgendaItem(question, "standing", TIER_STANDING, 0.0, source="standing"))
    return Agenda(rep_id=rep_id, as_of=as_of, items=items, team_voice=list(team_voice))


def _finding_items(rep_id: str, findings: Sequence[Finding]) -> list[AgendaItem]:
    """One question per finding about the rep, tiered by severity, weighted by its stake."""
    return [
        AgendaItem(
            question=finding_question(finding),
            kind="finding",
            tier=_FINDING_TIERS[finding.severity],
            weight=finding.bookings_at_stake,
            cause=finding.cause,
            source=f"finding:{finding.cause}",
            evidence={
                "severity": finding.severity,
                "bookings_at_stake": finding.bookings_at_stake,
            },
        )
        for finding in findings
        if finding.scope == "rep" and finding.id == rep_id
    ]


def _overdue_action_items(
    rep_id: str, as_of: date, actions: Sequence[ActionItem]
) -> list[AgendaItem]:
    """One question per overdue action agreed with the rep, the longest overdue weighing most."""
    items = []
    for action in actions:
        if action.rep_id != rep_id or not is_overdue(action, as_of):
            continue
        late = days_overdue(action, as_of)
        items.append(
            AgendaItem(
                question=f"We agreed '{action.title}' ({action.owner}) by {action.due_date}, "
                f"{late} days ago: where does it stand, and what is in the way?",
                kind="overdue_action",
                tier=TIER_OVERDUE_ACTION,
                weight=float(late),
                source=f"action:{action.id}",
                evidence={"due_date": str(action.due_date), "days_overdue": late},
            )
        )
    return items


def _goal_items(
    rep_id: str, goals: Sequence[GoalProgress], settings: WorkflowSettings
) -> list[AgendaItem]:
    """One question per goal of the rep behind pace, the furthest behind weighing most."""
    items = []
    for goal in goals:
        if goal.rep_id != rep_id or not goal.behind(settings.goal_behind_ratio):
            continue
        pace = goal.pace_ratio or 0.0
        items.append(
            AgendaItem(
                question=f"Your goal '{goal.label()}' stands at {goal.actual:,.0f} of "
                f"{goal.target:,.0f}, {pace:.0%} of where it should be by now: what will you "
                "do differently before it ends?",
                kind="goal",
                tier=TIER_GOAL,
                weight=1.0 - pace,
                source=f"goal:{goal.goal_id}",
                evidence={"actual": goal.actual, "expected": goal.expected, "target": goal.target},
            )
        )
    return items


def _pacing_item(pacing: PacingRow) -> AgendaItem:
    """The quarter's bookings pace, asked like a goal behind pace (same tier)."""
    pace = pacing.pace_ratio or 0.0
    return AgendaItem(
        question=f"You have {pacing.actual_to_date:,.0f} of the {pacing.target:,.0f} "
        f"{pacing.metric} target, {pace:.0%} of the pace needed by now, and "
        f"{pacing.remaining_target:,.0f} to go in {pacing.business_days_left} business "
        "days: which deals will close the gap?",
        kind="pacing",
        tier=TIER_GOAL,
        weight=1.0 - pace,
        source="pacing",
        evidence={"status": pacing.status, "pace_ratio": pacing.pace_ratio},
    )


def rep_agenda(
    session: Session,
    backend: Store,
    rep_id: str,
    as_of: date,
    findings: Sequence[Finding],
    *,
    settings: WorkflowSettings | None = None,
    zone: str = "UTC",
    pacing: PacingRow | None = None,
    scope: Visibility | None = None,
    team_id: str | None = None,
) -> Agenda:
    """The agenda with the rep's open actions and current goals read from the app database,
    and the themes of `team_id`'s pulse surveys (NotFound for a rep outside the scope)."""
    check_rep(scope, rep_id)
    actions = list_actions(session, rep_id=rep_id, status=ActionStatus.OPEN)
    goals = goal_progress(backend, current_goals(session, as_of, [rep_id]), as_of, zone)
    voice = team_voice(session, team_id, as_of, settings) if team_id else []
    return build_agenda(rep_id, as_of, findings, actions, goals, settings, pacing, voice)
