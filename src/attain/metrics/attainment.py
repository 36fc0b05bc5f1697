"""Attainment per rep, team and company: actual ÷ target for each period and metric.

Reps with actuals, or active selling reps, who have no target in a period are listed apart so
that they are seen rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

import numpy as np
import pandas as pd

from attain.metrics.facts import daily_actuals
from attain.metrics.periods import Period
from attain.metrics.targets import SELLING_ROLE, rep_roster
from attain.store.handle import Store
from attain.store.point_in_time import in_force, rep_team_spans, rep_teams_at

Scope = Literal["rep", "team", "company"]
COMPANY_ID = "company"
COMPANY_NAME = "Company"

ATTAINMENT_COLUMNS = [
    "rep_id",
    "team_id",
    "period_start",
    "period_end",
    "metric",
    "target",
    "quota_target",
    "actual",
    "attainment",
    "prorated",
    "revisions",
]
"""Columns of the rep-level attainment frame that classification, goals and ratcheting read."""

PERIOD_KEYS = ["period_start", "period_end", "metric"]
_SUMMED = ["target", "quota_target", "actual", "revisions"]


@dataclass(frozen=True)
class ScopedRow:
    """Whose row it is (a rep, a team or the company) and the period it covers; the fields that
    attainment, pacing and coverage rows begin with."""

    scope: Scope
    id: str
    name: str
    team_id: str | None
    period_start: date
    period_end: date


RowIdentity = tuple[Scope, str, str, str | None, date, date]
"""A `ScopedRow`'s fields in order, as `row_identity` gives them."""


def row_identity(
    scope: Scope, row: dict[Hashable, Any], names: dict[str, str], start: date, end: date
) -> RowIdentity:
    """The `ScopedRow` fields of a result frame's row keyed by `id`; a name missing from `names`
    is the id itself."""
    key = str(row["id"])
    return scope, key, names.get(key, key), optional_text(row["team_id"]), start, end


@dataclass(frozen=True)
class AttainmentRow(ScopedRow):
    """A rep's, team's or the company's target, actual and their ratio for one period and metric.

    `attainment` is None when the target is 0 or missing; teams and the company sum their reps.
    """

    metric: str
    target: float
    quota_target: float
    actual: float
    attainment: float | None
    prorated: bool
    revisions: int


@dataclass(frozen=True)
class UnquotedRep:
    """A rep with no target in a period although they had actuals or were an active seller."""

    rep_id: str
    name: str
    team_id: str | None
    period_start: date
    period_end: date
    metric: str
    actual: float
    active_seller: bool


@dataclass(frozen=True)
class AttainmentReport:
    """Attainment rows (company, teams, reps per period and metric) and reps without a target."""

    rows: list[AttainmentRow]
    unquoted: list[UnquotedRep]
    frame: pd.DataFrame = field(repr=False, compare=False)
    """The rep-level frame (ATTAINMENT_COLUMNS) the rows were built from."""


def period_actuals(
    backend: Store, metric: str, periods: list[Period], zone: str = "UTC"
) -> pd.DataFrame:
    """Each rep's total of `metric` in each period: rep_id, period_start, period_end, actual.

    Only reps with a value in the period appear; days are local days of `zone`.
    """
    if not periods:
        return _no_actuals()
    first = min(period.start for period in periods)
    last = max(period.end for period in periods)
    daily = daily_actuals(backend, metric, first, last, zone)
    days = daily["day"].to_numpy()
    frames = []
    for period in sorted(set(periods)):
        inside = (days >= np.datetime64(period.start)) & (days <= np.datetime64(period.end))
        sums = daily["value"][inside].groupby(daily["rep_id"][inside]).sum()
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": sums.index,
                    "period_start": period.start,
                    "period_end": period.end,
                    "actual": sums.to_numpy(),
                }
            )
        )
    return pd.concat([_no_actuals(), *frames], ignore_index=True)[_ACTUAL_COLUMNS]


