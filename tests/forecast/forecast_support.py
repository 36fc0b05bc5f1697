"""Hand-built deal histories and demo stores for the forecast tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.forecast.history import DealHistory, load_history, make_history
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

NO_STAGES = pd.DataFrame(
    {
        "opportunity_id": pd.Series(dtype=str),
        "stage": pd.Series(dtype=str),
        "entered_at": pd.Series(dtype="datetime64[us]"),
        "amount": pd.Series(dtype=float),
    }
)


def daily_wins(
    first: str, last: str, *, cycle_days: int = 10, amount: float = 1000.0
) -> DealHistory:
    """One deal created at noon each day, won `cycle_days` later for `amount`: every number a
    forecast of it should give can be counted by hand."""
    created = pd.date_range(f"{first} 12:00", f"{last} 12:00", freq="D")
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"d{i}" for i in range(len(created))],
            "owner_rep_id": "r1",
            "product_id": None,
            "created_at": created,
            "closed_at": created + pd.Timedelta(days=cycle_days),
            "is_won": True,
            "amount": amount,
        }
    )
    return make_history(deals, NO_STAGES, {"r1": "t1"})


def demo_history(folder: Path, *, reps: int, quarters: int, seed: int) -> DealHistory:
    """A generated demo organisation imported into a store, read back as a DealHistory."""
    generate(DemoSpec(reps=reps, quarters=quarters, seed=seed), folder)
    return imported_history(folder)


def imported_history(folder: Path) -> DealHistory:
    """The CSVs of `folder` imported into a store there, read back as a DealHistory."""
    backend = connect(str(folder / "store.duckdb"))
    try:
        import_files(raw_duckdb(backend), [folder])
        return load_history(backend)
    finally:
        backend.disconnect()
