"""The forecast says why it gives no chance of hitting target: no quotas at all, or quotas
only for other periods (monthly quotas against a quarter), never "no quotas" for the latter."""

from __future__ import annotations

from typing import Any

import duckdb

from attain.forecast.forecast import OTHER_PERIODS, target_source_of


def test_monthly_quotas_are_not_called_no_quotas(
    store: Any, con: duckdb.DuckDBPyConnection
) -> None:
    assert target_source_of(store, "none") == "none"
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T', 'Team')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date) "
        "VALUES ('R1', 'Ana', 'T', 'rep', DATE '2024-01-01')"
    )
    con.execute(
        "INSERT INTO quotas (rep_id, period_start, period_end, metric, target) "
        "VALUES ('R1', DATE '2026-11-01', DATE '2026-11-30', 'bookings', 30000)"
    )
    assert target_source_of(store, "none") == OTHER_PERIODS
    assert target_source_of(store, "quotas") == "quotas"
