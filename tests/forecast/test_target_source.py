"""The forecast says why it gives no chance of hitting target: no quotas at all, or quotas
only for other periods (monthly quotas against a quarter), never "no quotas" for the latter;
and a quarter whose months all carry quotas gets their sum as its target."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from attain.forecast.forecast import (
    OTHER_PERIODS,
    SUMMED_PERIODS,
    bookings_targets,
    target_source_of,
)
from attain.metrics.periods import Period


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


def _monthly(con: duckdb.DuckDBPyConnection, rep: str, months: list[tuple[str, str]]) -> None:
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date) "
        f"VALUES ('{rep}', '{rep}', 'T', 'rep', DATE '2024-01-01')"
    )
    for first, last in months:
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target) "
            f"VALUES ('{rep}', DATE '{first}', DATE '{last}', 'bookings', 10000)"
        )


def test_a_quarter_of_monthly_quotas_is_their_sum(
    store: Any, con: duckdb.DuckDBPyConnection
) -> None:
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T', 'Team')")
    oct_, nov, dec = (
        ("2026-10-01", "2026-10-31"),
        ("2026-11-01", "2026-11-30"),
        ("2026-12-01", "2026-12-31"),
    )
    _monthly(con, "FULL", [oct_, nov, dec])
    _monthly(con, "TWO", [oct_, nov])
    _monthly(con, "OVERLAP", [oct_, ("2026-10-15", "2026-11-30"), dec])
    quarter = Period(date(2026, 10, 1), date(2026, 12, 31))
    assert bookings_targets(store, quarter) == {"FULL": 30000.0}
    source = target_source_of(store, "quotas", quarter)
    assert source.startswith(SUMMED_PERIODS)
    assert "1 rep(s)' are the sums of their quotas" in source and "2 rep(s) without one" in source
