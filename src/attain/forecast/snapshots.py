"""The open pipeline at given moments, with what was known about each deal then.

A row per deal open at a moment: its stage and days in it (from stage history; "(unknown)"
without one), age, value, product and the owner's win record so far. Value is the amount of the
latest stage entry; deals whose history has none are valued at their product's average won
amount, because a closed deal's recorded amount is its outcome (Maven records 0 on every loss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from attain.forecast.history import DealHistory, deal_key, stage_deals
from attain.store.point_in_time import in_force

UNKNOWN_STAGE = "(unknown)"
RECORD_WEIGHT = 10.0
"""Closed deals' worth of the company's win rate mixed into each rep's own (shrinkage)."""

FEATURES = [
    "stage",
    "days_in_stage",
    "age_days",
    "value",
    "product",
    "rep_win_rate",
]
"""What the win model sees of each open deal. Nothing that only grows with time (such as a rep's
count of closed deals): it would tell the model which past window a row came from, and every
forecast would sit beyond the range it was trained on."""
SNAPSHOT_COLUMNS = ["opportunity_id", "owner_rep_id", "moment", *FEATURES]
KEY = "deal_key"
"""The column of `keyed_open_at` holding each row's attain.forecast.history.deal_key."""
OWNER = "_owner"
"""The working column of each row's owner as a code of `_owner_codes`."""
ROW = "_deal_row"
"""The working column of each row's deal's place in the history's deals."""


