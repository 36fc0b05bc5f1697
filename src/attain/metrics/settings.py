"""Named thresholds of the performance report; each has a default that works on real data.

They live under `[performance]` in attain.toml (or ATTAIN_PERFORMANCE__<NAME> variables).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from attain.metrics.periods import FiscalCalendar, QuarterPattern


class CalendarSettings(BaseModel):
    """The company's fiscal calendar: `[calendar]` in attain.toml (docs/calendars.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_month: int = Field(
        1, ge=1, le=12, description="The fiscal year's first month (1: the calendar year)."
    )
    pattern: QuarterPattern = Field(
        "months",
        description="Quarters of three months from start_month, or of 13 weeks: 4-4-5, "
        "4-5-4 or 5-4-4 (52/53-week years).",
    )
    week_start: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field("monday", description="The first day of a week.")
    year_end: Literal["last", "nearest"] = Field(
        "last",
        description="Week-based years end on the last week-end day of the month before "
        "start_month, or on the one nearest that month's end (the 53rd-week rule).",
    )

    business_hours: tuple[int, int] | None = Field(
        None,
        description="Working hours, e.g. [9, 17]: response times then count only these hours "
        "of business days in each rep's own time zone (reps.time_zone, else [performance] "
        "timezone); empty: every hour counts.",
    )

    def fiscal(self) -> FiscalCalendar:
        """The calendar these settings describe."""
        return FiscalCalendar(
            self.start_month, self.pattern, self.week_start, self.year_end, self.business_hours
        )


class PerformanceSettings(BaseModel):
    """Thresholds for pacing, coverage, classification, goal checks, ratcheting and warnings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field("UTC", description="Organisation time zone: which day a timestamp is.")
    holiday_country: str | None = Field(
        None, description="ISO country code whose public holidays are not business days."
    )
    extra_holidays: tuple[date, ...] = Field((), description="Company holidays.")
    region_holidays: dict[str, str] = Field(
        default_factory=dict,
        description="A team region (teams.region) and the ISO country whose public holidays "
        'its reps do not work, e.g. {"EMEA" = "GB", "APAC" = "SG"}; other teams keep '
        "holiday_country.",
    )
    seasonal_pacing: bool = Field(
        False,
        description="Shape weekly targets by the organisation's own within-period history "
        "instead of spreading them evenly over business days.",
    )

    ahead_ratio: float = Field(1.05, description="Actual ÷ expected-to-date at or above: ahead.")
    on_pace_ratio: float = Field(0.95, description="At or above (below ahead): on pace.")
    behind_ratio: float = Field(
        0.80, description="At or above (below on pace): behind; below it: at risk."
    )

    healthy_coverage: float = Field(
        3.0, description="Open pipeline closing in period ÷ remaining target considered healthy."
    )

    classification_periods: int = Field(4, description="Completed periods looked back on.")
    surpass_ratio: float = Field(
        1.10,
        description="Attainment at or above this surpasses goal (top performers do it "
        "consistently); hitting goal is attainment at or above 1.",
    )
    top_share: float = Field(
        0.75, description="Share of periods surpassing goal that makes a top performer."
    )
    performer_share: float = Field(
        0.60, description="Share of periods at or above target that makes a performer."
    )
    min_full_periods: int = Field(
        2, description="Fewer completed periods than this: the rep is classified as new."
    )
    trend_threshold: float = Field(
        0.05, description="Attainment change per period (0.05 = 5 points) that counts as a trend."
    )

    achievable_percentile: float = Field(
        0.90,
        description="A target needing more growth than this percentile of growth that reps "
        "actually achieved fails the Achievable check.",
    )
    priority_metrics: tuple[str, ...] = Field(
        ("bookings", "new_logos", "pipeline_created", "opportunities_created", "meetings"),
        description="Metrics tied to company priorities (the Relevant check).",
    )

    max_raises_per_period: int = Field(
        1, description="More target raises than this inside one period is ratcheting."
    )
    ramp_days: int = Field(
        182, description="A new hire's targets rise by design in this many days; not ratcheting."
    )
    raise_after_hit: float = Field(
        0.20, description="A raise of at least this share right after a hit period is ratcheting."
    )
    team_growth_gap: float = Field(
        0.10,
        description="Team target growth exceeding attainment growth by this much is flagged.",
    )

    warning_ratio: float = Field(
        0.5, description="A leading activity this week below this share of the rep's median."
    )
    warning_weeks: int = Field(8, description="Trailing weeks whose median is the benchmark.")
    warning_chance: float = Field(
        1e-4,
        description="Warn only if a drop that deep would happen by chance (Poisson, at the "
        "rep's usual volume) less often than this: small counts dip often.",
    )
    leading_metrics: tuple[str, ...] = Field(
        ("meetings", "opportunities_created", "calls"),
        description="Leading activities watched for early warnings.",
    )
