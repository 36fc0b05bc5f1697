"""Thresholds of the diagnosis: the look-back window, rollups, and each detector's own.

They live under `[diagnosis]` in attain.toml, one sub-table per cause (e.g.
`[diagnosis.follow_up]`), or as ATTAIN_DIAGNOSIS__<CAUSE>__<NAME> variables.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

WINDOW_DAYS = 182
"""Default look-back of the detectors: about two quarters of recent behaviour."""


class DetectorThresholds(BaseModel):
    """What every detector's thresholds share: frozen, and unknown keys refused (a misspelt
    setting in attain.toml is an error, not a silent default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SampleThresholds(DetectorThresholds):
    """Thresholds of the detectors that compare a rep's shares of leads or deals with a pooled
    benchmark by one-sided tests (lead warming, marketing alignment, lead criteria)."""

    min_leads: int = Field(
        20, description="Leads a rep needs in the window before their shares count."
    )
    min_benchmark: int = Field(
        50,
        description="Leads the top performers need together to be the benchmark; with fewer, "
        "all selling reps are.",
    )
    alpha: float = Field(0.01, description="Significance level of the one-sided tests.")


class SignalsThresholds(SampleThresholds):
    """Sample thresholds of a detector with several signals of one cause.

    A rep is a finding when enough signals agree (each significant at `alpha` with at least
    the detector's minimum gap), or when any one signal is decisive on its own: significant at
    `alpha` ÷ the number of signals (Bonferroni, since the strongest of several is picked) with
    an effect at least `decisive_factor` times the documented minimum gap.
    """

    decisive_factor: float = Field(
        2.0,
        description="One signal alone makes a finding when its effect is at least this many "
        "times the minimum gap and it is significant at alpha ÷ the number of signals.",
    )


class ActivityDropThresholds(DetectorThresholds):
    """How the bookings a drop costs are valued (the drop itself is set in [performance])."""

    min_closed_deals: int = Field(
        10,
        description="Closed deals in the window a rep needs for their own win rate to value "
        "the lost pipeline; with fewer, the company's win rate is used.",
    )


class CoachingThresholds(DetectorThresholds):
    """Which coaching a seller should have had, and how many misses make a finding."""

    one_on_one_weeks: int = Field(
        6, description="A seller should have had a one-on-one within this many weeks of as_of."
    )
    min_shadows: int = Field(
        2, description="Shadow sessions a seller should have had in the 12 months before as_of."
    )
    min_failed_checks: int = Field(
        2,
        description="Checks failed (one-on-one, shadowing, program for an under-performer) "
        "that make a finding; one alone is common on healthy teams.",
    )
    decisive_factor: float = Field(
        2.0,
        description="No one-on-one for this many times one_on_one_weeks is a finding alone, "
        "even when the rep's numbers are fine.",
    )


class FollowUpThresholds(DetectorThresholds):
    """When a rep's overdue follow-ups are far enough above their peers' to be a finding."""

    min_owed: int = Field(
        20, description="Follow-ups and tasks due in the window a rep needs to be judged."
    )
    min_overdue_share: float = Field(
        0.05,
        description="Share of the rep's follow-ups and tasks due in the window and still not "
        "done at as_of, at least.",
    )
    min_ratio: float = Field(
        3.0, description="The rep's overdue share is at least this many times the peers'."
    )
    max_p_value: float = Field(
        0.001,
        description="One-sided Fisher exact test against the peers pooled: an overdue share "
        "this high happens by chance less often than this (strict, since every rep is tested).",
    )
    dark_days: int = Field(
        30, description="An open deal with no activity for this many days has gone dark."
    )
    examples: int = Field(
        5, description="Gone-dark deal ids listed in the evidence, largest first."
    )


class LeadCriteriaThresholds(SampleThresholds):
    """When a rep's leads and deals are too often outside the ideal customer profile."""

    min_leads: int = Field(
        30, description="New leads a rep needs in the window before their share counts."
    )
    min_deals: int = Field(
        15, description="New opportunities a rep needs in the window before their share counts."
    )
    min_benchmark: int = Field(
        50,
        description="New leads the top performers need together to be the benchmark; with "
        "fewer, all selling reps are.",
    )
    min_gap: float = Field(
        0.20,
        description="Rep's off-profile share minus the benchmark's, at or above (leads or deals).",
    )
    profile_min_leads: int = Field(
        50,
        description="Without [icp]: decided leads a segment (an industry, a size band, ...) "
        "needs before the window for its win rate to shape the inferred profile.",
    )
    profile_min_age_days: int = Field(
        90,
        description="Without [icp]: a lead counts as decided for the inferred profile when it "
        "was created at least this many days before the window and holds no open deal then.",
    )


class LeadWarmingThresholds(SignalsThresholds):
    """When a rep's lead handling counts as no lead warming."""

    min_leads: int = Field(
        20, description="Leads a rep needs in the window before their response or shares count."
    )
    min_deals: int = Field(
        10, description="New deals with stage history a rep needs before late entry counts."
    )
    slow_ratio: float = Field(
        3.0, description="Rep's median first-response hours ÷ the benchmark median at or above."
    )
    min_median_hours: float = Field(
        24.0, description="Rep's median first-response hours at or above this to count as slow."
    )
    min_share_gap: float = Field(
        0.15,
        description="Rep's share of cold leads or of late-entry deals minus the benchmark's, "
        "at or above.",
    )
    early_stages: int = Field(
        2,
        description="How many stages open the pipeline (e.g. Prospecting and Qualification), "
        "in the order deals move through them; a deal first recorded in a later stage entered "
        "late.",
    )
    min_signals: int = Field(
        2,
        description="Signals (slow response, cold leads, late entry) that must agree; fewer "
        "when the data has fewer. One decisive signal is enough (see decisive_factor).",
    )


