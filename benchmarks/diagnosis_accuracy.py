"""Recall and precision of rep-level causes on demo organisations of several shapes, and the
share of reps with findings on a clean organisation (no planted cause).

Usage:
  python benchmarks/diagnosis_accuracy.py [--reps 40] [--quarters 5] [--seeds 31 32 33]
      [--variants standard single_symptom ...] [--clean] [--small 5] [--no-icp] [--per-cause]

Each variant (see attain.demo.variants) is generated for every seed, imported, diagnosed as of
its last day and scored against its truth.json; recall and precision are pooled over the seeds.
`--clean` adds the standard organisation with no planted cause; `--small N` adds an N-rep
organisation (reported, not gated: too few peers to compare with). `--no-icp` diagnoses
without the demo's [icp], so lead criteria infer the profile from earlier deals. The default
seeds are ones no test uses (tests use 0-7, 9 and 11). Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.scoring import score
from attain.demo.variants import VARIANTS
from attain.diagnosis.finding import CAUSES
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb


@dataclass
class Tally:
    """Confusion counts pooled over seeds, per cause, and the reps diagnosed."""

    counts: dict[str, list[int]] = field(
        default_factory=lambda: {cause: [0, 0, 0] for cause in CAUSES}
    )
    sellers: int = 0
    flagged: int = 0
    seconds: float = 0.0

    def add(self, cause: str, tp: int, fp: int, fn: int) -> None:
        row = self.counts[cause]
        row[0], row[1], row[2] = row[0] + tp, row[1] + fp, row[2] + fn

    def total(self) -> tuple[int, int, int]:
        return tuple(sum(row[k] for row in self.counts.values()) for k in range(3))  # type: ignore[return-value]


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "—"


def run(spec: DemoSpec, use_icp: bool, tally: Tally) -> None:
    """Generate, import, diagnose and score one organisation into `tally`."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        truth = generate(spec, folder)
        backend = connect(str(folder / "store.duckdb"))
        import_files(raw_duckdb(backend), [folder])
        found = diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings() if use_icp else None)
        backend.disconnect()
        tally.seconds += time.perf_counter() - started
    sellers = set(found.sellers)
    for row in score(truth, found, sellers):
        tally.add(row.cause, row.true_positives, row.false_positives, row.false_negatives)
    tally.sellers += len(sellers)
    tally.flagged += len({f.id for f in found.findings if f.scope == "rep" and f.id in sellers})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--quarters", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[31, 32, 33])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--small", type=int, default=0)
    parser.add_argument("--no-icp", action="store_true")
    parser.add_argument("--per-cause", action="store_true")
    args = parser.parse_args()
    runs: dict[str, tuple[DemoSpec, Tally]] = {}
    base = DemoSpec(reps=args.reps, quarters=args.quarters, seed=0)
    for name in args.variants:
        runs[name] = (replace(base, variant=VARIANTS[name]), Tally())
    if args.clean:
        runs["clean"] = (replace(base, plant_share=0.0), Tally())
    if args.small:
        runs[f"{args.small}_reps"] = (replace(base, reps=args.small), Tally())
    console = Console(width=140)
    for name, (spec, tally) in runs.items():
        for seed in args.seeds:
            run(replace(spec, seed=seed), not args.no_icp, tally)
        console.print(f"{name}: {tally.seconds:.0f} s", highlight=False)
    console.print(_summary(runs, args))
    if args.per_cause:
        console.print(_per_cause(runs))


def _summary(runs: dict[str, tuple[DemoSpec, Tally]], args: argparse.Namespace) -> Table:
    table = Table(
        title=f"Rep-level causes: {args.reps} reps x {args.quarters} quarters, seeds "
        f"{' '.join(map(str, args.seeds))}, {'inferred' if args.no_icp else 'demo'} profile"
    )
    for header in ("variant", "planted", "TP", "FP", "FN", "recall", "precision", "reps flagged"):
        table.add_column(header, justify="left" if header == "variant" else "right")
    for name, (_, tally) in runs.items():
        tp, fp, fn = tally.total()
        table.add_row(
            name,
            str(tp + fn),
            str(tp),
            str(fp),
            str(fn),
            _ratio(tp, tp + fn),
            _ratio(tp, tp + fp),
            f"{tally.flagged}/{tally.sellers} ({_ratio(tally.flagged, tally.sellers)})",
        )
    return table


def _per_cause(runs: dict[str, tuple[DemoSpec, Tally]]) -> Table:
    table = Table(title="Recall / precision per cause (TP FP FN)")
    table.add_column("cause")
    for name in runs:
        table.add_column(name, justify="right")
    for cause in CAUSES:
        cells = []
        for _, tally in runs.values():
            tp, fp, fn = tally.counts[cause]
            cells.append(f"{_ratio(tp, tp + fn)}/{_ratio(tp, tp + fp)} ({tp} {fp} {fn})")
        table.add_row(cause, *cells)
    return table


if __name__ == "__main__":
    main()
