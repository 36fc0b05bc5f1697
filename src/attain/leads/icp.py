"""The ideal customer profile: rules on industry, company size, country and title.

Defined in the `[icp]` table of attain.toml; an empty profile means "not defined", and every
analysis that needs one says so instead of guessing.
"""

from __future__ import annotations

from typing import Any

import ibis
from pydantic import BaseModel, ConfigDict, Field


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

    @property
    def defined(self) -> bool:
        """Whether any rule is set."""
        return bool(
            self.industries
            or self.countries
            or self.titles
            or self.min_employees is not None
            or self.max_employees is not None
        )


def in_profile(table: Any, icp: IcpSettings) -> Any:
    """Ibis boolean: the row (lead or account columns industry, employees, country, title) fits.

    A rule whose column is empty on a row does not count against it; columns the table lacks
    are ignored.
    """
    columns = set(table.columns)
    condition = ibis.literal(True)
    if icp.industries and "industry" in columns:
        condition &= table.industry.isnull() | table.industry.isin(icp.industries)
    if "employees" in columns:
        if icp.min_employees is not None:
            condition &= table.employees.isnull() | (table.employees >= icp.min_employees)
        if icp.max_employees is not None:
            condition &= table.employees.isnull() | (table.employees <= icp.max_employees)
    if icp.countries and "country" in columns:
        condition &= table.country.isnull() | table.country.isin(icp.countries)
    if icp.titles and "title" in columns:
        words = [word.lower() for word in icp.titles]
        matches = ibis.literal(False)
        for word in words:
            matches |= table.title.lower().contains(word)
        condition &= table.title.isnull() | matches
    return condition
