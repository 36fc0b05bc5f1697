"""A store whose history is written by hand: three weekly data versions of one small organisation.

Versions (import ids) and when their exports were taken (UTC):

| version | taken_at         |
|---------|------------------|
| 1       | 2026-10-01 00:00 |
| 2       | 2026-10-08 00:00 |
| 3       | 2026-10-15 00:00 |

Reps: r1 and r2 in team A, r3 in team B; r2 moves to team B in version 2.

Deals (all owned by r1 unless said; expected to close in 2026-Q4 unless said):

| deal | version 1                               | version 2 (and 3)                        |
|------|-----------------------------------------|------------------------------------------|
| D1   | 100, Qualify, close 2026-11-15, commit  | close 2027-01-20 (pushed out)            |
| D2   | 200, Qualify, close 2027-02-01          | close 2026-12-01 (pulled in)             |
| D3   | 300, Qualify, commit                    | 350, Proposal (resized, moved stage)     |
| D4   | 400, Proposal                           | won on 2026-10-05 at 420                 |
| D5   | 500, Proposal                           | lost on 2026-10-06                       |
| D6   | 600, Qualify                            | deleted                                  |
| D7   | 700, Qualify, best_case                 | owner r3 (reassigned)                    |
| D8   | —                                       | created: 800, Qualify, close 2026-12-15  |
| D9   | 900 owned by r3, omitted                | unchanged                                |
| D10  | —                                       | — in 2; in 3: created and won 2026-10-12 |
|      |                                         | at 1,000 (owner r1)                      |
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from attain.store import connect, raw_duckdb
from attain.store.ddl import IMPORTS_TABLE, OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE

TAKEN = {1: datetime(2026, 10, 1), 2: datetime(2026, 10, 8), 3: datetime(2026, 10, 15)}
Q4 = date(2026, 12, 31)

OPEN: dict[str, Any] = {
    "owner_rep_id": "r1",
    "stage": "Qualify",
    "currency": None,
    "expected_close_date": date(2026, 11, 30),
    "closed_at": None,
    "is_won": None,
    "forecast_category": None,
    "probability": None,
    "deleted": False,
}


def deal(amount: float, **fields: Any) -> dict[str, Any]:
    """An open deal's tracked fields, as OPEN with `amount` and `fields` changed."""
    return {**OPEN, "amount": amount, **fields}


VERSION_1: dict[str, dict[str, Any]] = {
    "D1": deal(100, expected_close_date=date(2026, 11, 15), forecast_category="commit"),
    "D2": deal(200, expected_close_date=date(2027, 2, 1)),
    "D3": deal(300, forecast_category="commit"),
    "D4": deal(400, stage="Proposal"),
    "D5": deal(500, stage="Proposal"),
    "D6": deal(600),
    "D7": deal(700, forecast_category="best_case"),
    "D9": deal(900, owner_rep_id="r3", forecast_category="omitted"),
}
VERSION_2: dict[str, dict[str, Any]] = {
    **VERSION_1,
    "D1": {**VERSION_1["D1"], "expected_close_date": date(2027, 1, 20)},
    "D2": {**VERSION_1["D2"], "expected_close_date": date(2026, 12, 1)},
    "D3": {**VERSION_1["D3"], "amount": 350, "stage": "Proposal"},
    "D4": {
        **VERSION_1["D4"],
        "amount": 420,
        "stage": "Closed Won",
        "closed_at": datetime(2026, 10, 5, 15),
        "is_won": True,
        "forecast_category": "closed",
    },
    "D5": {
        **VERSION_1["D5"],
        "stage": "Closed Lost",
        "closed_at": datetime(2026, 10, 6, 9),
        "is_won": False,
        "forecast_category": "omitted",
    },
    "D6": {**VERSION_1["D6"], "deleted": True},
    "D7": {**VERSION_1["D7"], "owner_rep_id": "r3"},
    "D8": deal(800, expected_close_date=date(2026, 12, 15)),
}
VERSION_3: dict[str, dict[str, Any]] = {
    **VERSION_2,
    "D10": deal(
        1000,
        stage="Closed Won",
        closed_at=datetime(2026, 10, 12, 11),
        is_won=True,
        forecast_category="closed",
    ),
}
VERSIONS = {1: VERSION_1, 2: VERSION_2, 3: VERSION_3}
TEAMS = {1: {"r1": "A", "r2": "A", "r3": "B"}, 2: {"r1": "A", "r2": "B", "r3": "B"}}
TEAMS[3] = TEAMS[2]

