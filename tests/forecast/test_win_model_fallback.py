"""The deal-level win model is used only when it ranks held-out deals better than the plain
stage rates and with ROC AUC of at least 0.6; otherwise the stage rates stand in, and say why.

Examples are built as fit_win_model builds them (one row per deal open at a window start, label
won inside the window) and the model is trained the same way, on 800 deals over 40 weekly
windows: in the first set the outcome is a coin toss, in the second it follows the deal's value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attain.forecast.snapshots import FEATURES
from attain.forecast.win_model import HOLDOUT, LABEL, stage_fallback, stage_rates
from attain.leads.model import train


def examples(label_from_value: bool) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = 800
    value = rng.uniform(1_000, 100_000, rows)
    frame = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(rows)],
            "stage": rng.choice(["Discovery", "Proposal", "Negotiation"], rows),
            "days_in_stage": rng.integers(0, 60, rows).astype(float),
            "age_days": rng.integers(0, 200, rows).astype(float),
            "value": value,
            "product": rng.choice(["A", "B"], rows),
            "rep_win_rate": rng.uniform(0.2, 0.4, rows),
            "moment": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(rows) // 20, "W"),
        }
    )
    won = value > 50_000 if label_from_value else rng.random(rows) < 0.3
    frame[LABEL] = won.astype(int)
    return frame


def trained(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    return train(
        frame[[*FEATURES, "moment", LABEL]], LABEL, time_column="moment", holdout=HOLDOUT, seed=0
    )


def test_a_model_of_coin_tosses_falls_back_to_the_stage_rates() -> None:
    frame = examples(label_from_value=False)
    model = trained(frame)
    rates, reason = stage_fallback(frame, model)
    assert model.card.roc_auc < 0.6
    assert reason == f"the deal model's ROC AUC {model.card.roc_auc:.2f} is below 0.6"
    assert rates == stage_rates(frame)
    counts = frame.groupby("stage")[LABEL].agg(["sum", "count"])
    overall = frame[LABEL].mean()
    assert rates["Proposal"] == (counts.loc["Proposal", "sum"] + overall) / (
        counts.loc["Proposal", "count"] + 1
    )


def test_a_model_that_ranks_deals_better_than_the_stages_is_kept() -> None:
    frame = examples(label_from_value=True)
    model = trained(frame)
    assert model.card.roc_auc > 0.9
    assert stage_fallback(frame, model) == ({}, "")
