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

from attain.store.ddl import OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE
from attain.store.point_in_time import history_rows, in_force

DEAL_COLUMNS = ["opportunity_id", "owner_rep_id", "product_id", "created_at", "closed_at"]
STAGE_COLUMNS = ["opportunity_id", "stage", "entered_at", "amount"]
SPAN_COLUMNS = ["valid_from", "valid_to"]
OWNER_SPAN_COLUMNS = ["opportunity_id", "owner_rep_id", *SPAN_COLUMNS]
TEAM_SPAN_COLUMNS = ["rep_id", "team_id", *SPAN_COLUMNS]


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
    stages = _with_seen_stages(backend, stages)
    reps = backend.execute(backend.table("reps").select("rep_id", "team_id"))
    teams = {
        str(rep): (None if pd.isna(team) else str(team))
        for rep, team in zip(reps["rep_id"], reps["team_id"], strict=True)
    }
    history = make_history(deals, stages, teams)
    return replace(
        history,
        owner_spans=_spans(backend, OPPORTUNITY_HISTORY_TABLE, OWNER_SPAN_COLUMNS),
        team_spans=_spans(backend, REP_HISTORY_TABLE, TEAM_SPAN_COLUMNS),
    )


def _with_seen_stages(backend: Any, stages: pd.DataFrame) -> pd.DataFrame:
    """`stages` plus each stage the deals' history saw a deal enter that `stages` lacks, entered
    when the first data version showing it was taken (with that version's amount).

    A CRM without a stage history (or one that omits a deal's moves) then still tells a backtest
    which stage each deal was in at each past week, as far as the imports saw it.
    """
    rows = history_rows(getattr(backend, "stored_table", backend.table), OPPORTUNITY_HISTORY_TABLE)
    if rows is None:
        return stages
    seen = backend.execute(
        rows.filter(
            ~rows.deleted.fill_null(False)
            & rows.version_from.notnull()  # seeded rows come from the stage entries
            & rows.stage.notnull()
            & rows.closed_at.isnull()  # a close is known from the deal itself
        ).select("opportunity_id", "stage", "amount", entered_at="valid_from")
    ).sort_values(["opportunity_id", "entered_at"], ignore_index=True)
    # A deal seen by one data version only says which stage it was in when that export was
    # taken, not that anything happened then: counting it would date every open deal's stage on
    # the day of a lone first import, and the history would seem to run to that day.
    versions = seen.groupby("opportunity_id")["stage"].transform("size")
    moved = (versions > 1) & (seen["stage"] != seen.groupby("opportunity_id")["stage"].shift())
    known = set(zip(stages["opportunity_id"], stages["stage"], strict=True))
    pairs = zip(seen["opportunity_id"], seen["stage"], strict=True)
    new = moved & pd.Series([pair not in known for pair in pairs], index=seen.index, dtype=bool)
    if not new.any():
        return stages
    added: pd.DataFrame = pd.concat([stages, seen.loc[new, STAGE_COLUMNS]], ignore_index=True)
    return added


def _spans(backend: Any, name: str, columns: list[str]) -> pd.DataFrame:
    """The history table `name`'s rows that were not deletions (`columns`), if it has any."""
    rows = history_rows(getattr(backend, "stored_table", backend.table), name)
    if rows is None:
        return _no_spans(columns)
    frame = backend.execute(rows.filter(~rows.deleted.fill_null(False)).select(*columns))
    for column in SPAN_COLUMNS:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    spans: pd.DataFrame = frame
    return spans


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
    deals = deals.reset_index(drop=True)
    open_then = deals.loc[deals["closed_at"].isna(), ["opportunity_id"]].assign(moment=cutoff)
    owners = in_force(history.owner_spans, "opportunity_id", "owner_rep_id", open_then)
    if len(owners):
        deals.loc[owners.index, "owner_rep_id"] = owners.to_numpy()
    return replace(history, deals=deals, stages=stages, rep_teams=teams_at(history, cutoff))


def teams_at(history: DealHistory, moment: pd.Timestamp) -> dict[str, str | None]:
    """Each rep's team at `moment`: from the reps' history where it says, else the stored one."""
    if history.team_spans.empty:
        return history.rep_teams
    reps = pd.DataFrame({"rep_id": list(history.rep_teams), "moment": moment})
    then = in_force(history.team_spans, "rep_id", "team_id", reps)
    teams = dict(history.rep_teams)
    for index, team in then.items():
        teams[str(reps.at[index, "rep_id"])] = None if pd.isna(team) else str(team)
    return teams


def booked(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per owner of deals closed in [start, end)."""
    deals = history.deals
    won = deals.loc[
        deals["is_won"].fillna(False).astype(bool)
        & (deals["closed_at"] >= start)
        & (deals["closed_at"] < end)
    ]
    return won.groupby("owner_rep_id")["amount"].sum().astype(float)


def booked_per_team(history: DealHistory, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Won amount per team of deals closed in [start, end), each in its owner's team at close
    (the reps' history; else the owner's stored team). Deals of reps without a team are left out.
    """
    deals = history.deals
    won = deals.loc[
        deals["is_won"].fillna(False).astype(bool)
        & (deals["closed_at"] >= start)
        & (deals["closed_at"] < end)
    ]
    closes = pd.DataFrame({"rep_id": won["owner_rep_id"], "moment": won["closed_at"]})
    teams = won["owner_rep_id"].map(history.rep_teams).astype(object)
    then = in_force(history.team_spans, "rep_id", "team_id", closes)
    teams.loc[then.index] = then.to_numpy()
    return won["amount"].groupby(teams.to_numpy()).sum().astype(float)
