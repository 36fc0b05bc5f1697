"""Quotas per month or per calendar year, regrouped from the quarterly plan.

Many organisations set quotas per month (transactional sales) or per year (enterprise
sales). The demo plans quarterly targets and regroups them, so the capacity model and the
planted ratcheting stay the same:

- monthly: each quarterly target becomes three monthly ones of a third each, set when the
  quarter's was (a mid-quarter raise raises the months of that quarter);
- annual: one target per calendar year, the year's quarterly targets added up and scaled to
  four quarters where the data covers fewer, set when the year's first quarter's was; a
  raise of one quarter's target later in the year is a revision of the annual one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from attain.demo.writer import Array
from attain.metrics.periods import FiscalCalendar

MONTHS_PER_QUARTER = 3
QUARTERS_PER_YEAR = 4
FISCAL_445 = FiscalCalendar(start_month=2, pattern="4-4-5", week_start="sunday")
"""The fiscal_445 variant's calendar: a retail year from February, 4-4-5 quarters of whole
weeks from Sunday, each year ending on the last Saturday of January."""


def regroup(columns: dict[str, Array], period: str) -> dict[str, Array]:
    """quotas.csv columns of quarterly rows as monthly (`month`) or annual (`year`) rows."""
    frame = pa.table(columns).to_pandas()
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    if period == "fiscal_445":
        regrouped = _fiscal(frame)
    else:
        regrouped = _monthly(frame) if period == "month" else _annual(frame)
    regrouped = regrouped.sort_values(["rep_id", "period_start", "metric", "set_at"], kind="stable")
    return {
        "rep_id": pa.array(regrouped["rep_id"], pa.string()),
        "period_start": pa.array(regrouped["period_start"].dt.date, pa.date32()),
        "period_end": pa.array(regrouped["period_end"].dt.date, pa.date32()),
        "metric": pa.array(regrouped["metric"], pa.string()),
        "target": pa.array(regrouped["target"].to_numpy(dtype="float64")),
        "set_at": pa.array(regrouped["set_at"], pa.timestamp("s")),
    }


def _monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """Three rows per quarterly row, one per month, each with a third of the target."""
    parts = []
    for k in range(MONTHS_PER_QUARTER):
        part = frame.copy()
        part["period_start"] = frame["period_start"] + pd.DateOffset(months=k)
        part["period_end"] = part["period_start"] + pd.offsets.MonthEnd(0)
        part["target"] = (frame["target"] / MONTHS_PER_QUARTER).round(-1).clip(lower=1.0)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _annual(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per rep, metric and year, and one more for each later raise of a quarter."""
    rows = []
    frame = frame.assign(year=frame["period_start"].dt.year)
    for key, group in frame.groupby(["rep_id", "metric", "year"], sort=True):
        parts: tuple[Any, ...] = key
        rep, metric, year = str(parts[0]), str(parts[1]), int(parts[2])
        ordered = group.sort_values("set_at", kind="stable")
        current: dict[Any, float] = {}
        first_set = ordered.groupby("period_start")["set_at"].transform("min")
        initial = ordered[ordered["set_at"] == first_set]
        for quarter, target in zip(initial["period_start"], initial["target"], strict=True):
            current.setdefault(quarter, float(target))
        scale = QUARTERS_PER_YEAR / len(current)
        set_at = initial["set_at"].min()
        rows.append(_year_row(rep, metric, year, sum(current.values()) * scale, set_at))
        for row in ordered[ordered["set_at"] != first_set].to_dict("records"):
            current[row["period_start"]] = float(row["target"])
            total = sum(current.values()) * scale
            rows.append(_year_row(rep, metric, year, total, row["set_at"]))
    return pd.DataFrame(rows)


def _year_row(rep: str, metric: str, year: int, target: float, set_at: object) -> dict[str, object]:
    return {
        "rep_id": rep,
        "metric": metric,
        "period_start": pd.Timestamp(year=year, month=1, day=1),
        "period_end": pd.Timestamp(year=year, month=12, day=31),
        "target": round(target, -3) if metric == "bookings" else round(target),
        "set_at": set_at,
    }


def _fiscal(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per rep, metric and fiscal quarter of FISCAL_445: each calendar quarter's latest
    target spread over the fiscal quarters it overlaps, by days; set when the first of them
    was. Revisions are not carried over (the variant is about the calendar, not ratcheting).

    A fiscal quarter the plan covers only in part keeps the plan's daily rate over its whole
    length (the current one runs past the last calendar quarter), and one that starts before
    the plan is left out, as the calendar variants have no quota before their first quarter: a
    target summed over the covered days alone made the next quarter look raised 3-4 times
    after a hit, and the diagnosis read every rep's quota as ratcheted."""
    latest = frame.sort_values("set_at", kind="stable").drop_duplicates(
        ["rep_id", "metric", "period_start"], keep="last"
    )
    ranges = pd.Series(
        [
            pd.date_range(start, end)
            for start, end in zip(latest["period_start"], latest["period_end"], strict=True)
        ],
        index=latest.index,
        dtype=object,
    )
    days = latest.assign(day=ranges).explode("day")
    length = (days["period_end"] - days["period_start"]).dt.days + 1
    days["share"] = days["target"] / length
    quarters = {day: FISCAL_445.quarter_of(day.date()) for day in days["day"].unique()}
    days["fiscal"] = days["day"].map(quarters)
    grouped = days.groupby(["rep_id", "metric", "fiscal"], as_index=False).agg(
        target=("share", "sum"),
        covered=("share", "size"),
        set_at=("set_at", "min"),
        plan_start=("period_start", "min"),
    )
    grouped["period_start"] = pd.to_datetime([q.start for q in grouped["fiscal"]])
    grouped["period_end"] = pd.to_datetime([q.end for q in grouped["fiscal"]])
    first = grouped.groupby(["rep_id", "metric"])["plan_start"].transform("min")
    grouped = grouped[grouped["period_start"] >= first].copy()
    length = (grouped["period_end"] - grouped["period_start"]).dt.days + 1
    grouped["target"] = grouped["target"] / grouped["covered"] * length
    grouped["target"] = [
        round(t, -3) if m == "bookings" else max(round(t), 1)
        for t, m in zip(grouped["target"], grouped["metric"], strict=True)
    ]
    return grouped.drop(columns=["fiscal", "covered", "plan_start"])
