"""Synthetic lead tables with a known signal, and the demo handle, for the lead tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from attain.demo.truth import Truth


def synthetic_leads(rows: int, *, seed: int = 0) -> pd.DataFrame:
    """Leads whose conversion depends on `engagement` (strongly) and `segment` (mildly); `noise`
    carries nothing; `status` and `converted_at` record the outcome (leakage)."""
    rng = np.random.default_rng(seed)
    engagement = rng.normal(size=rows)
    segment = rng.choice(["enterprise", "mid", "small"], size=rows)
    lift = pd.Series(segment).map({"enterprise": 0.8, "mid": 0.0, "small": -0.8}).to_numpy()
    probability = 1 / (1 + np.exp(-(2.5 * engagement + lift - 1.0)))
    converted = rng.random(rows) < probability
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(rows) * 30, unit="min")
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:06d}" for i in range(rows)],
            "created_at": created,
            "engagement": engagement.round(3),
            "segment": segment,
            "newsletter": rng.choice(["Yes", "No"], size=rows),
            "noise": rng.normal(size=rows).round(3),
            "status": np.where(converted, "converted", "working"),
            "converted_at": pd.Series(created).where(converted) + pd.Timedelta(days=9),
            "converted": converted,
        }
    )


@dataclass(frozen=True)
class Demo:
    """A generated demo organisation imported into a store, with its truth."""

    backend: Any
    truth: Truth
