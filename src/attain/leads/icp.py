"""The ideal customer profile: rules on industry, company size, country, title and source.

Defined in the `[icp]` table of attain.toml; an empty profile means "not defined", and every
analysis that needs one says so instead of guessing. Each rule is one dimension; the fit score
weighs the dimensions by `weights`.
"""

from __future__ import annotations

from typing import Any

import ibis
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


def rule_checks(table: Any, icp: IcpSettings) -> dict[str, Any]:
    """Ibis booleans per rule dimension the table can be checked on: True met, False failed,
    NULL when the row's column is empty (unknown, so it counts neither way).
    """
    columns = set(table.columns)
    checks: dict[str, Any] = {}
    if icp.industries and "industry" in columns:
        checks["industry"] = _known(table.industry, table.industry.isin(icp.industries))
    if "employees" in columns and (icp.min_employees is not None or icp.max_employees is not None):
        size = ibis.literal(True)
        if icp.min_employees is not None:
            size &= table.employees >= icp.min_employees
        if icp.max_employees is not None:
            size &= table.employees <= icp.max_employees
        checks["employees"] = _known(table.employees, size)
    if icp.countries and "country" in columns:
        checks["country"] = _known(table.country, table.country.isin(icp.countries))
    if icp.titles and "title" in columns:
        matches = ibis.literal(False)
        for word in icp.titles:
            matches |= table.title.lower().contains(word.lower())
        checks["title"] = _known(table.title, matches)
    if icp.sources and "source" in columns:
        checks["source"] = _known(table.source, table.source.isin(icp.sources))
    return checks


def in_profile(table: Any, icp: IcpSettings) -> Any:
    """Ibis boolean: the row (lead or account columns industry, employees, country, title,
    source) fits.

    A rule whose column is empty on a row does not count against it; columns the table lacks
    are ignored.
    """
    condition = ibis.literal(True)
    for check in rule_checks(table, icp).values():
        condition &= check.fill_null(True)
    return condition


def _known(column: Any, met: Any) -> Any:
    return ibis.ifelse(column.isnull(), ibis.null(), met)
