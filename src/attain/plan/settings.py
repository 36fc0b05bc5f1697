"""Settings of the activity plan: `[plan]` in attain.toml or ATTAIN_PLAN__<NAME>."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PlanSettings(BaseModel):
    """How much history the plan's rates come from and when a rep's own sample is too small."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    history_quarters: int = Field(
        4, ge=1, description="Completed calendar quarters before the current one the rates use."
    )
    min_closed_deals: int = Field(
        10,
        ge=1,
        description="Closed deals in the history a rep needs for their own rates; with fewer "
        "the rep is thin and the team's rates are used (the company's for a thin team).",
    )
    min_stage_deals: int = Field(
        5,
        ge=1,
        description="Deals that entered a stage (and closed) for the rep's conversion there to "
        "be compared with the team's when looking for the leakiest stage.",
    )
    recent_days: int = Field(
        14, ge=7, description="Days before the as-of date whose activity is shown as recent."
    )
    percentile: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Quantile of the rep's past weeks that required activity is compared with.",
    )
