"""Attain at scale: import, report, diagnose and forecast on organisations of 100 to 5,000 reps.

Usage: python benchmarks/scale.py [--sizes 100,1000,5000] [--quarters 8] [--dir DIR]
                                  [--backends duckdb,postgres,spark] [--no-pandas]
                                  [--runs 3] [--comparison-only]

For each size, a demo organisation is generated into DIR/<reps>x<quarters> (kept, so later
runs reuse the files; at 8 quarters, 100, 1,000 and 5,000 reps hold about 2 M, 21 M and 107 M
activities, and --quarters scales them down) and imported into a fresh DuckDB store;
PostgreSQL (a server started by scripts/postgres.sh, or ATTAIN_BENCH_POSTGRES_URL) and Spark
local mode run at the smallest size only. Every step runs in a child process of its own, so
its peak RSS is its own (Spark's JVM is a separate process and is not included).

Two comparisons follow the main table:
- Attain against plain pandas: bookings attainment (won amount against the quota in force,
  per rep and quarter), the lead funnel per source, campaign and in total (with revenue,
  median days to a win and top rejection reasons) and the follow-up counts (follow-ups and
  tasks due in the diagnosis window, and how many were overdue, per seller). Pandas reads the
  CSV exports (only the columns it needs) and computes them by Attain's rules
  (pandas_baseline.py); Attain computes them from its store with its own functions, and the
  table says whether both gave the same numbers. Pandas runs at sizes up to --pandas-max-reps.
  Both run --runs times, in turn, and the table shows the median of each. --comparison-only
  runs just this comparison, on the DuckDB store a previous run left in DIR/<reps>x<quarters>
  (imported when missing).
- `attain report` against a bare DuckDB scan of the columns the report reads.
It asserts nothing: speed is measured here, not in the test suite
(tests/metrics/test_pandas_baseline.py checks that both sides agree).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import pandas_baseline
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.truth import Truth
from attain.diagnosis import follow_up
from attain.diagnosis.context import build_context
from attain.diagnosis.run import diagnose
from attain.forecast.forecast import forecast
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import IMPORT_MEMORY_LIMIT, import_files
from attain.leads.channels import channel_report
from attain.metrics.attainment import rep_attainment
from attain.metrics.periods import Period
from attain.metrics.report import performance_report
from attain.metrics.targets import quota_targets
from attain.store import connect, raw_duckdb
from report import SCANNED, in_child, peak_memory_mb, reset_peak_memory

ROOT = Path(__file__).resolve().parents[1]
Queue = multiprocessing.Queue  # of (seconds, peak MB, extra)


def organisation(folder: Path, reps: int, quarters: int) -> tuple[Path, Truth, int]:
    """The generated files of one size (made once), their truth and their total data rows."""
    files = folder / f"{reps}x{quarters}"
    truth_file = files / "truth.json"
    if not truth_file.exists():
        start = time.perf_counter()
        generate(DemoSpec(reps=reps, quarters=quarters, seed=1), files)
        Console().print(f"[dim]{reps} reps generated in {time.perf_counter() - start:,.0f} s[/]")
    rows = 0
    for csv in files.glob("*.csv"):
        with csv.open("rb") as handle:
            rows += sum(1 for _ in handle) - 1
    return files, Truth.read(truth_file), rows


# --- steps, each in a child process ------------------------------------------------------------


def step_import(db: str, files: Path, queue: Queue[Any]) -> None:
    reset_peak_memory()
    backend = connect(db)
    start = time.perf_counter()
    result = import_files(backend, [files], memory_limit=IMPORT_MEMORY_LIMIT)  # as attain import
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb(), result.rows_loaded))


def timed_analysis(
    db: str, run: Callable[[Any], object], queue: Queue[Any], *, read_only: bool = True
) -> None:
    reset_peak_memory()
    backend = connect(db, read_only=read_only)
    start = time.perf_counter()
    run(backend)
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb(), None))


def step_report(db: str, as_of: date, queue: Queue[Any]) -> None:
    timed_analysis(db, lambda b: performance_report(b, as_of=as_of), queue, read_only=_ro(db))


def step_diagnose(db: str, truth: Truth, queue: Queue[Any]) -> None:
    timed_analysis(
        db,
        lambda b: diagnose(b, as_of=truth.as_of, icp=truth.icp_settings()),
        queue,
        read_only=_ro(db),
    )


def step_forecast(db: str, as_of: date, queue: Queue[Any]) -> None:
    settings = ForecastSettings()
    timed_analysis(
        db, lambda b: forecast(b, as_of, zone="UTC", settings=settings), queue, read_only=_ro(db)
    )


def step_scan(db: str, queue: Queue[Any]) -> None:
    """A bare DuckDB scan that touches every column the report reads."""
    reset_peak_memory()
    backend = connect(db, read_only=True)
    con = raw_duckdb(backend)
    start = time.perf_counter()
    for table, columns in SCANNED.items():
        con.execute(f"SELECT count(*), sum(hash({columns})) FROM {table}").fetchall()
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb(), None))


def step_attain_metrics(db: str, truth: Truth, queue: Queue[Any]) -> None:
    """Attain's attainment, funnel and follow-up counts (the diagnosis context is set up first,
    untimed: it only fixes the window and the sellers)."""
    reset_peak_memory()
    backend = connect(db, read_only=True)
    ctx = build_context(backend, as_of=truth.as_of, icp=truth.icp_settings())
    start = time.perf_counter()
    attainment = rep_attainment(backend, quota_targets(backend, "bookings", prorate=False))
    report = channel_report(backend, truth.as_of)
    owed = follow_up._owed(ctx)
    seconds = time.perf_counter() - start
    backend.disconnect()
    results = pandas_baseline.from_attain(attainment, report, owed)
    queue.put((seconds, peak_memory_mb(), (ctx.window, sorted(ctx.sellers), results)))


def step_pandas(
    files: Path, truth: Truth, window: Period, sellers: list[str], queue: Queue[Any]
) -> None:
    """The same three metrics written plainly in pandas from the CSV files."""
    reset_peak_memory()
    start = time.perf_counter()
    frames = pandas_baseline.load(files)
    loaded = time.perf_counter()
    results = pandas_baseline.metrics(frames, truth.as_of, window, sellers)
    done = time.perf_counter()
    queue.put((done - start, peak_memory_mb(), (loaded - start, results)))


# --- the run -----------------------------------------------------------------------------------


def _progress(console: Console, kind: str, reps: int, step: str, seconds: float, mb: float) -> None:
    """One step's time and peak RSS as soon as it ends (a long run that is stopped keeps them)."""
    console.print(f"[dim]{kind} {reps:,} reps: {step} {seconds:,.1f} s, peak {mb:,.0f} MB[/]")


