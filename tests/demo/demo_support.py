"""The generated demo organisation as the tests see it: files, truth and a DuckDB connection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from attain.demo import Truth


@dataclass
class Demo:
    """The generated files, their truth and a DuckDB connection with one view per table."""

    path: Path
    truth: Truth
    con: duckdb.DuckDBPyConnection

    @property
    def since(self) -> str:
        """First day the planted causes act."""
        return str(self.truth.parameters["causes_since"])

    @property
    def as_of(self) -> str:
        return self.truth.as_of.isoformat()

    def planted(self, cause: str) -> set[str]:
        return set(self.truth.reps_with(cause))

    def healthy(self) -> set[str]:
        """Selling reps with no planted cause, hired two quarters before the onset, still here."""
        rows = self.con.execute(
            "SELECT rep_id FROM reps WHERE role = 'rep' AND end_date IS NULL "
            "AND hire_date <= CAST(? AS DATE) - INTERVAL 182 DAY",
            [self.since],
        ).fetchall()
        planted = {plant.rep_id for plant in self.truth.planted}
        return {rep for (rep,) in rows} - planted

    def per_rep(self, sql: str, *params: Any) -> dict[str, float]:
        """Run a query returning (rep_id, value) rows."""
        return {rep: value for rep, value in self.con.execute(sql, list(params)).fetchall()}

    def scalar(self, sql: str, *params: Any) -> Any:
        row = self.con.execute(sql, list(params)).fetchone()
        assert row is not None
        return row[0]
