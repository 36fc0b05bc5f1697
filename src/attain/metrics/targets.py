"""Targets per rep, period and metric: the quota revision in force, or one target for everyone.

Both kinds are pro-rated by business days for reps employed for only part of a period, and keep
the unprorated `quota_target` as evidence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from attain.metrics.periods import BusinessCalendar, Period
from attain.store.handle import Store

SELLING_ROLE = "rep"
"""The role that carries a selling target when the data has no quotas."""

TARGET_KEYS = ["rep_id", "period_start", "period_end", "metric"]
TARGET_COLUMNS = [
    *TARGET_KEYS,
    "target",
    "quota_target",
    "prorated",
    "employed_from",
    "employed_to",
    "business_days_employed",
    "business_days",
    "revisions",
    "revision_history",
]
"""Columns of a targets frame; dates are datetime.date, revision_history a list of
(set_at, target) pairs in the order they were set (an empty set_at, i.e. before the period, first).
"""

ROSTER_COLUMNS = ["rep_id", "name", "team_id", "role", "hire_date", "end_date"]


def rep_roster(backend: Store) -> pd.DataFrame:
    """Every rep with name, team, role and employment dates (datetime64, NaT where unknown)."""
    reps = backend.table("reps")
    frame = backend.execute(reps.select(*ROSTER_COLUMNS))
    for column in ("hire_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    roster: pd.DataFrame = frame[ROSTER_COLUMNS]
    return roster


@dataclass(frozen=True)
class RosterEntry:
    """A rep as the roster lists them: shown next to their numbers, and what the access rules
    need (the team decides who else sees the rep)."""

    rep_id: str
    name: str
    team_id: str | None
    role: str


def rep_time_zones(backend: Store, default: str) -> dict[str, str]:
    """Each rep's IANA time zone: their own (reps.time_zone), else their team's, else
    `default` (the organisation's)."""
    reps = backend.table("reps")
    teams = backend.table("teams").select(t_id="team_id", t_zone="time_zone")
    joined = reps.left_join(teams, reps.team_id == teams.t_id)
    zone = joined.time_zone.coalesce(joined.t_zone, default)
    frame = backend.execute(joined.select("rep_id", zone=zone))
    return {str(rep): str(found) for rep, found in zip(frame["rep_id"], frame["zone"], strict=True)}


def team_or_none(team: Any) -> str | None:
    """A team id as text; None for a rep without a team (None, NaN or NA in a frame)."""
    return None if pd.isna(team) else str(team)


def roster_entries(backend: Store) -> list[RosterEntry]:
    """Every rep in the store, in the roster's order."""
    roster = rep_roster(backend)
    return [
        RosterEntry(str(rep), str(name), team_or_none(team), str(role))
        for rep, name, team, role in zip(
            roster["rep_id"], roster["name"], roster["team_id"], roster["role"], strict=True
        )
    ]


def quota_targets(
    backend: Store,
    metric: str | None = None,
    *,
    calendar: BusinessCalendar | None = None,
    prorate: bool = True,
) -> pd.DataFrame:
    """One row per rep, period and metric with the quota in force when the period began.

    In force: the latest revision set on or before the period's first day (set_at's UTC date;
    an empty set_at counts as before); when every revision came later, the earliest one. Rows
    keep how many revisions there were and their history, because mid-period raises matter.
    `prorate=False` is for CRMs whose quotas already allow for days employed.
    """
    quotas = backend.table("quotas")
    if metric is not None:
        quotas = quotas.filter(quotas.metric == metric)
    before = quotas.set_at.isnull() | (quotas.set_at.date() <= quotas.period_start)
    seconds = quotas.set_at.epoch_seconds()
    # Before the period: latest first (an empty set_at last); after it: earliest first.
    order = ibis.cases((before, -seconds.coalesce(-(10**12))), else_=seconds)
    keys = [quotas[name] for name in TARGET_KEYS]
    ranked = quotas.mutate(
        rank=ibis.row_number().over(
            group_by=keys, order_by=[ibis.cases((before, 0), else_=1), order]
        ),
        revisions=quotas.count().over(group_by=keys),
    )
    frame = backend.execute(ranked)
    if frame.empty:
        return _empty_targets()
    frame = frame.sort_values([*TARGET_KEYS, "set_at"], na_position="first", ignore_index=True)
    set_at = frame["set_at"].astype(object).where(frame["set_at"].notna(), None)
    pairs = list(zip(set_at, frame["target"].astype(float), strict=True))
    keys = frame[TARGET_KEYS]
    firsts = np.flatnonzero(keys.ne(keys.shift()).any(axis=1).to_numpy())
    bounds = [*firsts.tolist(), len(frame)]
    history = pd.Series(
        [pairs[start:stop] for start, stop in itertools.pairwise(bounds)],
        index=pd.MultiIndex.from_frame(keys.iloc[firsts]),
    )
    in_force = frame[frame["rank"] == 0].set_index(TARGET_KEYS)
    targets = pd.DataFrame(
        {
            "quota_target": in_force["target"].astype(float),
            "revisions": in_force["revisions"].astype(int),
            "revision_history": history.reindex(in_force.index),
        }
    ).reset_index()
    return _prorated(targets, rep_roster(backend), calendar or BusinessCalendar(), prorate)


def synthetic_targets(
    backend: Store,
    target: float,
    periods: list[Period],
    metric: str = "bookings",
    *,
    calendar: BusinessCalendar | None = None,
) -> pd.DataFrame:
    """`target` for every selling rep (role rep) employed in each period, for data without quotas.

    Used when the data holds no quotas (the CLI's --target); pro-rated like quotas.
    """
    roster = rep_roster(backend)
    selling = roster[roster["role"] == SELLING_ROLE]
    if selling.empty or not periods:
        return _empty_targets()
    spans = pd.DataFrame(
        {
            "period_start": pd.to_datetime([period.start for period in periods]),
            "period_end": pd.to_datetime([period.end for period in periods]),
        }
    ).drop_duplicates()
    pairs = selling[["rep_id", "hire_date", "end_date"]].merge(spans, how="cross")
    employed = ~(pairs["hire_date"] > pairs["period_end"]) & ~(
        pairs["end_date"] < pairs["period_start"]
    )
    targets = pairs.loc[employed, ["rep_id", "period_start", "period_end"]].assign(
        metric=metric, quota_target=float(target), revisions=0
    )
    targets["revision_history"] = [[] for _ in range(len(targets))]
    return _prorated(targets.reset_index(drop=True), roster, calendar or BusinessCalendar(), True)


def _prorated(
    targets: pd.DataFrame, roster: pd.DataFrame, calendar: BusinessCalendar, prorate: bool
) -> pd.DataFrame:
    """Scale each quota by the share of the period's business days the rep was employed.

    Without `prorate` the days are still counted, as evidence, but the quota is kept whole.
    """
    frame = targets.merge(roster[["rep_id", "hire_date", "end_date"]], on="rep_id", how="left")
    start = pd.to_datetime(frame["period_start"])
    end = pd.to_datetime(frame["period_end"])
    employed_from = frame["hire_date"].where(frame["hire_date"] > start, start)
    employed_to = frame["end_date"].where(frame["end_date"] < end, end)
    span = Period(start.min().date(), end.max().date())
    days = calendar.business_days(span).to_numpy().astype("datetime64[D]")
    employed = _count_days(days, employed_from, employed_to)
    total = _count_days(days, start, end)
    factor = np.where((total > 0) & prorate, employed / np.maximum(total, 1), 1.0)
    frame["target"] = frame["quota_target"] * factor
    frame["prorated"] = factor < 1.0
    frame["business_days_employed"] = np.minimum(employed, total)
    frame["business_days"] = total
    for column, values in (
        ("period_start", start),
        ("period_end", end),
        ("employed_from", employed_from),
        ("employed_to", employed_to),
    ):
        frame[column] = pd.Series(values).dt.date
    ordered: pd.DataFrame = frame[TARGET_COLUMNS].sort_values(TARGET_KEYS, ignore_index=True)
    return ordered


def _count_days(
    days: np.ndarray[Any, Any], first: pd.Series, last: pd.Series
) -> np.ndarray[Any, Any]:
    """How many of the sorted `days` (datetime64[D]) fall in each [first, last] (0 if reversed)."""
    lo = np.searchsorted(days, first.to_numpy().astype("datetime64[D]"), side="left")
    hi = np.searchsorted(days, last.to_numpy().astype("datetime64[D]"), side="right")
    counts: np.ndarray[Any, Any] = np.clip(hi - lo, 0, None)
    return counts


def _empty_targets() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype=object) for column in TARGET_COLUMNS})
    return frame.astype(
        {
            "target": float,
            "quota_target": float,
            "prorated": bool,
            "business_days_employed": int,
            "business_days": int,
            "revisions": int,
        }
    )


