"""`attain report` and `attain diagnose` on a large demo organisation: wall time, peak memory,
the ratio of the report to a bare DuckDB scan of the columns it reads (how close it is to the
I/O limit), and of the diagnosis to the report.

Usage: python benchmarks/report.py [--reps 1000] [--quarters 8] [--dir DIR]
Generates and imports the organisation into DIR (kept, so later runs reuse it), then prints a
table. It asserts nothing: speed is measured here, not in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import resource
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.truth import Truth
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.metrics.report import performance_report
from attain.store import connect, raw_duckdb

SCANNED = {
    "opportunities": "opportunity_id, account_id, owner_rep_id, created_at, "
    "expected_close_date, closed_at, is_won, amount",
    "activities": "rep_id, type, occurred_at",
    "quotas": "rep_id, period_start, period_end, metric, target, set_at",
    "reps": "rep_id, name, team_id, role, hire_date, end_date",
}
"""The columns the report reads, per table."""


def prepare(folder: Path, reps: int, quarters: int) -> tuple[Path, Truth, float, float]:
    """The store of a generated organisation (made once), with generation and import seconds."""
    db = folder / "store.duckdb"
    truth_file = folder / "truth.json"
    if db.exists() and truth_file.exists():
        return db, Truth.read(truth_file), 0.0, 0.0
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    truth = generate(DemoSpec(reps=reps, quarters=quarters, seed=1), folder)
    generated = time.perf_counter() - start
    backend = connect(str(db))
    start = time.perf_counter()
    import_files(raw_duckdb(backend), [folder])
    imported = time.perf_counter() - start
    backend.disconnect()
    return db, truth, generated, imported


def reset_peak_memory() -> None:
    """Forget the peak RSS inherited from the parent (Linux), so the child measures its own."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mb() -> float:
    """This process's peak RSS since the last reset, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_report(db: Path, truth: Truth, queue: multiprocessing.Queue[tuple[float, float]]) -> None:
    """Child process: the report's wall time and its peak RSS (MB)."""
    reset_peak_memory()
    backend = connect(str(db), read_only=True)
    start = time.perf_counter()
    performance_report(backend, as_of=truth.as_of)
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb()))


def run_diagnose(db: Path, truth: Truth, queue: multiprocessing.Queue[tuple[float, float]]) -> None:
    """Child process: the diagnosis's wall time and its peak RSS (MB)."""
    reset_peak_memory()
    backend = connect(str(db), read_only=True)
    start = time.perf_counter()
    diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings())
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb()))


def run_scan(db: Path, queue: multiprocessing.Queue[tuple[float, float]]) -> None:
    """Child process: a bare DuckDB scan that touches every column the report reads."""
    reset_peak_memory()
    backend = connect(str(db), read_only=True)
    con = raw_duckdb(backend)
    start = time.perf_counter()
    for table, columns in SCANNED.items():
        con.execute(f"SELECT count(*), sum(hash({columns})) FROM {table}").fetchall()
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb()))


def _settled(target: Callable[..., None], *args: object) -> None:
    """Freeze the imported modules' objects out of the garbage collector's way, as the
    `attain` command does at start (attain.cli.main), then run `target`."""
    gc.freeze()
    target(*args)


def in_child(target: object, *args: object) -> tuple[float, float]:
    """Run `target(*args, queue)` in a fresh process and return what it put on the queue."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[float, float]] = context.Queue()
    child = context.Process(target=_settled, args=(target, *args, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/attain-bench-report"))
    args = parser.parse_args()
    db, truth, generated, imported = prepare(args.dir, args.reps, args.quarters)
    backend = connect(str(db), read_only=True)
    rows = {t: backend.table(t).count().execute() for t in SCANNED}
    backend.disconnect()
    report_s, report_mb = in_child(run_report, db, truth)
    scan_s, scan_mb = in_child(run_scan, db)
    diagnose_s, diagnose_mb = in_child(run_diagnose, db, truth)
    table = Table(title=f"attain report and diagnose, {args.reps} reps x {args.quarters} quarters")
    for header in ("step", "seconds", "peak RSS MB", "note"):
        table.add_column(header, justify="left" if header in ("step", "note") else "right")
    if generated:
        table.add_row("generate", f"{generated:.1f}", "", "")
        table.add_row("import", f"{imported:.1f}", "", "")
    table.add_row("report", f"{report_s:.2f}", f"{report_mb:,.0f}", f"as of {truth.as_of}")
    table.add_row("bare scan", f"{scan_s:.2f}", f"{scan_mb:,.0f}", "same columns, DuckDB")
    table.add_row("ratio", f"{report_s / scan_s:.1f}x", "", "report / bare scan")
    table.add_row("diagnose", f"{diagnose_s:.2f}", f"{diagnose_mb:,.0f}", "report included")
    table.add_row("ratio", f"{diagnose_s / report_s:.1f}x", "", "diagnose / report")
    Console().print(table)
    Console().print(", ".join(f"{t}: {n:,} rows" for t, n in rows.items()))


if __name__ == "__main__":
    main()
