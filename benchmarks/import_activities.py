"""Import throughput: rows/second for 1 M and 10 M generated activities into a fresh store.

Usage: python benchmarks/import_activities.py [--rows 1000000 10000000] [--reps 1000]
                                              [--memory-limit 1GB] [--changed 0.01] [--runs 1]

Beside each import, DuckDB loads the same activities file by itself into an empty database
with the same memory limit (`CREATE TABLE AS SELECT * FROM read_csv(...)`, each in a fresh
process), and the table shows the ratio: issue #23 asks for import ÷ bare load <= 2.0 at 10 M
activities. Peak RSS is each process's own. With --changed, the same store then re-imports
the export with that share of its activities changed (teams and reps as they were), and the
table shows incremental ÷ full (the issue asks for <= 0.10 at 0.01). Prints a table; it asserts
nothing (speed is
measured here, not in the test suite).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from attain.ingest.importer import IMPORT_MEMORY_LIMIT, import_files
from attain.store import connect, raw_duckdb

Queue = Any  # multiprocessing.Queue of (rows, seconds, peak MB, CPU seconds)


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


@dataclass(frozen=True)
class Measured:
    """One size: the import and DuckDB's bare load of the same activities file."""

    loaded: int
    size_mb: float
    seconds: float
    peak_mb: float
    bare_seconds: float
    bare_peak_mb: float
    changed_seconds: float | None = None
    """The re-import of the same export with a share of its activities changed."""
    changed_peak_mb: float | None = None
    """The re-import's peak RSS."""


def measure(
    rows: int, reps: int, memory_limit: str, changed: float | None, repeat: int = 1
) -> Measured:
    """The import of `rows` generated activities and DuckDB's bare load of the same file;
    with `changed`, then the re-import of the export with that share of activities changed.

    Each runs in a fresh process so that its peak memory is its own. With `repeat`, the run
    whose import ÷ bare load is the median of that many (on a shared machine one run's ratio
    moves with the load of the moment).
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder, rows, reps)
        if changed:
            write_changed(folder, folder / "changed", changed)
        size_mb = (folder / "activities.csv").stat().st_size / 1e6
        runs = []
        for _ in range(repeat):
            # Each run's two sides back to back, so that both meet about the same load.
            bare_seconds, bare_peak = _in_child(_bare_load, folder, folder, memory_limit)[1:3]
            store = folder / "store.duckdb"
            for old in (store, folder / "store.duckdb.wal", folder / "store.duckdb.tmp"):
                shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
            loaded, seconds, peak_mb, cpu = _in_child(_import, store, folder, memory_limit)
            again, again_peak, again_cpu = None, None, 0.0
            if changed:
                changed_folder = folder / "changed"
                _, again, again_peak, again_cpu = _in_child(
                    _import, store, changed_folder, memory_limit
                )
            runs.append(
                Measured(
                    *(int(loaded), size_mb, seconds, peak_mb, bare_seconds, bare_peak),
                    *(again, again_peak),
                )
            )
            incremental = (
                f", re-import {again:.2f} s, {again_cpu:.2f} CPU s ({again / seconds:.2f})"
                if again
                else ""
            )
            print(
                f"{rows:,} run {len(runs)}: import {seconds:.2f} s, {cpu:.2f} CPU s, "
                f"bare {bare_seconds:.2f} s "
                f"({seconds / bare_seconds:.2f}){incremental}",
                flush=True,
            )
    return sorted(runs, key=lambda run: run.seconds / run.bare_seconds)[len(runs) // 2]


def write_changed(folder: Path, target: Path, share: float) -> None:
    """The export again with every (1/share)th activity's outcome changed; other files copied."""
    target.mkdir()
    for name in ("teams.csv", "reps.csv"):
        shutil.copy(folder / name, target / name)
    every = max(1, round(1 / share))
    duckdb.connect().execute(
        "COPY (SELECT * REPLACE (CASE WHEN (row_number() OVER ()) % "
        f"{every} = 0 THEN 'no_answer' ELSE outcome END AS outcome) "
        f"FROM read_csv('{folder / 'activities.csv'}', all_varchar = true)) "
        f"TO '{target / 'activities.csv'}' (HEADER)"
    )


