"""Thresholds of the diagnosis: the look-back window, rollups, and each detector's own.

They live under `[diagnosis]` in attain.toml, one sub-table per cause (e.g.
`[diagnosis.follow_up]`), or as ATTAIN_DIAGNOSIS__<CAUSE>__<NAME> variables.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from attain.diagnosis.activity_drop import Thresholds as ActivityDrop
from attain.diagnosis.coaching import Thresholds as Coaching
from attain.diagnosis.context import WINDOW_DAYS
from attain.diagnosis.follow_up import Thresholds as FollowUp
from attain.diagnosis.lead_criteria import Thresholds as LeadCriteria
from attain.diagnosis.lead_warming import Thresholds as LeadWarming
from attain.diagnosis.marketing_alignment import Thresholds as MarketingAlignment
from attain.diagnosis.product_mix import Thresholds as ProductMix
from attain.diagnosis.stage_leakage import Thresholds as StageLeakage
from attain.diagnosis.target_setting import Thresholds as TargetSetting


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
    lead_warming: LeadWarming = Field(default_factory=LeadWarming)
    marketing_alignment: MarketingAlignment = Field(default_factory=MarketingAlignment)
    lead_criteria: LeadCriteria = Field(default_factory=LeadCriteria)
    follow_up: FollowUp = Field(default_factory=FollowUp)
    coaching: Coaching = Field(default_factory=Coaching)
    stage_leakage: StageLeakage = Field(default_factory=StageLeakage)
    activity_drop: ActivityDrop = Field(default_factory=ActivityDrop)
    product_mix: ProductMix = Field(default_factory=ProductMix)
    target_setting: TargetSetting = Field(default_factory=TargetSetting)