class MarketingAlignmentThresholds(SignalsThresholds):
    """When a rep's handling of handed-over leads counts as misaligned with marketing."""

    min_leads: int = Field(
        20, description="Handed-over leads a rep needs in the window before their shares count."
    )
    min_accepted: int = Field(
        15, description="Accepted leads a rep needs before their acceptance speed counts."
    )
    min_benchmark: int = Field(
        50,
        description="Handed-over leads the top performers need together to be the benchmark; "
        "with fewer, all selling reps are.",
    )
    untouched_days: int = Field(
        14,
        ge=1,
        le=90,
        description="A lead never accepted or rejected and not touched by sales within this "
        "many days of the handoff counts as left untouched; leads handed over in the last "
        "days of the window are not judged.",
    )
    reject_gap: float = Field(
        0.15, description="Rep's rejected share minus the benchmark's, at or above."
    )
    untouched_gap: float = Field(
        0.10, description="Rep's untouched share minus the benchmark's, at or above."
    )
    slow_ratio: float = Field(
        3.0, description="Rep's median MQL → accepted hours ÷ the benchmark median at or above."
    )
    min_median_hours: float = Field(
        48.0, description="Rep's median MQL → accepted hours at or above this to count as slow."
    )
    min_signals: int = Field(
        2,
        description="Signals (rejections, untouched leads, slow acceptance) that must agree; "
        "fewer when the data has fewer. One decisive signal is enough (see decisive_factor).",
    )


class ProductMixThresholds(DetectorThresholds):
    """When a rep's product mix is far enough from their peers' to be a finding."""

    min_deals: int = Field(
        20, description="Deals with a product created in the window a rep needs to be judged."
    )
    min_share_gap: float = Field(
        0.20,
        description="Loss-leader share above the peers' (or priority share below it) by at "
        "least this many points (0.20 = 20 points) of the rep's new deals.",
    )
    max_p_value: float = Field(
        0.001,
        description="Binomial test: a share this far from the peers' happens by chance less "
        "often than this (strict, since every rep is tested).",
    )


class StageLeakageThresholds(DetectorThresholds):
    """How sure the detector must be that a rep leaks deals at a stage."""

    alpha: float = Field(
        0.005,
        description="Significance of both tests for one rep, shared (Bonferroni) among the "
        "stages tested; strict, since every seller is tested.",
    )
    max_relative_rate: float = Field(
        0.75,
        description="Flag only a real drop: the rep converts at most this share of the rate "
        "expected from the peers at the rep's own level.",
    )
    min_deals: int = Field(
        15, description="Deals that entered and left a stage in the window for it to be tested."
    )
    decisive_factor: float = Field(
        2.0,
        description="A stage with fewer than min_deals (at least min_deals ÷ this) is tested "
        "when the drop is this many times the minimum: a rate at most 1 − factor × "
        "(1 − max_relative_rate) of the expected one.",
    )
    min_entry_share: float = Field(
        0.10,
        description="Only deals first recorded at a usual entry stage count: one where at "
        "least this share of all deals start. Deals created further down the funnel "
        "(imports, expansions, late logging) convert differently for reasons of their own.",
    )
    closing_share: float = Field(
        0.5,
        description="A stage where at least this share of the deals now in it are closed is a "
        "closing stage (Closed Won, Closed Lost), not part of the funnel.",
    )
    window_cycles: float = Field(
        2.0,
        description="The window reaches back at least this many of the organisation's own "
        "sales cycles (median days from creation to close of the deals won before as_of) when "
        "that is longer than window_days: a leak shows only in deals that have left the stage, "
        "and with long cycles few have within window_days.",
    )


class TargetSettingThresholds(DetectorThresholds):
    """How the part of a ratcheted target the rep's record does not support is measured."""

    record_periods: int = Field(
        4,
        description="Completed full periods whose bookings show what the rep usually sells "
        "(the benchmark the current target is compared with).",
    )


class DiagnosisSettings(BaseModel):
    """Every threshold of every detector, with defaults that work on the demo and real data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_days: int = Field(WINDOW_DAYS, description="Days of recent behaviour diagnosed.")
    team_share: float = Field(
        0.3, description="Share of a team's sellers with a cause that makes it a team finding."
    )
    company_share: float = Field(
        0.2, description="Share of all sellers with a cause that makes it a company finding."
    )
    lead_warming: LeadWarmingThresholds = Field(default_factory=LeadWarmingThresholds)
    marketing_alignment: MarketingAlignmentThresholds = Field(
        default_factory=MarketingAlignmentThresholds
    )
    lead_criteria: LeadCriteriaThresholds = Field(default_factory=LeadCriteriaThresholds)
    follow_up: FollowUpThresholds = Field(default_factory=FollowUpThresholds)
    coaching: CoachingThresholds = Field(default_factory=CoachingThresholds)
    stage_leakage: StageLeakageThresholds = Field(default_factory=StageLeakageThresholds)
    activity_drop: ActivityDropThresholds = Field(default_factory=ActivityDropThresholds)
    product_mix: ProductMixThresholds = Field(default_factory=ProductMixThresholds)
    target_setting: TargetSettingThresholds = Field(default_factory=TargetSettingThresholds)