@dataclass(frozen=True)
class PeriodTargets:
    """Each rep's target for one period, and how it was found."""

    targets: dict[str, float]
    summed: frozenset[str]
    """Reps whose target is the sum of their targets for shorter periods inside this one
    (monthly quotas for a quarter); the others' was set for exactly this period."""
    uncovered: frozenset[str]
    """Reps with targets for shorter periods inside this one that leave days of it uncovered
    (two months of three) or overlap: no target is made up for them."""


def period_targets(targets: pd.DataFrame, period: Period) -> PeriodTargets:
    """The targets (a `quota_targets` frame of one metric) for exactly `period`; for a rep with
    none, the sum of theirs for shorter periods that lie inside it, when those cover each of
    its days once (three monthly quotas make a quarter's target; two do not)."""
    start, end = targets["period_start"], targets["period_end"]
    exact = targets[(start == period.start) & (end == period.end)]
    found = {str(r): float(t) for r, t in zip(exact["rep_id"], exact["target"], strict=True)}
    inside = targets[
        (start >= period.start) & (end <= period.end) & ~targets["rep_id"].isin(exact["rep_id"])
    ]
    if inside.empty:
        return PeriodTargets(found, frozenset(), frozenset())
    spans = inside.assign(
        first=pd.to_datetime(inside["period_start"]), last=pd.to_datetime(inside["period_end"])
    ).sort_values(["rep_id", "first"])
    spans["days"] = (spans["last"] - spans["first"]).dt.days + 1
    # Sorted by start, a span that begins on or before the previous one's end overlaps it.
    spans["overlaps"] = spans["first"] <= spans.groupby("rep_id")["last"].shift()
    per_rep = spans.groupby("rep_id").agg(
        days=("days", "sum"), overlaps=("overlaps", "any"), target=("target", "sum")
    )
    whole = (per_rep["days"] == (period.end - period.start).days + 1) & ~per_rep["overlaps"]
    summed = per_rep[whole]
    found.update({str(r): float(t) for r, t in zip(summed.index, summed["target"], strict=True)})
    return PeriodTargets(
        found,
        frozenset(str(r) for r in summed.index),
        frozenset(str(r) for r in per_rep.index[~whole]),
    )
