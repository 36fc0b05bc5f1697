"""The pandas baseline of benchmarks/scale.py: Attain's attainment, channel funnel and follow-up
counts written plainly in pandas from the CSV exports, and the check that both give the same.

Each function computes what the Attain function named in its docstring returns, by the same
rules, so that the timing compares like with like and `differences` can prove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from attain.diagnosis.follow_up import OWED_TYPES
from attain.leads.channels import CHANNELS, FUNNEL_COUNTS, TOP_REASONS, ChannelReport
from attain.metrics.periods import Period

METRIC = "bookings"
RTOL = 1e-9


@dataclass(frozen=True)
class Metrics:
    """The three results in one comparable shape, from pandas or from Attain."""

    attainment: pd.DataFrame  # per rep and period: team_id, target, actual, revisions
    channels: pd.DataFrame  # per dimension and channel: FUNNEL_COUNTS, median, reasons
    follow_up: pd.DataFrame  # per seller: owed, overdue


def load(files: Path) -> dict[str, pd.DataFrame]:
    """Read the columns the three metrics need from the CSV exports."""
    return {
        "reps": pd.read_csv(files / "reps.csv", usecols=["rep_id", "team_id"]),
        "quotas": pd.read_csv(
            files / "quotas.csv",
            usecols=["rep_id", "period_start", "period_end", "metric", "target", "set_at"],
            parse_dates=["period_start", "period_end", "set_at"],
        ),
        "opportunities": pd.read_csv(
            files / "opportunities.csv",
            usecols=[
                "opportunity_id",
                "owner_rep_id",
                "lead_id",
                "created_at",
                "closed_at",
                "is_won",
                "amount",
            ],
            parse_dates=["created_at", "closed_at"],
        ),
        "leads": pd.read_csv(
            files / "leads.csv",
            usecols=[
                "lead_id",
                "created_at",
                "source",
                "campaign",
                "mql_at",
                "sql_at",
                "rejected_at",
                "rejection_reason",
                "converted_at",
                "opportunity_id",
            ],
            parse_dates=["created_at", "mql_at", "sql_at", "rejected_at", "converted_at"],
        ),
        "activities": pd.read_csv(
            files / "activities.csv",
            usecols=["rep_id", "type", "occurred_at", "due_at", "completed_at"],
            parse_dates=["occurred_at", "due_at", "completed_at"],
        ),
    }


def metrics(
    frames: dict[str, pd.DataFrame], as_of: date, window: Period, sellers: list[str]
) -> Metrics:
    """All three, as of the end of `as_of`, follow-ups over `window` for `sellers`."""
    return Metrics(
        attainment=attainment(frames),
        channels=channels(frames, pd.Timestamp(as_of + timedelta(days=1))),
        follow_up=follow_up(frames["activities"], window, sellers),
    )


def attainment(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`rep_attainment(quota_targets(backend, "bookings", prorate=False))`: the quota in force
    (latest set on or before the period's first day, else the earliest) against won amounts."""
    quotas = frames["quotas"]
    quotas = quotas[quotas["metric"] == METRIC]
    before = quotas["set_at"].isna() | (quotas["set_at"].dt.normalize() <= quotas["period_start"])
    seconds = (quotas["set_at"] - pd.Timestamp(0)).dt.total_seconds()
    order = seconds.where(~before, -seconds.fillna(-1e12))
    keys = ["rep_id", "period_start", "period_end"]
    ranked = quotas.assign(after=~before, order=order).sort_values([*keys, "after", "order"])
    in_force = ranked.drop_duplicates(keys).set_index(keys)
    targets = pd.DataFrame(
        {
            "target": in_force["target"].astype(float),
            "revisions": quotas.groupby(keys).size(),
        }
    ).reset_index()

    deals = frames["opportunities"]
    won = deals[deals["is_won"].fillna(False).astype(bool) & deals["closed_at"].notna()]
    joined = targets[keys].merge(won, left_on="rep_id", right_on="owner_rep_id")
    inside = (joined["closed_at"] >= joined["period_start"]) & (
        joined["closed_at"] < joined["period_end"] + pd.Timedelta(days=1)
    )
    booked = joined[inside].groupby(keys)["amount"].sum().rename("actual")
    result = targets.merge(booked, on=keys, how="left").merge(frames["reps"], on="rep_id")
    result["actual"] = result["actual"].fillna(0.0)
    for column in ("period_start", "period_end"):
        result[column] = result[column].dt.date
    return result.set_index(keys)[["team_id", "target", "actual", "revisions"]].sort_index()


