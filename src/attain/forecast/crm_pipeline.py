"""The CRM's own forecast numbers, shown beside Attain's, and its probabilities as a fallback.

Salesforce and HubSpot keep a win probability (0–100, stored 0–1) and a forecast category
(commit / best case / pipeline / omitted / closed) on every deal. Their weighted pipeline for a
period is Σ amount × probability over the open deals expected to close in it; the roll-up adds
the open amounts per category. Without stage history Attain has nothing of its own to learn
from, so each open deal's CRM probability stands in for the win model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from attain.metrics.periods import Period

CRM_COLUMNS = [
    "opportunity_id",
    "owner_rep_id",
    "stage",
    "amount",
    "probability",
    "forecast_category",
    "expected_close_date",
]
ROLL_UP = ("commit", "best_case", "pipeline")
"""Forecast categories of open deals the roll-up adds up, most certain first."""


@dataclass(frozen=True)
class CrmRollup:
    """What the CRM itself says for the period, from the open deals expected to close in it."""

    weighted_pipeline: float
    """Σ amount × probability over open deals closing in the period with a probability."""
    deals: int
    """Open deals expected to close in the period."""
    with_probability: int
    """Of those, the ones with a CRM probability."""
    categories: dict[str, float]
    """Open amount per forecast category (commit, best_case, pipeline), each category's deals
    closing in the period; cumulative calls are commit, commit + best case, and all three."""


def open_crm_deals(backend: Any, as_of: date) -> pd.DataFrame:
    """The deals open now and created by the end of `as_of`, with the CRM's fields (amounts
    in the corporate currency, as the opportunities view converts them)."""
    deals = backend.table("opportunities")
    day_after = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    found = backend.execute(
        deals.filter(
            deals.closed_at.isnull() & (deals.created_at < day_after.to_pydatetime())
        ).select(*CRM_COLUMNS)
    )
    frame: pd.DataFrame = found
    return frame


def crm_rollup(deals: pd.DataFrame, period: Period) -> CrmRollup | None:
    """The CRM's weighted pipeline and category roll-up for `period`; None when the deals carry
    neither a probability nor a forecast category."""
    if deals.empty or (
        deals["probability"].isna().all() and deals["forecast_category"].isna().all()
    ):
        return None
    closing = deals.loc[_closing_in(deals, period)]
    amount = closing["amount"].fillna(0.0).astype(float)
    weighted = float((amount * closing["probability"].astype(float)).sum(min_count=1) or 0.0)
    category = closing["forecast_category"].astype("string").str.lower()
    return CrmRollup(
        weighted_pipeline=weighted,
        deals=len(closing),
        with_probability=int(closing["probability"].notna().sum()),
        categories={name: float(amount[category == name].sum()) for name in ROLL_UP},
    )


def crm_probabilities(
    snapshot: pd.DataFrame, deals: pd.DataFrame, period: Period, rate: float
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Each open deal of `snapshot` won by the period end with its CRM probability when it is
    expected to close by then (0 when later; `rate` when it has none), with the deal's current
    stage and amount (without stage history the snapshot knows neither). None when no open
    deal has a CRM probability."""
    if snapshot.empty or deals["probability"].notna().sum() == 0:
        return None
    by_id = deals.set_index(deals["opportunity_id"].astype(str))
    ids = snapshot["opportunity_id"].astype(str)
    probability = ids.map(by_id["probability"]).astype(float).fillna(rate)
    due = pd.to_datetime(ids.map(by_id["expected_close_date"]))
    probability = probability.where(~(due > pd.Timestamp(period.end)), 0.0)
    current = ids.map(by_id["stage"])
    stage = current.where(current.notna(), snapshot["stage"])
    value = ids.map(by_id["amount"]).astype(float)
    value = value.where(value.notna(), snapshot["value"])
    return snapshot.assign(stage=stage, value=value), probability.to_numpy(dtype=float)


def _closing_in(deals: pd.DataFrame, period: Period) -> pd.Series:
    """The deals whose expected close date falls in `period`."""
    due = pd.to_datetime(deals["expected_close_date"])
    return (due >= pd.Timestamp(period.start)) & (due <= pd.Timestamp(period.end))