DEAL_COLUMNS = [
    "opportunity_id",
    "version_from",
    "version_to",
    "valid_from",
    "valid_to",
    "deleted",
    "owner_rep_id",
    "stage",
    "amount",
    "currency",
    "expected_close_date",
    "closed_at",
    "is_won",
    "forecast_category",
    "probability",
]


def type_2_rows(versions: dict[int, dict[str, Any]]) -> list[tuple[str, int, int | None, Any]]:
    """(key, version_from, version_to, fields): one row per run of versions with equal fields."""
    rows: list[tuple[str, int, int | None, Any]] = []
    keys = sorted({key for state in versions.values() for key in state})
    numbers = sorted(versions)
    for key in keys:
        current: tuple[int, Any] | None = None
        for number in numbers:
            fields = versions[number].get(key)
            if current is not None and fields != current[1]:
                rows.append((key, current[0], number, current[1]))
                current = None
            if current is None and fields is not None:
                current = (number, fields)
        if current is not None:
            rows.append((key, current[0], None, current[1]))
    return rows


def write_history(con: Any, versions: dict[int, dict[str, Any]]) -> None:
    """The deals' history rows of `versions`, as the importer writes them."""
    placeholders = ", ".join("?" for _ in DEAL_COLUMNS)
    for key, first, last, fields in type_2_rows(versions):
        valid_to = TAKEN[last] if last is not None else None
        row = {
            "opportunity_id": key,
            "version_from": first,
            "version_to": last,
            "valid_from": TAKEN[first],
            "valid_to": valid_to,
            **fields,
        }
        con.execute(
            f"INSERT INTO {OPPORTUNITY_HISTORY_TABLE} ({', '.join(DEAL_COLUMNS)}) "
            f"VALUES ({placeholders})",
            [row[column] for column in DEAL_COLUMNS],
        )


def build_store(path: Path) -> str:
    """The store described above at `path`; its location."""
    backend = connect(str(path))
    con = raw_duckdb(backend)
    try:
        con.execute("INSERT INTO teams (team_id, name) VALUES ('A', 'Team A'), ('B', 'Team B')")
        for rep in ("r1", "r2", "r3"):
            con.execute(
                "INSERT INTO reps (rep_id, name, team_id, role) VALUES (?, ?, ?, 'rep')",
                [rep, f"Rep {rep}", TEAMS[3][rep]],
            )
        for number, taken in TAKEN.items():
            con.execute(
                f"INSERT INTO {IMPORTS_TABLE} (import_id, imported_at, preset, files, "
                "rows_loaded, rows_rejected, taken_at, partial) "
                "VALUES (?, ?, 'generic', '', 0, 0, ?, false)",
                [number, taken, taken],
            )
        write_history(con, VERSIONS)
        for key, first, last, fields in type_2_rows(
            {n: {rep: {"team_id": team} for rep, team in t.items()} for n, t in TEAMS.items()}
        ):
            con.execute(
                f"INSERT INTO {REP_HISTORY_TABLE} (rep_id, version_from, version_to, valid_from, "
                "valid_to, deleted, team_id, role) VALUES (?, ?, ?, ?, ?, false, ?, 'rep')",
                [key, first, last, TAKEN[first], TAKEN[last] if last else None, fields["team_id"]],
            )
    finally:
        backend.disconnect()
    return str(path)
