"""Settings of the lead analyses: the ideal customer profile, `[icp]` in attain.toml or
ATTAIN_ICP__<NAME> (attain.leads.icp checks leads and accounts against it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

DIMENSIONS = ("industry", "employees", "country", "title", "source")
"""The rule dimensions, in the order they are reported; `employees` covers both size bounds."""


class IcpSettings(BaseModel):
    """Which leads and accounts are in profile; an empty list or bound places no limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    industries: tuple[str, ...] = Field((), description="Industries in profile (exact names).")
    min_employees: int | None = Field(None, description="Smallest company size in profile.")
    max_employees: int | None = Field(None, description="Largest company size in profile.")
    countries: tuple[str, ...] = Field((), description="Countries in profile (as in the data).")
    titles: tuple[str, ...] = Field(
        (), description="Words that mark an in-profile job title (case-insensitive)."
    )
    sources: tuple[str, ...] = Field(
        (), description="Lead sources in profile (exact names, e.g. referral)."
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weight of each rule dimension (industry, employees, country, title, "
        "source) in the fit score; a dimension not named weighs 1.",
    )

    @field_validator("weights")
    @classmethod
    def _known_dimensions(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(DIMENSIONS))
        if unknown:
            raise ValueError(f"unknown ICP dimension {unknown}; use {', '.join(DIMENSIONS)}")
        if any(weight < 0 for weight in weights.values()):
            raise ValueError("ICP weights must be zero or more")
        return weights

    @property
    def defined(self) -> bool:
        """Whether any rule is set."""
        return bool(self.rules())

    def rules(self) -> tuple[str, ...]:
        """The dimensions that have a rule, in `DIMENSIONS` order."""
        used = {
            "industry": bool(self.industries),
            "employees": self.min_employees is not None or self.max_employees is not None,
            "country": bool(self.countries),
            "title": bool(self.titles),
            "source": bool(self.sources),
        }
        return tuple(name for name in DIMENSIONS if used[name])

    def weight(self, dimension: str) -> float:
        """The weight of one dimension in the fit score (1 unless set)."""
        return self.weights.get(dimension, 1.0)
