"""Win probability on the IBM sales win/loss sample: ROC AUC with only the fields known when a
deal is opened (honest) and with the stage-duration fields measured over the finished deal
(leaky). Usage: python benchmarks/win_loss.py [--data ../shared/data]. Asserts nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from attain.leads.leakage import leakage_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    path = args.data / "ibm_sales_win_loss" / "WA_Fn-UseC_-Sales-Win-Loss.csv"
    frame = pd.read_csv(path)
    durations = [c for c in frame.columns if "Days" in c or "Stage Change" in c]
    study = leakage_study(frame, "Opportunity Result", durations, exclude=["Opportunity Number"])
    table = Table(title=f"IBM win/loss, {len(frame):,} deals, 25% held out")
    for header in ("model", "features", "ROC AUC", "PR AUC", "Brier", "lift@10%", "honest?"):
        table.add_column(header, justify="left" if header in ("model", "honest?") else "right")
    for name, card, honest in (
        ("open-time fields", study.honest, "yes"),
        ("+ stage durations", study.leaky, "no: measured after close"),
    ):
        table.add_row(
            name,
            str(len(card.features)),
            f"{card.roc_auc:.3f}",
            f"{card.pr_auc:.3f}",
            f"{card.brier:.3f}",
            f"{card.lift_top_10:.2f}",
            honest,
        )
    Console().print(table)
    Console().print(f"Leaky fields add {study.inflation:.3f} ROC AUC: {', '.join(durations)}")


if __name__ == "__main__":
    main()
