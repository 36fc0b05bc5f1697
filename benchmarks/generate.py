"""Time the demo generator: rows, seconds and rows per second per table, and peak memory.

python benchmarks/generate.py --reps 1000 --quarters 8 [--out /tmp/demo-bench] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from attain.demo import DemoSpec, TableStep, generate
from attain.schema import TABLES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="selling reps")
    parser.add_argument("--quarters", type=int, default=8, help="calendar quarters")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="output folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="attain-demo-bench-"))
    rows = dict.fromkeys(TABLES, 0)
    seconds = dict.fromkeys(TABLES, 0.0)

    def tally(step: TableStep) -> None:
        rows[step.table] += step.rows
        seconds[step.table] += step.seconds

    started = time.perf_counter()
    generate(DemoSpec(reps=args.reps, quarters=args.quarters, seed=args.seed), out, tally)
    total = time.perf_counter() - started
    size = sum(file.stat().st_size for file in out.iterdir())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"demo generate --reps {args.reps} --quarters {args.quarters} -> {out}")
    print(f"{'table':<20} {'rows':>12} {'seconds':>9} {'rows/s':>12}")
    for name in TABLES:
        rate = rows[name] / seconds[name] if seconds[name] else 0.0
        print(f"{name:<20} {rows[name]:>12,} {seconds[name]:>9.2f} {rate:>12,.0f}")
    all_rows = sum(rows.values())
    print(f"{'total':<20} {all_rows:>12,} {total:>9.2f} {all_rows / total:>12,.0f}")
    print(f"files: {size / 2**30:.2f} GiB; peak RSS: {peak:,.0f} MiB")
    if not args.keep and args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    sys.exit(main())
