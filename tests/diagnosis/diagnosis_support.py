"""A small selling team for the detector tests: R1 (the rep under test) and four peers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attain.store import connect, raw_duckdb

PEERS = ("R2", "R3", "R4", "R5")


def five_sellers(folder: Path) -> Any:
    """A store holding team T1 with R1 and the peers, each with a Q1 2025 bookings quota of
    100,000, plus one rep who left in 2023 (so the roster has an end date)."""
    backend = connect(str(folder / "store.duckdb"))
    con = raw_duckdb(backend)
    con.execute("INSERT INTO teams (team_id, name) VALUES ('T1', 'East')")
    con.execute(
        "INSERT INTO reps (rep_id, name, team_id, role, hire_date, end_date) "
        "VALUES ('X1', 'Left in 2023', 'T1', 'rep', '2020-01-01', '2023-06-30')"
    )
    for rep_id in ("R1", *PEERS):
        con.execute(
            "INSERT INTO reps (rep_id, name, team_id, role, hire_date) "
            "VALUES (?, ?, 'T1', 'rep', '2020-01-01')",
            [rep_id, rep_id],
        )
        con.execute(
            "INSERT INTO quotas (rep_id, period_start, period_end, metric, target, set_at) "
            "VALUES (?, '2025-01-01', '2025-03-31', 'bookings', 100000, NULL)",
            [rep_id],
        )
    return backend
