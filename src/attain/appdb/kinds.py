"""The kinds of the app database's records (roles, coaching kinds, skills, channels...): plain
enums, apart from the SQLAlchemy models that store them, so the command line can offer them as
choices without loading SQLAlchemy (`attain --help` starts in a fraction of a second)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may see and do: admins manage users, managers their teams' reps."""

    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    MARKETING = "marketing"


class CoachingKind(StrEnum):
    """How a coaching session was held."""

    ONE_ON_ONE = "one_on_one"
    SHADOWING = "shadowing"
    TRAINING = "training"
    PROGRAM_CHECK_IN = "program_check_in"
    PAIRING = "pairing"
    """Two reps working together so one learns from the other (`Pairing`), not shadowing."""


class ActionStatus(StrEnum):
    """Where an action item stands."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class OverrideKind(StrEnum):
    """Which computed value a person overrode; `target_id` says for what."""

    STAGE_PROBABILITY = "stage_probability"
    """`target_id` is a stage name; `value` the win probability, e.g. "0.35"."""
    LEAD_GRADE = "lead_grade"
    """`target_id` is a lead id; `value` the grade A–D."""
    FORECAST_CATEGORY = "forecast_category"
    """`target_id` is an opportunity id; `value` e.g. "commit", "best_case", "omitted"."""


class Skill(StrEnum):
    """A selling skill of the skills matrix, scored 1 (weak) to 5 (strong) by managers."""

    PRODUCT_KNOWLEDGE = "product_knowledge"
    PROSPECTING = "prospecting"
    DISCOVERY = "discovery"
    OBJECTION_HANDLING = "objection_handling"
    NEGOTIATION = "negotiation"
    CLOSING = "closing"
    CRM_USE = "crm_use"


SKILLS: tuple[Skill, ...] = tuple(Skill)
"""Every skill of the matrix, in the order its columns are shown."""


class Channel(StrEnum):
    """Where a digest or alert goes."""

    EMAIL = "email"
    SLACK = "slack"
    """A Slack incoming webhook (JSON `text` and `blocks`)."""
    TEAMS = "teams"
    """A Microsoft Teams Workflows webhook (an Adaptive Card); Office 365 connectors retire."""


class AlertKind(StrEnum):
    """A change in the data that someone should hear about once."""

    AT_RISK = "at_risk"
    """A rep's pace turned at risk this period."""
    ACTIVITY_DROP = "activity_drop"
    """A rep's leading activity fell well below their usual week (an early warning starts)."""
    DEAL_SLIPPED = "deal_slipped"
    """A deal above the chosen size moved its expected close into a later period."""
    DEAL_LOST = "deal_lost"
    """A deal above the chosen size was lost."""
    LEAD_WAITING = "lead_waiting"
    """A marketing-qualified lead waits for its first sales touch past the response target."""
    QUOTA_RAISED_TWICE = "quota_raised_twice"
    """A rep's quota for a period was raised a second time."""
