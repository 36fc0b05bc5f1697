"""The forecast's cost: the Monte Carlo alone at issue 6's size (10,000 runs × 100,000 open
deals), reading the deal history, one full forecast, the backtest that calibrates its band
(what a first `attain forecast` of a data version adds), the win model's fit alone, one week-6
backtest point and one quarter's twelve weeks (one model for them all) on a large demo
organisation. Wall and CPU seconds: on a shared machine the CPU seconds are the
steadier measure.

Usage: python benchmarks/forecast.py [--reps 1000] [--quarters 8] [--dir DIR]
Reuses the organisation benchmarks/report.py builds in DIR (made once). Prints a table; it
asserts nothing: speed is measured here, not in the test suite.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from attain.forecast.backtest import backtest, complete_periods, default_periods
from attain.forecast.calibrated import week_of
from attain.forecast.forecast import forecast, previous_periods
from attain.forecast.history import DealHistory, known_at, load_history
from attain.forecast.settings import ForecastSettings
from attain.forecast.simulate import simulate
from attain.forecast.win_model import fit_win_model
from attain.metrics.coverage import end_of_day_utc
from attain.metrics.periods import quarter_of
from attain.store import connect
from report import prepare


def monte_carlo(deals: int, runs: int, owners: int) -> float:
    """Seconds for `runs` simulations of `deals` open deals spread over `owners` owners."""
    rng = np.random.default_rng(0)
    chance, value = rng.uniform(0, 1, deals), rng.uniform(1e3, 1e5, deals)
    owner = rng.integers(0, owners, deals)
    windows = rng.uniform(0, 1e5, (20, owners))
    start = time.perf_counter()
    simulate(chance, value, owner, owners, rng.uniform(0.7, 1.3, 20), windows, 0.15, runs, 1)
    return time.perf_counter() - start


class Clock:
    """Wall and CPU seconds since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def seconds(self) -> tuple[str, str]:
        return f"{time.perf_counter() - self.wall:.1f}", f"{time.process_time() - self.cpu:.1f}"


def win_model(history: DealHistory, as_of: date, settings: ForecastSettings) -> str:
    """Fit the forecast's win model as `forecast` does at the end of `as_of` (UTC); its card."""
    period = quarter_of(as_of)
    moment = pd.Timestamp(end_of_day_utc(as_of, "UTC"))
    ends = [
        pd.Timestamp(end_of_day_utc(p.end, "UTC"))
        for p in previous_periods(period, settings.lookback_periods)
    ]
    horizon: timedelta = pd.Timestamp(end_of_day_utc(period.end, "UTC")) - moment
    known = known_at(history, moment)
    clock = Clock()
    model = fit_win_model(
        known, moment, ends, horizon, jitter_days=settings.jitter_days, seed=settings.seed
    )
    wall, cpu = clock.seconds()
    auc = f", ROC AUC {model.card.roc_auc:.4f}" if model.card else ""
    return f"{model.method}, {model.examples:,} examples{auc} ({wall} s wall, {cpu} CPU s alone)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/attain-bench-report"))
    args = parser.parse_args()
    table = Table("measure", "wall s", "CPU s", "detail")
    clock = Clock()
    monte_carlo(100_000, 10_000, 1000)
    table.add_row("Monte Carlo", *clock.seconds(), "10,000 runs × 100,000 open deals, 1,000 reps")
    db, _, _, _ = prepare(args.dir, args.reps, args.quarters)
    backend = connect(str(db), read_only=True)
    settings = ForecastSettings()
    try:
        clock = Clock()
        history = load_history(backend)
        table.add_row("deal history", *clock.seconds(), f"{len(history.deals):,} deals")
        clock = Clock()
        result = forecast(
            backend, date(2026, 11, 13), zone="UTC", settings=settings, history=history
        )
        company = result.row("company")
        detail = (
            f"{args.reps} reps, {company.open_deals:,} open deals, {result.examples:,} training "
            f"examples, {settings.simulations:,} runs"
        )
        table.add_row("forecast", *clock.seconds(), detail)
    finally:
        backend.disconnect()
    week = week_of(result.period, result.as_of)
    earlier = [p for p in complete_periods(history, "UTC") if p.end < result.period.start]
    earlier = earlier[-settings.calibration_quarters :]
    clock = Clock()
    backtest(history, earlier, zone="UTC", settings=settings, weeks=[week])
    detail = f"week {week} of {len(earlier)} quarters (kept per data version after the first)"
    table.add_row("calibration", *clock.seconds(), detail)
    clock, detail = Clock(), win_model(history, result.as_of, settings)
    table.add_row("win model", *clock.seconds(), detail)
    period = default_periods(history, "UTC", 1)
    clock = Clock()
    backtest(history, period, zone="UTC", settings=settings, weeks=[6])
    table.add_row("backtest point", *clock.seconds(), f"{period[0].label} week 6, all scopes")
    clock = Clock()
    backtest(history, period, zone="UTC", settings=settings, weeks=range(1, 13))
    table.add_row("backtest quarter", *clock.seconds(), f"{period[0].label} weeks 1-12")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Console().print(table)
    Console().print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
