"""Import throughput: rows/second for 1 M and 10 M generated activities into a fresh store.

Usage: python benchmarks/import_activities.py [--rows 1000000 10000000] [--reps 1000]
Prints a table; it asserts nothing (speed is measured here, not in the test suite).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb


def write_inputs(folder: Path, rows: int, reps: int) -> None:
    """Canonical teams, reps and `rows` activities written by DuckDB (no Python row loop)."""
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'T' || (i // 10) AS team_id, 'Team ' || (i // 10) AS name "
        f"FROM range(0, {reps}, 10) r(i)) TO '{folder / 'teams.csv'}' (HEADER)"
    )
    con.execute(
        f"COPY (SELECT 'R' || i AS rep_id, 'Rep ' || i AS name, 'T' || (i // 10) AS team_id, "
        f"'rep' AS role, DATE '2022-01-01' AS hire_date FROM range({reps}) r(i)) "
        f"TO '{folder / 'reps.csv'}' (HEADER)"
    )
    con.execute(
        f"COPY (SELECT 'A' || i AS activity_id, 'R' || (hash(i) % {reps}) AS rep_id, "
        "['call', 'email', 'meeting', 'demo', 'follow_up', 'task']"
        "[1 + CAST(hash(i * 7) % 6 AS BIGINT)] AS type, "
        "TIMESTAMP '2025-01-01' + INTERVAL (CAST(hash(i * 13) % 31536000 AS BIGINT)) SECOND "
        "AS occurred_at, CASE WHEN i % 5 = 0 THEN TIMESTAMP '2025-01-01' "
        "+ INTERVAL (CAST(hash(i * 17) % 31536000 AS BIGINT)) SECOND END AS due_at, "
        "NULL AS completed_at, NULL AS opportunity_id, NULL AS lead_id, "
        f"'connected' AS outcome FROM range({rows}) r(i)) TO '{folder / 'activities.csv'}' (HEADER)"
    )


def measure(rows: int, reps: int, memory_limit: str | None) -> tuple[int, float, float, float]:
    """Rows loaded, seconds, CSV size and the importing process's peak RSS for `rows` activities.

    The import runs in a fresh process so that its peak memory is its own.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder, rows, reps)
        size_mb = (folder / "activities.csv").stat().st_size / 1e6
        context = multiprocessing.get_context("spawn")
        queue: multiprocessing.Queue[tuple[int, float, float]] = context.Queue()
        child = context.Process(target=_import, args=(folder, memory_limit, queue))
        child.start()
        loaded, seconds, peak_mb = queue.get()
        child.join()
    return loaded, seconds, size_mb, peak_mb


def _import(
    folder: Path, memory_limit: str | None, queue: multiprocessing.Queue[tuple[int, float, float]]
) -> None:
    backend = connect(str(folder / "store.duckdb"), memory_limit=memory_limit)
    con = raw_duckdb(backend)
    start = time.perf_counter()
    result = import_files(con, [folder])
    seconds = time.perf_counter() - start
    backend.disconnect()
    loaded = next(t.loaded for t in result.tables if t.table == "activities")
    queue.put((loaded, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the import, e.g. 2GB")
    args = parser.parse_args()
    table = Table(title="attain import: generated activities into a new DuckDB store")
    for header in ("activities", "CSV MB", "seconds", "rows/s", "peak RSS MB"):
        table.add_column(header, justify="right")
    for rows in args.rows:
        loaded, seconds, size_mb, peak = measure(rows, args.reps, args.memory_limit)
        table.add_row(
            f"{loaded:,}",
            f"{size_mb:,.0f}",
            f"{seconds:.1f}",
            f"{loaded / seconds:,.0f}",
            f"{peak:,.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
