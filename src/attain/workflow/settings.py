"""Settings of the management workflow: `[workflow]` in attain.toml or ATTAIN_WORKFLOW__<NAME>."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class WorkflowSettings(BaseModel):
    """Coaching cadence and coverage, agenda length and digest windows, program verdicts,
    skills, training and ramp thresholds, and the compensation plan the web app pays by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    one_on_one_cadence_days: int = Field(
        14, ge=1, description="Days between one-on-ones each rep should have."
    )
    one_on_one_grace_days: int = Field(
        7,
        ge=0,
        description="Days past the cadence before a rep counts as overdue for a one-on-one "
        "(one skipped meeting is not yet a gap).",
    )
    shadowing_per_year: int = Field(
        2,
        ge=0,
        description="Shadowing sessions (ride-alongs) each rep should have in a rolling 12 months.",
    )
    coaching_window_days: int = Field(
        90, ge=7, description="Days of coaching minutes compared with each rep's need."
    )
    new_hire_days: int = Field(
        180, ge=0, description="A rep hired fewer than this many days ago is a new hire."
    )
    under_performer_weight: float = Field(
        2.0, ge=0, description="Need weight of an under-performer (everyone else 1)."
    )
    new_hire_weight: float = Field(
        2.0, ge=0, description="Need weight of a new hire (the larger weight wins for both)."
    )
    min_need_share: float = Field(
        0.5,
        ge=0,
        description="A rep whose coaching minutes are below this share of their need-weighted "
        "fair share of all minutes is under-coached.",
    )
    agenda_min_questions: int = Field(
        3, ge=1, description="Fewest questions on a one-on-one agenda (standing ones fill up)."
    )
    agenda_max_questions: int = Field(6, ge=1, description="Most questions on an agenda.")
    goal_behind_ratio: float = Field(
        0.9,
        gt=0,
        description="A goal is behind pace when done so far ÷ expected by now is below this.",
    )
    digest_days: int = Field(7, ge=1, description="Days a digest looks back for wins.")
    leaderboard_size: int = Field(10, ge=1, description="Reps shown on a digest's leaderboard.")
    program_max_p_value: float = Field(
        0.05,
        gt=0,
        le=1,
        description="A program's metric improved or got worse only when a two-sided "
        "Mann–Whitney U test of its weekly values before and during the program gives a "
        "p-value below this.",
    )
    training_max_score: int = Field(
        3,
        ge=1,
        le=5,
        description="Skills scored at or below this get a recommended training.",
    )
    training_max_skills: int = Field(
        2, ge=1, description="Most skills a rep is recommended training for, weakest first."
    )
    ramp_months: int = Field(12, ge=1, description="Months since hire a ramp curve shows.")
    ramp_min_cohort: int = Field(
        3,
        ge=1,
        description="Fewest reps hired in the same quarter that make a cohort; smaller "
        "cohorts are compared with every rep.",
    )
    ramp_behind_ratio: float = Field(
        0.8,
        gt=0,
        description="A rep is behind when their bookings since hire are below this share of "
        "the cohort median at the same month.",
    )
    survey_min_answers: int = Field(
        5,
        ge=2,
        description="Fewest answers a pulse survey (or a week of coaching feedback) needs "
        "before its results and week-to-week changes are shown; below it they stay hidden, "
        "so no answer can be traced to a rep.",
    )
    survey_min_mentions: int = Field(
        2,
        ge=2,
        description="A word counts as one of the team's themes when at least this many "
        "answers of a shown survey use it (one answer's words alone are never shown).",
    )
    pairing_min_deals: int = Field(
        15,
        ge=1,
        description="Deals that entered and left a funnel stage in the window for a rep to be "
        "suggested as a peer strong at that stage.",
    )
    pairing_weeks: int = Field(
        4,
        ge=1,
        description="Weeks after a pairing session over which the learner's numbers are "
        "compared with as many weeks before it (the intensive programs' test).",
    )
    comp_plan: Path | None = Field(
        None,
        description="The compensation plan (a TOML file, as for `attain comp payout --plan`) "
        "whose payouts the web app shows; none: the compensation page says to set it.",
    )
