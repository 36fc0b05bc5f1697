"""Snapshots of the open pipeline: each deal's value at a moment (its stage entry's amount, or
a resize the data versions saw within the stage), and the past windows' sample of deals.

Two open deals, both entering Proposal on 2026-01-05: d1 at 100, d2 at 300. The imports saw d1
resized to 150 from 2026-02-01 and to 200 from 2026-03-01, still in Proposal; d2 never changed.

| moment     | d1  | d2  |
|------------|-----|-----|
| 2026-01-15 | 100 | 300 |  (before any resize: the stage entry's amount)
| 2026-02-15 | 150 | 300 |
| 2026-03-15 | 200 | 300 |
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from forecast_support import NO_STAGES

from attain.forecast.history import DealHistory, make_history
from attain.forecast.snapshots import open_at, sampled

MOMENTS = [pd.Timestamp("2026-01-15"), pd.Timestamp("2026-02-15"), pd.Timestamp("2026-03-15")]


def _history() -> DealHistory:
    deals = pd.DataFrame(
        {
            "opportunity_id": ["d1", "d2"],
            "owner_rep_id": "r1",
            "product_id": None,
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-01"]),
            "closed_at": pd.NaT,
            "is_won": None,
            "amount": np.nan,
        }
    )
    stages = pd.concat(
        [
            NO_STAGES,
            pd.DataFrame(
                {
                    "opportunity_id": ["d1", "d2"],
                    "stage": "Proposal",
                    "entered_at": pd.to_datetime(["2026-01-05", "2026-01-05"]),
                    "amount": [100.0, 300.0],
                }
            ),
        ],
        ignore_index=True,
    )
    resizes = pd.DataFrame(
        {
            "opportunity_id": ["d1", "d1"],
            "amount": [150.0, 200.0],
            "valid_from": np.array(["2026-02-01", "2026-03-01"], dtype="datetime64[us]"),
            "valid_to": np.array(["2026-03-01", "NaT"], dtype="datetime64[us]"),
        }
    )
    return replace(make_history(deals, stages, {"r1": "t1"}), amount_spans=resizes)


def test_a_resize_within_the_stage_values_the_deal_from_its_version_on() -> None:
    snapshot = open_at(_history(), MOMENTS)
    values = {(str(row.opportunity_id), row.moment): row.value for row in snapshot.itertuples()}
    d1 = [values[("d1", moment)] for moment in MOMENTS]
    d2 = [values[("d2", moment)] for moment in MOMENTS]
    assert d1 == [100.0, 150.0, 200.0]
    assert d2 == [300.0, 300.0, 300.0]
    assert set(snapshot["stage"]) == {"Proposal"}


@pytest.mark.parametrize(
    ("days", "counts"),
    [
        (["2026-03-01", "2026-01-01", "2026-02-01", "2026-01-01"], [40, 7, 25, 30]),
        (["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"], [37, 7, 25, 40]),
    ],
    ids=["out of time order", "in time order"],
)
def test_the_sample_is_the_one_pandas_draws_per_moment(days: list[str], counts: list[int]) -> None:
    """`sampled` keeps the rows `groupby("moment").sample(n, random_state=seed)` keeps of the
    crowded moments, and every row of the others: moments out of time order, and in time order
    as _open_rows gives them (each moment's rows one run, found without sorting)."""
    draw = np.random.RandomState(3)
    moments = np.repeat(pd.to_datetime(days).to_numpy(), counts).astype("datetime64[us]")
    rows = pd.DataFrame({"moment": moments, "opportunity_id": draw.permutation(len(moments))})
    for most, seed in [(10, 0), (20, 7), (37, 1), (100, 0)]:
        crowded = rows.groupby("moment")["opportunity_id"].transform("size") > most
        if crowded.any():
            keep = rows.loc[crowded].groupby("moment").sample(n=most, random_state=seed)
            expected = np.sort(np.concatenate([np.flatnonzero(~crowded), keep.index]))
        else:
            expected = np.arange(len(rows))
        assert sampled(moments, most, seed).tolist() == expected.tolist()