def _in_child(
    target: Callable[[Path, Path, str, Queue], None], store: Path, folder: Path, memory_limit: str
) -> tuple[float, float, float, float]:
    """Run `target` in a fresh process: (rows loaded, seconds, peak RSS MB, CPU seconds of
    the timed part, every thread's, user and system)."""
    context = multiprocessing.get_context("spawn")
    queue: Queue = context.Queue()
    child = context.Process(target=target, args=(store, folder, memory_limit, queue))
    child.start()
    loaded, seconds, peak_mb, cpu = queue.get()
    child.join()
    return float(loaded), float(seconds), float(peak_mb), float(cpu)


def _bare_load(_store: Path, folder: Path, memory_limit: str, queue: Queue) -> None:
    """DuckDB by itself: the activities file into a table of an empty database file."""
    con = duckdb.connect(str(folder / "bare.duckdb"))
    con.execute("SET enable_progress_bar = false")
    con.execute("SET memory_limit = ?", [memory_limit])
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE activities AS SELECT * FROM read_csv('{folder / 'activities.csv'}')")
    con.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    (folder / "bare.duckdb").unlink()
    queue.put((0.0, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, cpu))


def _import(store: Path, folder: Path, memory_limit: str, queue: Queue) -> None:
    """`attain import` of the files in `folder` into `store`, as the command runs it."""
    backend = connect(str(store))
    con = raw_duckdb(backend)
    con.execute("SET enable_progress_bar = false")
    start, cpu = time.perf_counter(), time.process_time()
    result = import_files(con, [folder], memory_limit=memory_limit)
    con.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    backend.disconnect()
    loaded = next(t.loaded for t in result.tables if t.table == "activities")
    queue.put((loaded, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument(
        "--memory-limit",
        default=IMPORT_MEMORY_LIMIT,
        help="DuckDB memory_limit of the import and the bare load (default: attain import's)",
    )
    parser.add_argument(
        "--changed",
        type=float,
        metavar="SHARE",
        help="Then re-import with this share of activities changed (0.01: 1%%); prints "
        "incremental ÷ full",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="Measure each size this many times and show the run with the median ratio",
    )
    args = parser.parse_args()
    table = Table(title="attain import: generated activities into a new DuckDB store")
    headers: tuple[str, ...] = ("activities", "CSV MB", "import s", "rows/s", "peak RSS MB")
    headers += ("bare load s", "bare peak MB", "import ÷ bare")
    if args.changed:
        headers += (f"re-import, {args.changed:.0%} changed s", "peak MB", "incremental ÷ full")
    for header in headers:
        table.add_column(header, justify="right")
    for rows in args.rows:
        m = measure(rows, args.reps, args.memory_limit, args.changed, args.runs)
        again = (
            (
                f"{m.changed_seconds:.2f}",
                f"{m.changed_peak_mb or 0:,.0f}",
                f"{m.changed_seconds / m.seconds:.3f}",
            )
            if m.changed_seconds is not None
            else ()
        )
        table.add_row(
            f"{m.loaded:,}",
            f"{m.size_mb:,.0f}",
            f"{m.seconds:.1f}",
            f"{m.loaded / m.seconds:,.0f}",
            f"{m.peak_mb:,.0f}",
            f"{m.bare_seconds:.1f}",
            f"{m.bare_peak_mb:,.0f}",
            f"{m.seconds / m.bare_seconds:.2f}",
            *again,
        )
    Console(width=160).print(table)
    print(f"memory_limit {args.memory_limit}, {args.reps:,} reps, median of {args.runs} run(s)")


if __name__ == "__main__":
    main()
