"""The deal history a forecast reads, and the same history as it stood at a past moment.

Every forecast works on `known_at(history, moment)`: deals created later are dropped, closes
after the moment are reopened (outcome and final amount unknown) and later stage entries are
removed, so a forecast for a past date cannot see what happened after it. Where the store keeps
the deals' and reps' history (attain.store.point_in_time), a deal open at the moment has the
owner it had then and each rep the team they were in then, and a stage change the export's
stage history lacks is known from the first data version that showed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from pandas.util import hash_array

from attain.history.states import History as StoreHistory
from attain.history.states import load_history as read_store_history
from attain.metrics.targets import team_or_none
from attain.store.ddl import OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE
from attain.store.point_in_time import history_rows, in_force

DEAL_COLUMNS = ["opportunity_id", "owner_rep_id", "product_id", "created_at", "closed_at"]
STAGE_COLUMNS = ["opportunity_id", "stage", "entered_at", "amount"]
SPAN_COLUMNS = ["valid_from", "valid_to"]
OWNER_SPAN_COLUMNS = ["opportunity_id", "owner_rep_id", *SPAN_COLUMNS]
TEAM_SPAN_COLUMNS = ["rep_id", "team_id", *SPAN_COLUMNS]
AMOUNT_SPAN_COLUMNS = ["opportunity_id", "amount", *SPAN_COLUMNS]
HISTORY_TABLES = (OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE)


def _no_spans(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


@dataclass(frozen=True)
class DealHistory:
    """Deals (one row each, with is_won and final amount) and their stage entries.

    Timestamps are naive UTC, as the store keeps them. Deals without created_at are left out:
    nobody can say when they entered the pipeline (Maven's prospecting deals).
    """

    deals: pd.DataFrame
    stages: pd.DataFrame
    rep_teams: dict[str, str | None]
    owner_spans: pd.DataFrame = field(default_factory=lambda: _no_spans(OWNER_SPAN_COLUMNS))
    """Each deal's owner per span of the history [valid_from, valid_to); empty without one."""
    team_spans: pd.DataFrame = field(default_factory=lambda: _no_spans(TEAM_SPAN_COLUMNS))
    """Each rep's team per span of the history; empty without one."""
    amount_spans: pd.DataFrame = field(default_factory=lambda: _no_spans(AMOUNT_SPAN_COLUMNS))
    """Each open deal's amount per span of the data versions that saw it: resizes within a
    stage, which the stage entries miss; empty without a history."""
    _keys: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Keys computed so far, per frame; `replace` starts a new history without them."""

    def keys_of(self, frame: str) -> np.ndarray:
        """`deal_key` of each row of "deals", "stages" or "owner_spans", in order (computed once
        per DealHistory)."""
        if frame not in self._keys:
            self._keys[frame] = deal_key(getattr(self, frame)["opportunity_id"])
        return self._keys[frame]

    @property
    def first_close(self) -> pd.Timestamp | None:
        """The earliest recorded close: before it the data holds no outcomes to learn from."""
        closed = self.deals["closed_at"].dropna()
        return None if closed.empty else pd.Timestamp(closed.min())

    @property
    def last_event(self) -> pd.Timestamp:
        """The latest creation, close or stage entry: the moment the data was taken."""
        moments = [self.deals["created_at"].max(), self.deals["closed_at"].max()]
        if not self.stages.empty:
            moments.append(self.stages["entered_at"].max())
        return pd.Timestamp(max(moment for moment in moments if pd.notna(moment)))


def deal_key(ids: pd.Series) -> np.ndarray:
    """A 64-bit hash of each opportunity id. Joins and membership tests on these integers
    instead of the id strings are many times faster on a large store (1.5 M stage entries);
    two of a store's n ids share a hash with odds of about n² ÷ 2⁶⁵ (5 in a billion at 400,000
    deals)."""
    return np.asarray(hash_array(ids.to_numpy(dtype=object), categorize=False))


def load_history(backend: Any) -> DealHistory:
    """Read deals, stage entries and each rep's team from the store through Ibis, with what the
    store's history adds: deals deleted since (until their deletion), stage moves and amounts
    each data version saw, and owners' and teams' spans."""
    opportunities = backend.table("opportunities")
    deals = _read(
        backend,
        opportunities.filter(opportunities.created_at.notnull()).select(
            *DEAL_COLUMNS, "is_won", "amount"
        ),
    )
    stages = _read(backend, backend.table("opportunity_stages").select(*STAGE_COLUMNS))
    reps = backend.execute(backend.table("reps").select("rep_id", "team_id"))
    teams = {
        str(rep): team_or_none(team)
        for rep, team in zip(reps["rep_id"], reps["team_id"], strict=True)
    }
    past = _store_history(backend)
    if past is None:
        return make_history(deals, stages, teams)
    deleted = _deleted_deals(past.deals, deals["opportunity_id"])
    deals = pd.concat([deals, deleted])
    stages = _with_seen_stages(past.deals, stages, deleted["opportunity_id"])
    history = make_history(deals, stages, teams)
    rows = past.deals.loc[~past.deals["deleted"]]
    versioned_open = rows.loc[rows["version_from"].notna() & rows["closed_at"].isna()]
    return replace(
        history,
        owner_spans=_as_spans(rows, OWNER_SPAN_COLUMNS),
        team_spans=_as_spans(past.reps.loc[~past.reps["deleted"]], TEAM_SPAN_COLUMNS),
        amount_spans=_as_spans(versioned_open, AMOUNT_SPAN_COLUMNS),
    )


def _read(backend: Any, expr: Any) -> pd.DataFrame:
    """`expr`'s rows. From DuckDB through Arrow: Ibis' `execute` (Ibis 12) makes a Python list
    of every column that holds a null before pandas sees it, seconds a column at 400,000
    deals; make_history gives both kinds of frame the same types."""
    if getattr(backend, "name", None) != "duckdb":
        executed: pd.DataFrame = backend.execute(expr)
        return executed
    frame: pd.DataFrame = backend.to_pyarrow(expr).to_pandas()
    return frame


def _store_history(backend: Any) -> StoreHistory | None:
    """The store's deal and rep history (amounts converted as the deals' view converts them),
    or None where it keeps none."""
    stored = getattr(backend, "stored_table", None)
    if stored is None or all(history_rows(stored, name) is None for name in HISTORY_TABLES):
        return None
    return read_store_history(
        backend,
        currency=getattr(backend, "currency_settings", None),
        conversion_day=getattr(backend, "open_deals_day", None),
    )


def _deleted_deals(rows: pd.DataFrame, stored: pd.Series) -> pd.DataFrame:
    """Deals a full export deleted (no longer in `stored`), each as its last state before the
    deletion, with `deleted_at` the moment of the export that left it out."""
    # As objects: pandas' `str` isin makes a pyarrow scalar of each value in Python, seconds
    # for the hundreds of thousands of deals of a large store.
    ids = rows["opportunity_id"].astype(object)
    gone = rows.loc[rows["deleted"] & rows["valid_to"].isna() & ~ids.isin(stored.astype(object))]
    if gone.empty:
        return pd.DataFrame(columns=[*DEAL_COLUMNS, "is_won", "amount", "deleted_at"])
    before = rows.loc[~rows["deleted"] & ids.isin(gone["opportunity_id"].astype(object))]
    last = before.sort_values("valid_from", na_position="first").drop_duplicates(
        "opportunity_id", keep="last"
    )
    deleted_at = gone.set_index("opportunity_id")["valid_from"]
    found: pd.DataFrame = last.assign(
        product_id=None, deleted_at=last["opportunity_id"].map(deleted_at)
    )[[*DEAL_COLUMNS, "is_won", "amount", "deleted_at"]]
    return found


def _with_seen_stages(rows: pd.DataFrame, stages: pd.DataFrame, deleted: pd.Series) -> pd.DataFrame:
    """`stages` plus each stage the deals' history saw a deal enter that `stages` lacks, entered
    when the first data version showing it was taken (with that version's amount), and the
    stage entries seeded from an export's stage history for the `deleted` deals (their entries
    left the store with them).

    A CRM without a stage history (or one that omits a deal's moves) then still tells a backtest
    which stage each deal was in at each past week, as far as the imports saw it.
    """
    live = rows.loc[~rows["deleted"] & rows["stage"].notna()]
    ids = live["opportunity_id"].astype(object)  # see _deleted_deals
    seeded = live.loc[live["version_from"].isna() & ids.isin(deleted.astype(object))]
    # A close is known from the deal itself; seeded rows come from the stage entries.
    seen = live.loc[live["version_from"].notna() & live["closed_at"].isna()]
    seen = seen.rename(columns={"valid_from": "entered_at"})[STAGE_COLUMNS]
    seen = seen.sort_values(["opportunity_id", "entered_at"], ignore_index=True)
    # A deal seen by one data version only says which stage it was in when that export was
    # taken, not that anything happened then: counting it would date every open deal's stage on
    # the day of a lone first import, and the history would seem to run to that day.
    versions = seen.groupby("opportunity_id")["stage"].transform("size")
    moved = (versions > 1) & (seen["stage"] != seen.groupby("opportunity_id")["stage"].shift())
    # Lists, not the columns: iterating a pandas `str` column makes a Python object per value.
    known = set(zip(stages["opportunity_id"].tolist(), stages["stage"].tolist(), strict=True))
    pairs = zip(seen["opportunity_id"].tolist(), seen["stage"].tolist(), strict=True)
    new = moved & pd.Series([pair not in known for pair in pairs], index=seen.index, dtype=bool)
    entries = seeded.rename(columns={"valid_from": "entered_at"})[STAGE_COLUMNS]
    added: pd.DataFrame = pd.concat(
        [frame for frame in (stages, entries, seen.loc[new]) if not frame.empty] or [stages],
        ignore_index=True,
    )
    return added


def _as_spans(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of history rows, span bounds as naive microsecond timestamps."""
    frame = rows[columns].copy()
    for column in SPAN_COLUMNS:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame.reset_index(drop=True)


def make_history(
    deals: pd.DataFrame, stages: pd.DataFrame, rep_teams: dict[str, str | None]
) -> DealHistory:
    """A DealHistory from plain frames (columns as in the store), types normalised."""
    deals = deals.loc[deals["created_at"].notna()].copy()
    if "deleted_at" not in deals:
        deals["deleted_at"] = pd.NaT
    for column in ("created_at", "closed_at", "deleted_at"):
        deals[column] = pd.to_datetime(deals[column]).astype("datetime64[us]")
    deals["is_won"] = deals["is_won"].astype("boolean")
    deals["amount"] = pd.to_numeric(deals["amount"], errors="coerce").astype(float)
    deals["product_id"] = deals["product_id"].astype(object).where(deals["product_id"].notna())
    # Rows read from the history come as pandas strings, the store's own as objects: one kind,
    # or merges on the ids refuse them.
    deals = deals.astype({"opportunity_id": object, "owner_rep_id": object})
    stages = stages.astype({"opportunity_id": object, "stage": object})
    stages = stages.loc[stages["opportunity_id"].isin(deals["opportunity_id"])].copy()
    stages["entered_at"] = pd.to_datetime(stages["entered_at"]).astype("datetime64[us]")
    stages["amount"] = pd.to_numeric(stages["amount"], errors="coerce").astype(float)
    stages = stages.sort_values(["entered_at", "opportunity_id"], ignore_index=True)
    return DealHistory(deals.reset_index(drop=True), stages, rep_teams)


def known_at(history: DealHistory, moment: datetime | pd.Timestamp) -> DealHistory:
    """The history as it stood at `moment`: nothing created, closed, entered or deleted later
    is known, and deals deleted by then are gone."""
    cutoff = pd.Timestamp(moment)
    deals = history.deals
    gone = deals["deleted_at"] <= cutoff
    kept = ((deals["created_at"] <= cutoff) & ~gone).to_numpy()
    deals = deals.loc[kept].copy()
    deal_keys = history.keys_of("deals")[kept]
    deals["deleted_at"] = pd.NaT
    reopened = deals["closed_at"] > cutoff
    deals.loc[reopened, "closed_at"] = pd.NaT
    deals.loc[reopened, "is_won"] = pd.NA
    deals.loc[reopened, "amount"] = np.nan
    # Membership on the ids' keys, and only for the entries made by the cutoff.
    entered = (history.stages["entered_at"] <= cutoff).to_numpy(copy=True)
    entered[entered] = pd.Series(history.keys_of("stages")[entered]).isin(deal_keys).to_numpy()
    stages = history.stages.loc[entered]
    deals = deals.reset_index(drop=True)
    still_open = deals["closed_at"].isna().to_numpy()
    open_then = deals.loc[still_open, ["opportunity_id"]].assign(moment=cutoff)
    owners = in_force(
        _spans_of(history, deal_keys[still_open]), "opportunity_id", "owner_rep_id", open_then
    )
    if len(owners):
        deals.loc[owners.index, "owner_rep_id"] = owners.to_numpy()
    known = replace(history, deals=deals, stages=stages, rep_teams=teams_at(history, cutoff))
    # The keys of what was kept, and the spans' own (known_at keeps every span).
    known._keys.update(deals=deal_keys, stages=history.keys_of("stages")[entered])
    if "owner_spans" in history._keys:
        known._keys["owner_spans"] = history._keys["owner_spans"]
    return known


def _spans_of(history: DealHistory, keys: np.ndarray) -> pd.DataFrame:
    """The owner spans of the deals of these keys (matched on keys, not 1.9 M id strings)."""
    spans = history.owner_spans
    if spans.empty:
        return spans
    return spans.loc[pd.Series(history.keys_of("owner_spans")).isin(keys).to_numpy()]


def teams_at(history: DealHistory, moment: pd.Timestamp) -> dict[str, str | None]:
    """Each rep's team at `moment`: from the reps' history where it says, else the stored one."""
    if history.team_spans.empty:
        return history.rep_teams
    reps = pd.DataFrame({"rep_id": list(history.rep_teams), "moment": moment})
    then = in_force(history.team_spans, "rep_id", "team_id", reps)
    teams = dict(history.rep_teams)
    for index, team in then.items():
        teams[str(reps.at[index, "rep_id"])] = team_or_none(team)
    return teams


def won_between(deals: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Deals won in [start, end) that the CRM still holds (a deal deleted since is no booking,
    as it is none in attainment)."""
    won: pd.DataFrame = deals.loc[
        deals["is_won"].fillna(False).astype(bool)
        & (deals["closed_at"] >= start)
        & (deals["closed_at"] < end)
        & deals["deleted_at"].isna()
    ]
    return won


def booked(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per owner of deals closed in [start, end)."""
    won = won_between(history.deals, start, end)
    return won.groupby("owner_rep_id")["amount"].sum().astype(float)


def booked_per_team(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per team of deals closed in [start, end), each in its owner's team at close
    (the reps' history; else the owner's stored team). Deals of reps without a team are left out.
    """
    won = won_between(history.deals, start, end)
    closes = pd.DataFrame({"rep_id": won["owner_rep_id"], "moment": won["closed_at"]})
    teams = won["owner_rep_id"].map(history.rep_teams).astype(object)
    then = in_force(history.team_spans, "rep_id", "team_id", closes)
    teams.loc[then.index] = then.to_numpy()
    return won["amount"].groupby(teams.to_numpy()).sum().astype(float)
