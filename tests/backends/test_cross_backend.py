"""DuckDB, PostgreSQL and Spark give the same imports, reports, diagnoses and forecast inputs.

Select one backend with `-m postgres` or `-m spark`; both run in `make test`.
"""

from __future__ import annotations

from typing import Any

import pytest
from backend_support import differences

BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=pytest.mark.spark),
]
SECTIONS = [
    "imports",
    "inventory",
    "report",
    "diagnosis",
    "channels",
    "forecast_deals",
    "forecast_stages",
    "forecast_teams",
    "forecast_targets",
]


def test_the_duckdb_reference_has_something_to_compare(duckdb_results: dict[str, Any]) -> None:
    report, diagnosis = duckdb_results["report"], duckdb_results["diagnosis"]
    assert report["attainment"]["rows"] and report["pacing"] and report["classification"]
    assert diagnosis["findings"]
    assert duckdb_results["channels"]["sources"]
    assert duckdb_results["forecast_deals"] and duckdb_results["forecast_targets"]


def test_an_update_replaces_one_deal_and_rejects_two_rows(duckdb_results: dict[str, Any]) -> None:
    imports = duckdb_results["imports"]
    (opportunities,) = imports["second"]["tables"]
    assert (opportunities["updated"], opportunities["inserted"]) == (1, 0)
    assert opportunities["rows_rejected"] == 2
    assert imports["first_has_no_rejects"]
    assert "nothing was loaded (--strict)" in imports["strict"]
    assert duckdb_results["inventory"][-1] == 2  # the strict import left no trace


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_duckdbs_results(
    backend: str, section: str, request: pytest.FixtureRequest, duckdb_results: dict[str, Any]
) -> None:
    results = request.getfixturevalue(f"{backend}_results")
    assert differences(duckdb_results[section], results[section]) == []
