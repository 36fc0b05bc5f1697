"""Bookings from deals not yet created that will still be won this period.

Measured on the organisation's history at the same point of past periods: for windows as long
as what remains of the period (the win model's windows), the won amount per rep of deals
created inside each window. Simulations draw one past window for all reps at once, which keeps
the reps' good and bad periods together.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from attain.forecast.history import DealHistory


def new_business_samples(
    history: DealHistory, ends: list[pd.Timestamp], horizon: timedelta, owners: list[str]
) -> np.ndarray:
    """(windows × owners) won amount of deals created and won inside each past window."""
    samples = np.zeros((len(ends), len(owners)))
    deals = history.deals
    won = deals.loc[deals["is_won"].fillna(False).astype(bool)]
    column = won["owner_rep_id"].map({owner: i for i, owner in enumerate(owners)})
    won = won.assign(column=column).dropna(subset=["column"])
    created = won["created_at"].to_numpy()
    closed = won["closed_at"].to_numpy()
    amount = won["amount"].fillna(0.0).to_numpy(dtype=float)
    columns = won["column"].to_numpy(dtype=int)
    for row, end in enumerate(ends):
        start = np.datetime64(end - horizon)
        inside = (created > start) & (closed <= np.datetime64(end))
        np.add.at(samples[row], columns[inside], amount[inside])
    return samples