def rep_attainment(backend: Store, targets: pd.DataFrame, zone: str = "UTC") -> pd.DataFrame:
    """The rep-level attainment frame (ATTAINMENT_COLUMNS) for every row of `targets`."""
    actuals = _actuals(backend, targets, zone)
    return _rep_frame(targets, actuals, rep_roster(backend), _teams_then(backend, targets))


def attainment_report(backend: Store, targets: pd.DataFrame, zone: str = "UTC") -> AttainmentReport:
    """Attainment of every rep, team and the company, plus the reps who have no target."""
    roster = rep_roster(backend)
    actuals = _actuals(backend, targets, zone)
    reps = _rep_frame(targets, actuals, roster, _teams_then(backend, targets))
    teams = _rollup(_team_shares(backend, reps, zone), ["team_id"])
    names = scope_names(backend, roster)
    rows = [
        *_rows(_rollup(reps, []).assign(id=COMPANY_ID), "company", names["company"]),
        *_rows(teams.assign(id=teams["team_id"]), "team", names["team"]),
        *_rows(reps.rename(columns={"rep_id": "id"}), "rep", names["rep"]),
    ]
    rows.sort(key=lambda row: (row.period_start, row.period_end, row.metric, _RANK[row.scope]))
    return AttainmentReport(rows, _unquoted(targets, actuals, roster), reps[ATTAINMENT_COLUMNS])


def scope_names(backend: Store, roster: pd.DataFrame) -> dict[Scope, dict[str, str]]:
    """Display names of reps, teams and the company, by scope and id."""
    teams = backend.execute(backend.table("teams").select("team_id", "name"))
    return {
        "rep": dict(zip(roster["rep_id"], roster["name"], strict=True)),
        "team": dict(zip(teams["team_id"], teams["name"], strict=True)),
        "company": {COMPANY_ID: COMPANY_NAME},
    }


def periods_in(frame: pd.DataFrame) -> list[Period]:
    """The distinct periods of a frame with period_start and period_end columns, in order."""
    pairs = zip(frame["period_start"], frame["period_end"], strict=True)
    return sorted({Period(start, end) for start, end in pairs})


