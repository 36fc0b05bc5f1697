"""The ideal customer profile: rules on industry, company size, country, title and source.

Defined in the `[icp]` table of attain.toml; an empty profile means "not defined", and every
analysis that needs one says so instead of guessing. Each rule is one dimension; the fit score
weighs the dimensions by `weights`.
"""

from __future__ import annotations

from typing import Any

import ibis

from attain.leads.settings import DIMENSIONS as DIMENSIONS
from attain.leads.settings import IcpSettings as IcpSettings


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
