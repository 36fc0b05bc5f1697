"""How many deals a planted stage-leakage rep has leaked by the diagnosis date, and whether any
test at the detector's significance could see it: the best case, knowing when the leak began.

Usage:
  python benchmarks/diagnosis_leak_sample.py [--variant enterprise] [--reps 40] [--quarters 5]
      [--seeds 31 32 33]

For every rep the demo plants stage leakage on, prints the deals that entered the leaking stage
since the cause began (the truth's `since`; the detector does not know it), how many of them
have left the stage by as_of (moved on, won or lost) and how many moved on, beside the deals the
detector counted (entered the stage in its window and left it by as_of). `p (oracle)` is the
one-sided binomial test of the leaked deals' rate against the peers' rate at that stage, with no
correction for the stages tested; the detector needs p below alpha ÷ stages tested in both of
its tests. When the oracle's p is above that, no honest test finds the rep from this data.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy.stats import binomtest

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.truth import Truth
from attain.demo.variants import VARIANTS
from attain.diagnosis import stage_leakage
from attain.diagnosis.context import build_context
from attain.diagnosis.finding import Skip
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

HEADERS = (
    *("seed", "rep", "stage", "entered since onset", "left", "moved on", "p (oracle)"),
    *("detector's deals", "found"),
)


def leaked(
    backend: Any, rep: str, stage: str, since: pd.Timestamp, later: list[str]
) -> tuple[int, int, int]:
    """(entered, left, moved on): the rep's deals that entered `stage` on or after `since`."""
    history = backend.execute(backend.table("opportunity_stages"))
    deals = backend.execute(backend.table("opportunities")).set_index("opportunity_id")
    mine = history[history["opportunity_id"].map(deals["owner_rep_id"]) == rep]
    entered = set(
        mine.loc[(mine["stage"] == stage) & (mine["entered_at"] >= since), "opportunity_id"]
    )
    onward = set(mine.loc[mine["stage"].isin(later), "opportunity_id"]) & entered
    won = {deal for deal in entered if deals.at[deal, "is_won"] is True}
    closed = {deal for deal in entered if pd.notna(deals.at[deal, "closed_at"])}
    return len(entered), len(onward | closed), len(onward | won)


def rows(spec: DemoSpec) -> list[tuple[str, ...]]:
    """One row per planted stage-leakage rep of one generated organisation."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        truth: Truth = generate(spec, folder)
        backend = connect(str(folder / "store.duckdb"))
        import_files(raw_duckdb(backend), [folder])
        ctx = build_context(backend, as_of=truth.as_of)
        funnel = stage_leakage.funnel_table(ctx)
        if isinstance(funnel, Skip):
            raise SystemExit(f"stage leakage skipped: {funnel.reason}")
        found = {f.id for f in stage_leakage.detect(ctx).findings}
        stages = list(spec.variant.funnel.stages)
        result = []
        for plant in truth.planted:
            if plant.cause != "stage_leakage":
                continue
            stage = str(plant.detail["stage"])
            since = pd.Timestamp(str(plant.detail["since"]))
            later = stages[stages.index(stage) + 1 :]
            n_in, n_left, n_on = leaked(backend, plant.rep_id, stage, since, later)
            row = funnel.rates.loc[(plant.rep_id, stage)]
            p = binomtest(n_on, n_left, float(row["peer_rate"]), "less").pvalue if n_left else 1.0
            counted = f"{int(row['rep_adv'])}/{int(row['rep_n'])}"
            cells = (spec.seed, plant.rep_id, stage, n_in, n_left, n_on, f"{p:.3f}", counted)
            result.append(tuple(map(str, (*cells, "yes" if plant.rep_id in found else "no"))))
        backend.disconnect()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="enterprise", choices=list(VARIANTS))
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--quarters", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[31, 32, 33])
    args = parser.parse_args()
    base = DemoSpec(reps=args.reps, quarters=args.quarters, seed=0, variant=VARIANTS[args.variant])
    alpha = stage_leakage.Thresholds().alpha
    table = Table(
        title=f"Stage leakage on {args.variant}: leaked deals by as_of (alpha {alpha} ÷ stages "
        "tested)"
    )
    for header in HEADERS:
        table.add_column(header, justify="left" if header in ("rep", "stage") else "right")
    for seed in args.seeds:
        for row in rows(replace(base, seed=seed)):
            table.add_row(*row)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