def _ro(db: str) -> bool:
    return not db.startswith(("postgres", "spark"))


def postgres_url() -> str:
    """The benchmark's PostgreSQL database: ATTAIN_BENCH_POSTGRES_URL, else a server of
    scripts/postgres.sh (left running for the next run; `scripts/postgres.sh stop`)."""
    if url := os.environ.get("ATTAIN_BENCH_POSTGRES_URL"):
        return url
    started = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh")],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "ATTAIN_PG_DIR": os.environ.get("ATTAIN_PG_DIR", "/tmp/attain-bench-pg"),
        },
    )
    return started.stdout.strip().splitlines()[-1]


def fresh_store(kind: str, folder: Path) -> str:
    """An empty store of `kind` for one run, as a --db value."""
    if kind == "duckdb":
        path = folder / "store.duckdb"
        path.unlink(missing_ok=True)
        return str(path)
    if kind == "postgres":
        url = postgres_url()
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as con:
            tables = [
                row[0]
                for row in con.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
            for table in tables:
                con.execute(f'DROP TABLE "{table}"')
        return url
    warehouse = folder / "spark-warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    return f"spark://local[*]?warehouse={warehouse}"


def versus_row(db: str, files: Path, truth: Truth, reps: int, runs: int) -> list[str]:
    """The Attain-against-pandas line of one size: the median of `runs` alternating runs, and
    whether the two gave the same numbers."""
    attain, pandas, reading = [], [], []
    for _ in range(runs):
        attain_s, _, (window, sellers, ours) = in_child(step_attain_metrics, db, truth)
        pandas_s, _, (reading_s, theirs) = in_child(step_pandas, files, truth, window, sellers)
        attain.append(attain_s)
        pandas.append(pandas_s)
        reading.append(reading_s)
    differences = pandas_baseline.differences(ours, theirs)
    for line in differences:
        Console(width=150).print(f"[red]pandas and Attain differ[/] {line}")
    attain_s, pandas_s = statistics.median(attain), statistics.median(pandas)
    return [
        f"{reps:,}",
        f"{attain_s:.2f}",
        f"{pandas_s:.2f}",
        f"{statistics.median(reading):.2f}",
        f"{attain_s / pandas_s:.3f} (pandas ÷ attain {pandas_s / attain_s:.1f}×)",
        "no" if differences else "yes",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="rep counts, comma-separated")
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/attain-bench-scale"))
    parser.add_argument("--backends", default="duckdb,postgres,spark")
    parser.add_argument("--pandas-max-reps", type=int, default=1000)
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="runs of the pandas comparison")
    parser.add_argument(
        "--comparison-only", action="store_true", help="only Attain against pandas, on kept stores"
    )
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    backends = args.backends.split(",")
    console = Console(width=150)

    main_table = Table(title=f"Attain at scale ({args.quarters} quarters, {os.cpu_count()} cores)")
    for header in (
        "backend",
        "reps",
        "rows",
        "import s",
        "rows/s",
        "report s",
        "diagnose s",
        "forecast s",
        "peak MB",
    ):
        main_table.add_column(header, justify="left" if header == "backend" else "right")
    versus = Table(
        title="Attain against plain pandas: attainment + funnel + follow-up "
        f"(median of {args.runs} runs)"
    )
    for header in (
        "reps",
        "attain s",
        "pandas s",
        "of which reading CSV",
        "attain ÷ pandas",
        "same numbers",
    ):
        versus.add_column(header, justify="right")
    scans = Table(title="attain report against a bare DuckDB scan of the columns it reads")
    for header in ("reps", "report s", "bare scan s", "report ÷ scan"):
        scans.add_column(header, justify="right")

    for reps in sizes:
        files, truth, rows = organisation(args.dir, reps, args.quarters)
        console.print(f"[dim]{reps} reps: {rows:,} rows in {files}[/]")
        if args.comparison_only:
            if reps > args.pandas_max_reps:
                continue
            db = str(files / "store.duckdb")
            if not Path(db).exists():
                in_child(step_import, fresh_store("duckdb", files), files)
            versus.add_row(*versus_row(db, files, truth, reps, args.runs))
            continue
        for kind in backends:
            if kind != "duckdb" and reps != sizes[0]:
                continue
            db = fresh_store(kind, files)
            imported, import_mb, loaded = in_child(step_import, db, files)
            _progress(console, kind, reps, "import", imported, import_mb)
            report, report_mb, _ = in_child(step_report, db, truth.as_of)
            _progress(console, kind, reps, "report", report, report_mb)
            diagnosed, diagnose_mb, _ = in_child(step_diagnose, db, truth)
            _progress(console, kind, reps, "diagnose", diagnosed, diagnose_mb)
            forecast_s, forecast_mb, _ = in_child(step_forecast, db, truth.as_of)
            _progress(console, kind, reps, "forecast", forecast_s, forecast_mb)
            peak = max(import_mb, report_mb, diagnose_mb, forecast_mb)
            main_table.add_row(
                kind,
                f"{reps:,}",
                f"{loaded:,}",
                f"{imported:.1f}",
                f"{loaded / imported:,.0f}",
                f"{report:.2f}",
                f"{diagnosed:.2f}",
                f"{forecast_s:.2f}",
                f"{peak:,.0f}",
            )
            if kind != "duckdb":
                continue
            scan, _, _ = in_child(step_scan, db)
            scans.add_row(f"{reps:,}", f"{report:.2f}", f"{scan:.2f}", f"{report / scan:.1f}×")
            if args.no_pandas or reps > args.pandas_max_reps:
                continue
            versus.add_row(*versus_row(db, files, truth, reps, args.runs))
    if not args.comparison_only:
        console.print(main_table)
    if versus.row_count:
        console.print(versus)
    if not args.comparison_only:
        console.print(scans)
    console.print(f"[dim]measured {datetime.now():%Y-%m-%d %H:%M}[/]")


if __name__ == "__main__":
    main()