def in_period(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of `frame` for `period`."""
    rows: pd.DataFrame = frame[
        (frame["period_start"] == period.start) & (frame["period_end"] == period.end)
    ]
    return rows


def scoped(reps: pd.DataFrame, totals: list[str]) -> list[tuple[Scope, pd.DataFrame]]:
    """Company, team and rep frames (keyed by `id`) of rep rows; company and teams sum `totals`.

    Reps without a team count only in the company.
    """
    company = reps[totals].sum().to_frame().T.assign(id=COMPANY_ID, team_id=None)
    teams = reps.dropna(subset=["team_id"]).groupby("team_id", as_index=False)[totals].sum()
    return [
        ("company", company),
        ("team", teams.assign(id=teams["team_id"])),
        ("rep", reps.rename(columns={"rep_id": "id"})),
    ]


def _rollup(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sum targets, actuals and revisions of rep rows per period and metric (and `by`).

    Rows whose `by` columns are empty (a rep without a team) count only in the company total.
    """
    keys = [*by, *PERIOD_KEYS]
    rows = frame.dropna(subset=by) if by else frame
    summed = rows.groupby(keys, as_index=False).agg(
        **{column: (column, "sum") for column in _SUMMED}, prorated=("prorated", "any")
    )
    summed["attainment"] = _ratios(summed["actual"], summed["target"])
    if "team_id" not in summed:
        summed["team_id"] = None
    return summed


_RANK: dict[Scope, int] = {"company": 0, "team": 1, "rep": 2}
_PERIOD_ROWS = ["rep_id", "period_start", "period_end", "metric"]
_ACTUAL_COLUMNS = ["rep_id", "period_start", "period_end", "actual"]


def _actuals(backend: Store, targets: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Every rep's actual in each period and metric of `targets`, whether targeted or not."""
    frames = [
        period_actuals(backend, str(metric), periods_in(group), zone).assign(metric=metric)
        for metric, group in targets.groupby("metric", sort=False)
    ]
    return pd.concat([_no_actuals().assign(metric=""), *frames], ignore_index=True)


def _no_actuals() -> pd.DataFrame:
    columns = {column: pd.Series(dtype=object) for column in _ACTUAL_COLUMNS}
    return pd.DataFrame(columns).astype({"actual": float})


def _teams_then(backend: Store, targets: pd.DataFrame) -> pd.DataFrame | None:
    """Each rep's team at the end of each period of `targets` (rep_id, period_end, team_id) by
    the reps' history; None where the store keeps none.

    A rep who moved team keeps their earlier periods, target and bookings, in their earlier
    team; one who moved within a period is listed in the team they ended it in, and the teams'
    totals split the period between the teams (`_team_shares`).
    """
    ends = sorted({period.end for period in periods_in(targets)})
    teams = rep_teams_at(backend, [datetime.combine(end, time.max) for end in ends])
    if teams is None:
        return None
    return teams.assign(period_end=pd.to_datetime(teams["moment"]).dt.date).drop(columns="moment")


def _team_shares(backend: Store, reps: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Rep rows as teams sum them: a rep who changed team within a period counts in each team
    for the part of it spent there.

    Each day's actual goes to the team the rep was in that day (a booking to the team at close),
    the target to each team in proportion to the rep's days in it, and the period's target
    revisions to the team the rep ended it in. Rows of reps who never moved pass unchanged.
    """
    spans = rep_team_spans(backend)
    if spans is None:
        return reps
    teams_seen = spans.groupby("rep_id")["team_id"].nunique(dropna=False)
    moving = reps.loc[reps["rep_id"].isin(teams_seen.index[teams_seen > 1])]
    if moving.empty:
        return reps
    days = _days_in_teams(moving, spans)
    daily = pd.concat(
        [
            daily_actuals(
                backend, str(metric), min(group["day"]).date(), max(group["day"]).date(), zone
            ).assign(metric=metric)
            for metric, group in days.groupby("metric")
        ]
    )
    days = days.merge(daily, on=["rep_id", "day", "metric"], how="left")
    shares = days.groupby(["_row", "team_id"], dropna=False, as_index=False).agg(
        days=("day", "size"), actual=("value", "sum")
    )
    rows = moving.drop(columns=["team_id", "actual"]).loc[shares["_row"]].reset_index(drop=True)
    length = shares.groupby("_row")["days"].transform("sum").to_numpy()
    fraction = shares["days"].to_numpy() / length
    ended_in = moving["team_id"].loc[shares["_row"]].to_numpy() == shares["team_id"].to_numpy()
    rows = rows.assign(
        team_id=shares["team_id"].to_numpy(),
        actual=shares["actual"].fillna(0.0).to_numpy(),
        target=rows["target"] * fraction,
        quota_target=rows["quota_target"] * fraction,
        revisions=np.where(ended_in, rows["revisions"], 0),
    )
    split: pd.DataFrame = pd.concat([reps.drop(index=moving.index), rows], ignore_index=True)
    return split


def _days_in_teams(rows: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """Every day of each row's period (index `_row`, rep_id, metric, day) with the team the rep
    was in at its end; days the history cannot place keep the row's team."""
    ranges = pd.Series(
        [
            pd.date_range(start, end)
            for start, end in zip(rows["period_start"], rows["period_end"], strict=True)
        ],
        index=rows.index,
        dtype=object,
    )
    days = rows.assign(day=ranges).explode("day")
    days = days.reset_index(names="_row")[["_row", "rep_id", "metric", "team_id", "day"]]
    days["day"] = pd.to_datetime(days["day"])
    asked = days.assign(moment=days["day"] + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1))
    then = in_force(spans, "rep_id", "team_id", asked)
    days.loc[then.index, "team_id"] = then.to_numpy()
    return days


def _rep_frame(
    targets: pd.DataFrame,
    actuals: pd.DataFrame,
    roster: pd.DataFrame,
    teams_then: pd.DataFrame | None = None,
) -> pd.DataFrame:
    frame = targets.merge(actuals, on=_PERIOD_ROWS, how="left").merge(
        roster[["rep_id", "team_id"]], on="rep_id", how="left"
    )
    if teams_then is not None:
        then = frame[["rep_id", "period_end"]].merge(
            teams_then, on=["rep_id", "period_end"], how="left", indicator=True
        )
        known = (then["_merge"] == "both").to_numpy()
        frame["team_id"] = frame["team_id"].astype(object).where(~known, then["team_id"].to_numpy())
    frame["actual"] = frame["actual"].fillna(0.0).astype(float)
    frame["team_id"] = frame["team_id"].astype(object).where(frame["team_id"].notna(), None)
    frame["attainment"] = _ratios(frame["actual"], frame["target"])
    result: pd.DataFrame = frame[ATTAINMENT_COLUMNS]
    return result


def _unquoted(
    targets: pd.DataFrame, actuals: pd.DataFrame, roster: pd.DataFrame
) -> list[UnquotedRep]:
    """Reps with actuals, or active selling reps, lacking a target in a period of `targets`."""
    spans = targets[["period_start", "period_end", "metric"]].drop_duplicates()
    active = roster[roster["role"] == SELLING_ROLE].merge(spans, how="cross")
    active = active[
        ~(active["hire_date"] > pd.to_datetime(active["period_end"]))
        & ~(active["end_date"] < pd.to_datetime(active["period_start"]))
    ]
    candidates = actuals.merge(
        active[_PERIOD_ROWS].assign(active_seller=True), on=_PERIOD_ROWS, how="outer"
    ).merge(targets[_PERIOD_ROWS].assign(has_target=True), on=_PERIOD_ROWS, how="left")
    missing = candidates[candidates["has_target"].isna()].merge(
        roster[["rep_id", "name", "team_id"]], on="rep_id", how="left"
    )
    missing = missing.assign(
        actual=missing["actual"].fillna(0.0),
        active_seller=missing["active_seller"].fillna(False).astype(bool),
        name=missing["name"].fillna(missing["rep_id"]),
    ).sort_values(["period_start", "metric", "rep_id"])
    return [
        UnquotedRep(
            rep_id=str(row["rep_id"]),
            name=str(row["name"]),
            team_id=optional_text(row["team_id"]),
            period_start=row["period_start"],
            period_end=row["period_end"],
            metric=str(row["metric"]),
            actual=float(row["actual"]),
            active_seller=bool(row["active_seller"]),
        )
        for row in records(missing)
    ]


def _ratios(actual: pd.Series, target: pd.Series) -> pd.Series:
    """actual ÷ target per row, None where the target is 0 or missing."""
    valid = target.notna() & (target != 0)
    ratios = (actual / target.where(valid, 1.0)).astype(object)
    return ratios.where(valid, None)


def _rows(frame: pd.DataFrame, scope: Scope, names: dict[str, str]) -> list[AttainmentRow]:
    return [
        AttainmentRow(
            *row_identity(scope, row, names, row["period_start"], row["period_end"]),
            metric=str(row["metric"]),
            target=float(row["target"]),
            quota_target=float(row["quota_target"]),
            actual=float(row["actual"]),
            attainment=optional_number(row["attainment"]),
            prorated=bool(row["prorated"]),
            revisions=int(row["revisions"]),
        )
        for row in records(frame)
    ]


def records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    """The rows of a small result frame as dicts, for building result dataclasses."""
    rows: list[dict[Hashable, Any]] = frame.to_dict("records")
    return rows


def optional_text(value: Any) -> str | None:
    """`value` as text, or None where it is missing."""
    return None if value is None or pd.isna(value) else str(value)


def optional_number(value: Any) -> float | None:
    """`value` as a float, or None where it is missing."""
    return None if value is None or pd.isna(value) else float(value)