def channels(frames: dict[str, pd.DataFrame], stop: pd.Timestamp) -> pd.DataFrame:
    """`channel_report(backend, as_of)`: per source, campaign and all leads created before
    `stop`, the funnel at `stop`, won revenue, median days to a win and the top rejections."""
    all_leads = frames["leads"]
    leads = all_leads[all_leads["created_at"] < stop]
    deals = frames["opportunities"]
    deals = deals[deals["created_at"].isna() | (deals["created_at"] < stop)]
    outcome = ["closed_at", "is_won", "amount"]
    direct = deals[deals["lead_id"].notna()][[*outcome, "lead_id"]]
    named = (
        deals[deals["lead_id"].isna()][[*outcome, "opportunity_id"]]
        .merge(all_leads[all_leads["lead_id"].notna()][["lead_id", "opportunity_id"]])
        .drop(columns="opportunity_id")
    )
    linked = pd.concat([direct, named], ignore_index=True)
    won = (
        linked["is_won"].notna()
        & (linked["closed_at"] < stop)
        & linked["is_won"].fillna(False).astype(bool)
    )
    linked = linked.assign(
        won=won,
        won_at=linked["closed_at"].where(won),
        revenue=linked["amount"].where(won, 0.0).fillna(0.0),
        won_with_amount=won & linked["amount"].notna(),
    )
    per_lead = linked.groupby("lead_id").agg(
        is_won=("won", "any"),
        won_at=("won_at", "min"),
        revenue=("revenue", "sum"),
        won_with_amount=("won_with_amount", "sum"),
    )
    stages = leads.join(per_lead, on="lead_id")
    has_deal = stages["lead_id"].isin(per_lead.index)
    is_opportunity = has_deal | (stages["converted_at"] < stop)
    is_sql = is_opportunity | (stages["sql_at"] < stop)
    stages = stages.assign(
        leads=1,
        opportunities=is_opportunity,
        sqls=is_sql,
        mqls=is_sql | (stages["mql_at"] < stop),
        won=stages["is_won"].fillna(False).astype(bool),
        rejected=stages["rejected_at"] < stop,
        revenue=stages["revenue"].fillna(0.0),
        won_with_amount=stages["won_with_amount"].fillna(0),
        days_to_won=(stages["won_at"] - stages["created_at"]).dt.total_seconds() / 86_400.0,
        total="",
    )
    rejections = stages[stages["rejected"] & stages["rejection_reason"].notna()]
    lines = []
    for dimension, line_column in CHANNELS:
        column = line_column or "total"
        grouped = stages.groupby(column, dropna=False)
        line = grouped[list(FUNNEL_COUNTS)].sum()
        line["median_days_to_won"] = grouped["days_to_won"].median()
        counts = (
            rejections.groupby([column, "rejection_reason"], dropna=False)
            .size()
            .rename("count")
            .reset_index()
            .sort_values(["count", "rejection_reason"], ascending=[False, True])
        )
        top = counts.groupby(column, dropna=False).head(TOP_REASONS)
        line["top_rejection_reasons"] = top.groupby(column, dropna=False).apply(
            lambda rows: "; ".join(
                f"{reason} ({count})"
                for reason, count in zip(rows["rejection_reason"], rows["count"], strict=True)
            ),
            include_groups=False,
        )
        line.index = pd.MultiIndex.from_arrays(
            [
                [dimension] * len(line),
                [None if line_column is None or pd.isna(k) else k for k in line.index],
            ],
            names=["dimension", "channel"],
        )
        lines.append(line)
    result = pd.concat(lines)
    result["top_rejection_reasons"] = result["top_rejection_reasons"].fillna("")
    return _channel_frame(result)


def follow_up(activities: pd.DataFrame, window: Period, sellers: list[str]) -> pd.DataFrame:
    """`follow_up._owed`: per seller, follow-ups and tasks due in the window and how many were
    not done by its end."""
    start = pd.Timestamp(window.start)
    stop = pd.Timestamp(window.end + timedelta(days=1))
    due = activities[
        activities["type"].isin(OWED_TYPES)
        & (activities["due_at"] >= start)
        & (activities["due_at"] < stop)
        & (activities["occurred_at"] < stop)
    ]
    late = due["completed_at"].isna() | (due["completed_at"] >= stop)
    counts = due.assign(late=late).groupby("rep_id")["late"].agg(owed="count", overdue="sum")
    return counts[counts.index.isin(sellers)].astype(float).sort_index()


def from_attain(
    attainment: pd.DataFrame, report: ChannelReport, owed: dict[str, dict[str, float]]
) -> Metrics:
    """Attain's results (`rep_attainment`, `channel_report`, `follow_up._owed`) in the shape of
    `Metrics`."""
    keys = ["rep_id", "period_start", "period_end"]
    rows = pd.DataFrame(report.rows()).set_index(["dimension", "channel"])
    return Metrics(
        attainment=attainment.set_index(keys)[["team_id", "target", "actual", "revisions"]]
        .astype({"revisions": "int64"})
        .sort_index(),
        channels=_channel_frame(rows),
        follow_up=pd.DataFrame.from_dict(owed, orient="index")[["owed", "overdue"]]
        .rename_axis("rep_id")
        .sort_index(),
    )


def differences(ours: Metrics, theirs: Metrics) -> list[str]:
    """Where the two disagree (numbers to a relative 1e-9), one line per result; empty when
    they give the same."""
    found = []
    for name in ("attainment", "channels", "follow_up"):
        try:
            pd.testing.assert_frame_equal(
                getattr(ours, name),
                getattr(theirs, name),
                check_dtype=False,
                check_index_type=False,
                rtol=RTOL,
            )
        except AssertionError as error:
            found.append(f"{name}: {' '.join(str(error).split())[:300]}")
    return found


def _channel_frame(lines: pd.DataFrame) -> pd.DataFrame:
    columns = [*FUNNEL_COUNTS, "median_days_to_won", "top_rejection_reasons"]
    frame = lines[columns].astype({name: float for name in FUNNEL_COUNTS})
    frame["median_days_to_won"] = frame["median_days_to_won"].astype(float)
    return frame.sort_index(na_position="first")
