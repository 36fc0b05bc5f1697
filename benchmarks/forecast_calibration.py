"""Are the forecast's bands honest on organisations of other shapes? Issue 20's table.

For each demo variant (5, 20 and 200 reps; SMB and enterprise cycles), a demo organisation of
`--quarters` quarters is generated and imported, every complete quarter is backtested at the
chosen weeks, and each quarter's bands are calibrated on the quarters before it only (rolling
origin, attain.forecast.calibration), as the live forecast is. Printed per variant: quarters
and company forecasts behind the figures, P10–P90 coverage of the model's band and of the
calibrated band (80% is honest), and mean P50 error of the model, the calibrated P50 and the
run-rate.

Usage: python benchmarks/forecast_calibration.py [--quarters 9] [--weeks 2,4,6,8,10,12]
       [--seeds 11] [--only 5-reps,smb] [--simulations 500] [--dir DIR]
Asserts nothing: accuracy on generated data is measured here, not gated in the test suite.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.variants import VARIANTS
from attain.forecast.backtest import BacktestPoint, backtest, complete_periods
from attain.forecast.calibration import calibrated_points
from attain.forecast.history import load_history
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb


@dataclass(frozen=True)
class Case:
    """One row of the table: a team size and a sales cycle."""

    name: str
    reps: int
    variant: str


CASES = (
    Case("5 reps", 5, "standard"),
    Case("20 reps", 20, "standard"),
    Case("200 reps", 200, "standard"),
    Case("SMB 20 reps", 20, "smb"),
    Case("enterprise 20 reps", 20, "enterprise"),
)


def company_points(case: Case, seed: int, args: argparse.Namespace) -> list[BacktestPoint]:
    """Every company backtest point of the case's organisation (all scopes calibrated)."""
    folder: Path = args.dir / f"{case.variant}-{case.reps}-{seed}"
    spec = DemoSpec(
        reps=case.reps, quarters=args.quarters, seed=seed, variant=VARIANTS[case.variant]
    )
    if not (folder / "store.duckdb").exists():
        generate(spec, folder)
        backend = connect(str(folder / "store.duckdb"))
        try:
            import_files(raw_duckdb(backend), [folder])
        finally:
            backend.disconnect()
    backend = connect(str(folder / "store.duckdb"), read_only=True)
    try:
        history = load_history(backend)
    finally:
        backend.disconnect()
    periods = complete_periods(history, "UTC")
    settings = ForecastSettings(backtest_simulations=args.simulations)
    raw = backtest(history, periods, zone="UTC", settings=settings, weeks=args.weeks).points
    return raw


def row(case: Case, args: argparse.Namespace) -> list[str]:
    started = time.perf_counter()
    raw: list[BacktestPoint] = []
    calibrated: list[BacktestPoint] = []
    for seed in args.seeds:
        points = company_points(case, seed, args)
        raw += [p for p in points if p.scope == "company"]
        calibrated += [p for p in calibrated_points(points) if p.scope == "company"]
    scored = [(r, c) for r, c in zip(raw, calibrated, strict=True) if r.actual > 0]

    def error(values: list[float]) -> str:
        actual = np.array([r.actual for r, _ in scored])
        return f"{np.mean(np.abs(np.array(values) - actual) / actual):.1%}"

    def inside(points: list[BacktestPoint]) -> str:
        return f"{np.mean([p.p10 <= p.actual <= p.p90 for p in points]):.0%}"

    quarters = len({(seed, p.period) for seed in args.seeds for p in raw}) // max(
        len(args.seeds), 1
    )
    return [
        case.name,
        str(quarters),
        str(len(raw)),
        inside(raw),
        inside(calibrated),
        error([r.p50 for r, _ in scored]),
        error([c.p50 for _, c in scored]),
        error([r.run_rate for r, _ in scored]),
        f"{time.perf_counter() - started:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=9)
    parser.add_argument("--weeks", default="2,4,6,8,10,12")
    parser.add_argument("--seeds", default="11")
    parser.add_argument("--only", default="", help="Comma-separated case names to run.")
    parser.add_argument("--simulations", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/attain-bench-calibration"))
    args = parser.parse_args()
    args.weeks = tuple(int(week) for week in args.weeks.split(","))
    args.seeds = [int(seed) for seed in args.seeds.split(",")]
    chosen = [c for c in CASES if not args.only or c.name in args.only.split(",")]
    table = Table(
        "organisation",
        "quarters",
        "forecasts",
        "model coverage",
        "calibrated coverage",
        "model P50 error",
        "calibrated P50 error",
        "run-rate error",
        "seconds",
        title="Company P10–P90 coverage (80% is honest) and mean P50 error, backtested weeks "
        f"{','.join(map(str, args.weeks))}",
    )
    for case in chosen:
        table.add_row(*row(case, args))
    Console().print(table)


if __name__ == "__main__":
    main()