def open_at(history: DealHistory, moments: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """Every deal open at each moment (created by it, not closed by it) with its features then."""
    return keyed_open_at(history, moments).drop(columns=KEY)


def keyed_open_at(
    history: DealHistory,
    moments: Sequence[pd.Timestamp],
    *,
    per_moment: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """`open_at` with each row's deal key in KEY (for joins on integers, not id strings); with
    `per_moment`, a random `per_moment` of the deals open at each moment that has more."""
    rows = _open_rows(history, moments, per_moment, seed)
    if rows.empty:
        return pd.DataFrame(columns=[*SNAPSHOT_COLUMNS, KEY])
    rows = _with_stage(rows, history)
    rows = _with_record(rows, _records(history))
    rows["value"] = rows["stage_amount"]
    unvalued = rows["value"].isna()
    if unvalued.any():
        rows.loc[unvalued, "value"] = _product_values(history, rows.loc[unvalued, "product_id"])
    # A resize within a stage shows in no stage entry, only in the data versions that saw it.
    seen = in_force(_keyed_amounts(history), KEY, "amount", rows, early=False)
    seen = seen.dropna()
    rows.loc[seen.index, "value"] = seen.astype(float).to_numpy()
    rows["age_days"] = (rows["moment"] - rows["created_at"]).dt.total_seconds() / 86400.0
    rows["days_in_stage"] = (
        rows["moment"] - rows["entered_at"].fillna(rows["created_at"])
    ).dt.total_seconds() / 86400.0
    rows["product"] = rows["product_id"].fillna("(none)").astype(str)
    return rows[[*SNAPSHOT_COLUMNS, KEY]].reset_index(drop=True)


def _keyed_amounts(history: DealHistory) -> pd.DataFrame:
    """The history's amount spans with each deal's key in KEY, made once per history:
    in_force matches the rows to them on integers instead of id strings (half its time)."""
    if "keyed_amounts" not in history.derived:
        spans = history.amount_spans
        ids = spans["opportunity_id"]
        strong = history.strong_keys
        keys = deal_key(ids, strong=strong) if len(spans) else np.empty(0, dtype=np.int64)
        history.derived["keyed_amounts"] = spans.assign(**{KEY: keys})
    keyed: pd.DataFrame = history.derived["keyed_amounts"]
    return keyed


def _product_values(history: DealHistory, products: pd.Series) -> np.ndarray:
    """Each product's average won amount (value_estimates), the overall one for products
    without one, 0 with no won deal at all."""
    estimate = value_estimates(history)
    fallback = estimate.pop(None, 0.0)
    values = products.astype(object).map(estimate)
    return values.fillna(fallback).to_numpy(dtype=float)


def _open_rows(
    history: DealHistory, moments: Sequence[pd.Timestamp], most: int | None, seed: int
) -> pd.DataFrame:
    """The deals open at each moment, one block of rows per moment in the given order (a
    random `most` of each moment that has more): their ids, owner, product, creation, KEY,
    OWNER and ROW, and the moment. Rows are picked as positions and the columns gathered once:
    a frame per moment and their concatenation took half of a snapshot's time (68 moments)."""
    deals = history.deals
    created = deals["created_at"].to_numpy()
    # Open at `then`: created <= then < closed and deleted, as int64 microseconds with a
    # missing creation never reached and a missing close or deletion never coming.
    ever = np.iinfo(np.int64).max
    born = np.where(np.isnat(created), ever, created.astype("datetime64[us]").view(np.int64))
    ends = [deals[name].to_numpy().astype("datetime64[us]") for name in ("closed_at", "deleted_at")]
    gone = np.minimum(*(np.where(np.isnat(end), ever, end.view(np.int64)) for end in ends))
    picked = []
    for moment in moments:
        then = np.datetime64(moment, "us").view(np.int64)
        picked.append(np.flatnonzero((born <= then) & (then < gone)))
    counts = [len(rows) for rows in picked]
    if not sum(counts):
        return pd.DataFrame()
    at = np.repeat(pd.DatetimeIndex(list(moments)).to_numpy().astype("datetime64[us]"), counts)
    place = np.concatenate(picked)
    if most is not None:
        kept = sampled(at, most, seed)
        place, at = place[kept], at[kept]
    # Text as the deals hold it (objects): pandas would infer its own strings from arrays.
    text = {
        name: pd.Series(deals[name].to_numpy()[place], dtype=deals[name].dtype)
        for name in ("opportunity_id", "owner_rep_id", "product_id")
    }
    return pd.DataFrame(
        {
            **text,
            "created_at": created[place],
            KEY: history.keys_of("deals")[place],
            OWNER: _owner_codes(history)[place],
            ROW: place,
            "moment": at,
        },
        copy=False,  # arrays made here
    )


def sampled(moments: np.ndarray, most: int, seed: int) -> np.ndarray:
    """The places of a uniform random `most` of the rows of each moment that has more (all the
    rows of the others), in order; `moments`: each row's moment.

    The rows `rows.groupby("moment").sample(n=most, random_state=seed)` keeps of the rows
    whose moment has more than `most`: one `RandomState(seed)` draws each such moment's rows,
    moment after moment in time order, as pandas does. Drawn before any feature is computed
    (each row's features are its own): the same rows as sampling the finished snapshot.
    """
    if len(moments) and np.all(moments[1:] >= moments[:-1]):
        # Already in time order (as _open_rows gives them): each moment's rows are one run,
        # found in one pass instead of by sorting (0.1 s of a weekly snapshot at 1,000 reps).
        starts = np.flatnonzero(np.concatenate([[True], moments[1:] != moments[:-1]]))
        sizes = np.diff(np.append(starts, len(moments)))
        group = np.repeat(np.arange(len(sizes)), sizes)
        by_moment = np.arange(len(moments))
    else:
        _, group, sizes = np.unique(moments, return_inverse=True, return_counts=True)
        # Each moment's rows in order, the moments in time order.
        by_moment = np.argsort(group, kind="stable")
        starts = np.cumsum(sizes) - sizes
    if not np.any(sizes > most):
        return np.arange(len(moments))
    keep = sizes[group] <= most
    draw = np.random.RandomState(seed)
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        if size > most:
            rows = by_moment[start : start + size]
            keep[rows[draw.choice(size, size=most, replace=False)]] = True
    return np.flatnonzero(keep)


def value_estimates(history: DealHistory) -> dict[str | None, float]:
    """Average won amount per product in the history, and overall under the key None."""
    deals = history.deals
    won = deals.loc[deals["is_won"].fillna(False).astype(bool) & deals["amount"].notna()]
    if won.empty:
        return {}
    means: dict[str | None, float] = {
        str(product): float(value)
        for product, value in won.groupby("product_id")["amount"].mean().items()
    }
    means[None] = float(won["amount"].mean())
    return means


def _with_stage(rows: pd.DataFrame, history: DealHistory) -> pd.DataFrame:
    """Stage, its entry time and amount at each row's moment (latest entry not after it),
    matched on the deals' keys."""
    stages, keys = history.stages, history.keys_of("stages")
    # Only the entries of the rows' deals: the same matches, without sorting every entry of
    # the history (1.5 M at 1,000 reps) by deal for each snapshot.
    deal_rows = stage_deals(history)
    if deal_rows is None:
        mine = pd.Series(keys).isin(rows[KEY].to_numpy()).to_numpy()
    else:  # the rows' deals marked, each entry looking up its own (the last place is none)
        wanted = np.zeros(len(history.deals) + 1, dtype=bool)
        wanted[rows[ROW].to_numpy()] = True
        mine = wanted[deal_rows]
    entries = stages.loc[mine, ["stage", "entered_at", "amount"]]
    entries = entries.rename(columns={"amount": "stage_amount"}).assign(**{KEY: keys[mine]})
    rows = rows.sort_values("moment", kind="stable")
    if entries.empty:
        merged = rows.assign(stage=UNKNOWN_STAGE, stage_amount=np.nan)
        merged["entered_at"] = pd.NaT
    else:
        merged = pd.merge_asof(
            rows,
            entries.astype({"entered_at": "datetime64[us]"}),
            left_on="moment",
            right_on="entered_at",
            by=KEY,
            direction="backward",
        )
    merged["stage"] = merged["stage"].fillna(UNKNOWN_STAGE).astype(str)
    merged["entered_at"] = pd.to_datetime(merged["entered_at"]).astype("datetime64[us]")
    return merged


def _owner_codes(history: DealHistory) -> np.ndarray:
    """Each deal's owner as an integer code (-1: none), hashed once per history."""
    if "owner_codes" not in history.derived:
        owners = history.deals["owner_rep_id"].to_numpy(dtype=object)
        history.derived["owner_codes"] = pd.factorize(owners)[0]
    codes: np.ndarray = history.derived["owner_codes"]
    return codes


def _records(history: DealHistory) -> pd.DataFrame:
    """The closed deals by close time, with each owner's running count of closes and wins and
    the company's: the same for every snapshot of a history, so computed once for it."""
    if "records" not in history.derived:
        deals = history.deals
        ended = deals["closed_at"].notna().to_numpy()
        closed = deals.loc[ended, ["closed_at", "is_won"]].assign(
            **{OWNER: _owner_codes(history)[ended]}
        )
        closed = closed.sort_values("closed_at", kind="stable")
        # Missing owners in no group, as grouping by the ids leaves them.
        codes = closed[OWNER].to_numpy()
        group = pd.Series(np.where(codes >= 0, codes, np.nan), index=closed.index)
        won = closed["is_won"].fillna(False).astype(float)
        history.derived["records"] = closed.assign(
            rep_closed=closed.groupby(group).cumcount() + 1.0,
            rep_won=won.groupby(group).cumsum(),
            all_closed=np.arange(1, len(closed) + 1, dtype=float),
            all_won=won.cumsum(),
        ).astype({"closed_at": "datetime64[us]"})
    records: pd.DataFrame = history.derived["records"]
    return records


def _with_record(rows: pd.DataFrame, closed: pd.DataFrame) -> pd.DataFrame:
    """Each owner's win rate from deals closed before the row's moment (`closed`: _records),
    shrunk towards the company's."""
    rows = rows.sort_values("moment", kind="stable")
    if closed.empty:
        rows = rows.assign(rep_closed=0.0, rep_won=0.0, company_rate=0.0)
    else:
        # Owners as integer codes for the join (missing owners share the code -1, as they
        # matched when the join was on the ids).
        mine = pd.merge_asof(
            rows,
            closed[["closed_at", "rep_closed", "rep_won", OWNER]],
            left_on="moment",
            right_on="closed_at",
            by=OWNER,
            direction="backward",
            allow_exact_matches=False,
        ).drop(columns=["closed_at"])
        company = pd.merge_asof(
            mine[["moment"]],
            closed[["closed_at", "all_closed", "all_won"]],
            left_on="moment",
            right_on="closed_at",
            direction="backward",
            allow_exact_matches=False,
        )
        rate = (company["all_won"] / company["all_closed"]).fillna(0.0).to_numpy()
        rows = mine.assign(company_rate=rate)
    rows["rep_closed"] = rows["rep_closed"].fillna(0.0)
    rows["rep_won"] = rows["rep_won"].fillna(0.0)
    rows["rep_win_rate"] = (rows["rep_won"] + RECORD_WEIGHT * rows["company_rate"]) / (
        rows["rep_closed"] + RECORD_WEIGHT
    )
    return rows
