"""Recall and precision of rep-level causes on demo organisations with planted causes, and the
time of `diagnose` against `report` on each.

Usage: python benchmarks/diagnosis_accuracy.py [--reps 200] [--quarters 5] [--seeds 1 2 3]
Prints the confusion table per cause and seed; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.scoring import score
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.metrics.report import performance_report
from attain.store import connect, raw_duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    table = Table(title=f"Rep-level causes, {args.reps} reps x {args.quarters} quarters")
    for header in ("seed", "cause", "TP", "FP", "FN", "TN", "recall", "precision"):
        table.add_column(header, justify="left" if header == "cause" else "right")
    timings = Table(title="diagnose vs report (seconds)")
    for header in ("seed", "report", "diagnose", "ratio"):
        timings.add_column(header, justify="right")
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            truth = generate(DemoSpec(reps=args.reps, quarters=args.quarters, seed=seed), folder)
            backend = connect(str(folder / "store.duckdb"))
            import_files(raw_duckdb(backend), [folder])
            start = time.perf_counter()
            performance_report(backend, as_of=truth.as_of)
            report_s = time.perf_counter() - start
            start = time.perf_counter()
            found = diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings())
            diagnose_s = time.perf_counter() - start
            backend.disconnect()
        for row in score(truth, found, set(found.sellers)):
            table.add_row(
                str(seed),
                row.cause,
                str(row.true_positives),
                str(row.false_positives),
                str(row.false_negatives),
                str(row.true_negatives),
                "—" if row.recall is None else f"{row.recall:.2f}",
                "—" if row.precision is None else f"{row.precision:.2f}",
            )
        timings.add_row(
            str(seed), f"{report_s:.2f}", f"{diagnose_s:.2f}", f"{diagnose_s / report_s:.1f}x"
        )
    Console().print(table)
    Console().print(timings)


if __name__ == "__main__":
    main()
