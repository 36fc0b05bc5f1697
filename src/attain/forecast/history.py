"""The deal history a forecast reads, and the same history as it stood at a past moment.

Every forecast works on `known_at(history, moment)`: deals created later are dropped, closes
after the moment are reopened (outcome and final amount unknown) and later stage entries are
removed, so a forecast for a past date cannot see what happened after it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

DEAL_COLUMNS = ["opportunity_id", "owner_rep_id", "product_id", "created_at", "closed_at"]
STAGE_COLUMNS = ["opportunity_id", "stage", "entered_at", "amount"]


@dataclass(frozen=True)
class DealHistory:
    """Deals (one row each, with is_won and final amount) and their stage entries.

    Timestamps are naive UTC, as the store keeps them. Deals without created_at are left out:
    nobody can say when they entered the pipeline (Maven's prospecting deals).
    """

    deals: pd.DataFrame
    stages: pd.DataFrame
    rep_teams: dict[str, str | None]

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


def load_history(backend: Any) -> DealHistory:
    """Read deals, stage entries and each rep's team from the store through Ibis."""
    opportunities = backend.table("opportunities")
    deals = backend.execute(
        opportunities.filter(opportunities.created_at.notnull()).select(
            *DEAL_COLUMNS, "is_won", "amount"
        )
    )
    stages = backend.execute(backend.table("opportunity_stages").select(*STAGE_COLUMNS))
    reps = backend.execute(backend.table("reps").select("rep_id", "team_id"))
    teams = {
        str(rep): (None if pd.isna(team) else str(team))
        for rep, team in zip(reps["rep_id"], reps["team_id"], strict=True)
    }
    return make_history(deals, stages, teams)


def make_history(
    deals: pd.DataFrame, stages: pd.DataFrame, rep_teams: dict[str, str | None]
) -> DealHistory:
    """A DealHistory from plain frames (columns as in the store), types normalised."""
    deals = deals.loc[deals["created_at"].notna()].copy()
    for column in ("created_at", "closed_at"):
        deals[column] = pd.to_datetime(deals[column]).astype("datetime64[us]")
    deals["is_won"] = deals["is_won"].astype("boolean")
    deals["amount"] = pd.to_numeric(deals["amount"], errors="coerce").astype(float)
    deals["product_id"] = deals["product_id"].astype(object).where(deals["product_id"].notna())
    stages = stages.loc[stages["opportunity_id"].isin(deals["opportunity_id"])].copy()
    stages["entered_at"] = pd.to_datetime(stages["entered_at"]).astype("datetime64[us]")
    stages["amount"] = pd.to_numeric(stages["amount"], errors="coerce").astype(float)
    stages = stages.sort_values(["entered_at", "opportunity_id"], ignore_index=True)
    return DealHistory(deals.reset_index(drop=True), stages, rep_teams)


def known_at(history: DealHistory, moment: datetime | pd.Timestamp) -> DealHistory:
    """The history as it stood at `moment`: nothing created, closed or entered later is known."""
    cutoff = pd.Timestamp(moment)
    deals = history.deals.loc[history.deals["created_at"] <= cutoff].copy()
    reopened = deals["closed_at"] > cutoff
    deals.loc[reopened, "closed_at"] = pd.NaT
    deals.loc[reopened, "is_won"] = pd.NA
    deals.loc[reopened, "amount"] = np.nan
    stages = history.stages.loc[
        (history.stages["entered_at"] <= cutoff)
        & history.stages["opportunity_id"].isin(deals["opportunity_id"])
    ]
    return replace(history, deals=deals.reset_index(drop=True), stages=stages)


def booked(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per owner of deals closed in [start, end)."""
    deals = history.deals
    won = deals.loc[
        deals["is_won"].fillna(False).astype(bool)
        & (deals["closed_at"] >= start)
        & (deals["closed_at"] < end)
    ]
    return won.groupby("owner_rep_id")["amount"].sum().astype(float)
