"""Attain at scale: import, report, diagnose and forecast on organisations of 100 to 5,000 reps.

Usage: python benchmarks/scale.py [--sizes 100,1000,5000] [--quarters 4] [--dir DIR]
                                  [--backends duckdb,postgres,spark] [--no-pandas]
                                  [--runs 3] [--comparison-only]

For each size, a demo organisation is generated into DIR/<reps>x<quarters> (kept, so later
runs reuse the files) and imported into a fresh DuckDB store; PostgreSQL (a server started by
scripts/postgres.sh, or ATTAIN_BENCH_POSTGRES_URL) and Spark local mode run at the smallest
size only. Every step runs in a child process of its own, so its peak RSS is its own (Spark's
JVM is a separate process and is not included).

Two comparisons follow the main table:
- Attain against plain pandas: bookings attainment (won amount against the quota in force,
  per rep and quarter), the lead funnel per source and the follow-up counts (follow-ups and
  tasks due in the diagnosis window, and how many were overdue, per rep). Pandas reads the CSV
  exports (only the columns it needs) and computes them; Attain computes the same from its
  store with its own functions (its channel report also has campaign lines, medians and
  rejection reasons). Pandas runs at sizes up to --pandas-max-reps. Both run --runs times, in
  turn, and the table shows the median of each. --comparison-only runs just this comparison,
  on the DuckDB store a previous run left in DIR/<reps>x<quarters> (imported when missing).
- `attain report` against a bare DuckDB scan of the columns the report reads.
It asserts nothing: speed is measured here, not in the test suite.
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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.truth import Truth
from attain.diagnosis import follow_up
from attain.diagnosis.context import build_context
from attain.diagnosis.run import diagnose
from attain.forecast.forecast import forecast
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import import_files
from attain.leads.channels import channel_report
from attain.metrics.attainment import rep_attainment
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
        generate(DemoSpec(reps=reps, quarters=quarters, seed=1), files)
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
    result = import_files(backend, [files])
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
    rep_attainment(backend, quota_targets(backend, "bookings", prorate=False))
    channel_report(backend, truth.as_of)
    follow_up._owed(ctx)
    seconds = time.perf_counter() - start
    backend.disconnect()
    queue.put((seconds, peak_memory_mb(), (ctx.window.start, ctx.window.end)))


def step_pandas(files: Path, truth: Truth, window: tuple[date, date], queue: Queue[Any]) -> None:
    """The same three metrics written plainly in pandas from the CSV files."""
    reset_peak_memory()
    start = time.perf_counter()
    frames = pandas_load(files)
    loaded = time.perf_counter()
    pandas_metrics(frames, truth.as_of, window)
    done = time.perf_counter()
    queue.put((done - start, peak_memory_mb(), loaded - start))


# --- the pandas baseline -----------------------------------------------------------------------


def pandas_load(files: Path) -> dict[str, pd.DataFrame]:
    """Read the columns the three metrics need from the CSV exports."""
    return {
        "opportunities": pd.read_csv(
            files / "opportunities.csv",
            usecols=["owner_rep_id", "closed_at", "is_won", "amount"],
            parse_dates=["closed_at"],
        ),
        "quotas": pd.read_csv(
            files / "quotas.csv",
            usecols=["rep_id", "period_start", "period_end", "metric", "target", "set_at"],
            parse_dates=["period_start", "period_end", "set_at"],
        ),
        "leads": pd.read_csv(
            files / "leads.csv",
            usecols=["lead_id", "source", "mql_at", "sql_at", "converted_at"],
            parse_dates=["mql_at", "sql_at", "converted_at"],
        ),
        "opportunity_leads": pd.read_csv(
            files / "opportunities.csv", usecols=["lead_id", "is_won", "amount"]
        ),
        "activities": pd.read_csv(
            files / "activities.csv",
            usecols=["rep_id", "type", "occurred_at", "due_at", "completed_at"],
            parse_dates=["occurred_at", "due_at", "completed_at"],
        ),
    }


def pandas_metrics(
    frames: dict[str, pd.DataFrame], as_of: date, window: tuple[date, date]
) -> dict[str, pd.DataFrame]:
    """Attainment per rep and bookings period, funnel per lead source, follow-ups per rep."""
    quotas = frames["quotas"]
    quotas = quotas[quotas["metric"] == "bookings"].sort_values("set_at")
    in_force = quotas.groupby(["rep_id", "period_start", "period_end"], as_index=False).last()
    deals = frames["opportunities"]
    won = deals[deals["is_won"].fillna(False).astype(bool) & deals["closed_at"].notna()]
    joined = in_force.merge(won, left_on="rep_id", right_on="owner_rep_id", how="left")
    inside = (joined["closed_at"] >= joined["period_start"]) & (
        joined["closed_at"] < joined["period_end"] + pd.Timedelta(days=1)
    )
    booked = (
        joined[inside]
        .groupby(["rep_id", "period_start", "period_end"], as_index=False)["amount"]
        .sum()
    )
    attainment = in_force.merge(booked, how="left", on=["rep_id", "period_start", "period_end"])
    attainment["attainment"] = attainment["amount"].fillna(0.0) / attainment["target"]

    leads = frames["leads"]
    outcomes = frames["opportunity_leads"].dropna(subset=["lead_id"])
    won_leads = outcomes[outcomes["is_won"].fillna(False).astype(bool)]
    revenue = won_leads.groupby("lead_id")["amount"].sum()
    funnel = (
        leads.assign(
            mql=leads["mql_at"].notna(),
            sql=leads["sql_at"].notna(),
            opportunity=leads["lead_id"].isin(outcomes["lead_id"]) | leads["converted_at"].notna(),
            won=leads["lead_id"].isin(won_leads["lead_id"]),
            revenue=leads["lead_id"].map(revenue).fillna(0.0),
        )
        .groupby("source", dropna=False)[["mql", "sql", "opportunity", "won", "revenue"]]
        .sum()
    )

    acts = frames["activities"]
    start = pd.Timestamp(window[0])
    stop = pd.Timestamp(window[1] + timedelta(days=1))
    due = acts[
        acts["type"].isin(["follow_up", "task"])
        & (acts["due_at"] >= start)
        & (acts["due_at"] < stop)
        & (acts["occurred_at"] < stop)
    ]
    late = due["completed_at"].isna() | (due["completed_at"] >= stop)
    follow_ups = due.assign(late=late).groupby("rep_id")["late"].agg(["count", "sum"])
    return {"attainment": attainment, "funnel": funnel, "follow_up": follow_ups}


# --- the run -----------------------------------------------------------------------------------


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
    """The Attain-against-pandas line of one size: the median of `runs` alternating runs."""
    attain, pandas, reading = [], [], []
    for _ in range(runs):
        attain_s, _, window = in_child(step_attain_metrics, db, truth)
        pandas_s, _, reading_s = in_child(step_pandas, files, truth, window)
        attain.append(attain_s)
        pandas.append(pandas_s)
        reading.append(reading_s)
    attain_s, pandas_s = statistics.median(attain), statistics.median(pandas)
    return [
        f"{reps:,}",
        f"{attain_s:.2f}",
        f"{pandas_s:.2f}",
        f"{statistics.median(reading):.2f}",
        f"{attain_s / pandas_s:.3f} (pandas ÷ attain {pandas_s / attain_s:.1f}×)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="rep counts, comma-separated")
    parser.add_argument("--quarters", type=int, default=4)
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
    for header in ("reps", "attain s", "pandas s", "of which reading CSV", "attain ÷ pandas"):
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
            report, report_mb, _ = in_child(step_report, db, truth.as_of)
            diagnosed, diagnose_mb, _ = in_child(step_diagnose, db, truth)
            forecast_s, forecast_mb, _ = in_child(step_forecast, db, truth.as_of)
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
