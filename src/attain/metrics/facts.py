"""Daily metric actuals per rep, read from the store through Ibis expressions.

Everything downstream (attainment, pacing, classification, warnings) works on these small
per-rep-per-day frames, so the big fact tables are scanned once per metric, in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pandas as pd

from attain.store.handle import Store

DAILY_COLUMNS = ["rep_id", "day", "value"]


def local_time(column: ir.TimestampValue, zone: str, first: date, last: date) -> ir.TimestampValue:
    """`column` (UTC) as wall-clock time in `zone`, exact across DST changes in [first, last].

    Built from the zone's UTC offsets over the window as a CASE over a few instants, so the
    same expression runs on every Ibis backend.
    """
    tz = ZoneInfo(zone)
    edges: list[tuple[datetime, timedelta]] = []  # (UTC instant from which, offset)
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        instant = datetime.combine(day, time.min, UTC)
        offset = instant.astimezone(tz).utcoffset() or timedelta(0)
        if not edges or edges[-1][1] != offset:
            edges.append((_change_instant(edges[-1][0] if edges else instant, instant, tz), offset))
        day += timedelta(days=1)
    if len(edges) == 1 and not edges[0][1]:
        return column  # UTC: adding a zero interval would cost a pass over every row
    if len(edges) == 1:
        return column + ibis.interval(seconds=int(edges[0][1].total_seconds()))
    branches = [
        (
            column >= start.replace(tzinfo=None),
            column + ibis.interval(seconds=int(off.total_seconds())),
        )
        for start, off in reversed(edges[1:])
    ]
    default = column + ibis.interval(seconds=int(edges[0][1].total_seconds()))
    return ibis.cases(*branches, else_=default)


def _change_instant(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The first whole UTC hour in (before, after] at which `tz`'s offset equals after's."""
    target = after.astimezone(tz).utcoffset()
    hour = after
    while hour - timedelta(hours=1) > before and (
        (hour - timedelta(hours=1)).astimezone(tz).utcoffset() == target
    ):
        hour -= timedelta(hours=1)
    return hour


def _window(column: ir.TimestampValue, first: date, last: date) -> ir.BooleanValue:
    """`column` within the days [first, last]."""
    start = datetime.combine(first, time.min)
    stop = datetime.combine(last + timedelta(days=1), time.min)
    return (column >= start) & (column < stop)


def _bookings(backend: Store, first: date, last: date, zone: str) -> ir.Table:
    deals = backend.table("opportunities")
    deals = deals.mutate(local=local_time(deals.closed_at, zone, first, last))
    won = deals.filter(deals.is_won & _window(deals.local, first, last))
    return won.group_by(rep_id=won.owner_rep_id, day=won.local.date()).aggregate(
        value=won.amount.sum().coalesce(0.0)
    )


def _new_logos(backend: Store, first: date, last: date, zone: str) -> ir.Table:
    """Accounts whose first ever won deal closed in the window, credited to that deal's owner."""
    deals = backend.table("opportunities")
    won = deals.filter(deals.is_won & deals.account_id.notnull() & deals.closed_at.notnull())
    ranked = won.mutate(
        rank=ibis.row_number().over(
            group_by=won.account_id, order_by=[won.closed_at, won.opportunity_id]
        ),
        local=local_time(won.closed_at, zone, first, last),
    )
    firsts = ranked.filter((ranked["rank"] == 0) & _window(ranked.local, first, last))
    return firsts.group_by(rep_id=firsts.owner_rep_id, day=firsts.local.date()).aggregate(
        value=firsts.count().cast("float64")
    )


def _created(backend: Store, first: date, last: date, zone: str, *, amount: bool) -> ir.Table:
    deals = backend.table("opportunities")
    deals = deals.mutate(local=local_time(deals.created_at, zone, first, last))
    made = deals.filter(_window(deals.local, first, last))
    value = made.amount.sum().coalesce(0.0) if amount else made.count().cast("float64")
    return made.group_by(rep_id=made.owner_rep_id, day=made.local.date()).aggregate(value=value)


ACTIVITY_KINDS: dict[str, tuple[str, ...] | None] = {
    "meetings": ("meeting", "demo"),
    "calls": ("call",),
    "activities": None,
}
"""Activity metrics and the activity types they count (None: every type)."""


def _activity_counts(backend: Store, first: date, last: date, zone: str) -> ir.Table:
    """Per rep and local day: the count of every activity metric, in one scan of activities.

    The activities table is by far the largest; the report asks for three metrics over
    overlapping windows, so they are counted together (see `shared_scans`).
    """
    acts = backend.table("activities")
    acts = acts.mutate(local=local_time(acts.occurred_at, zone, first, last))
    done = acts.filter(_window(acts.local, first, last))
    counts = {
        metric: (done.count() if kinds is None else done.count(where=done.type.isin(kinds))).cast(
            "float64"
        )
        for metric, kinds in ACTIVITY_KINDS.items()
    }
    return done.group_by(rep_id=done.rep_id, day=done.local.date()).aggregate(**counts)


_EXPRESSIONS: dict[str, Callable[[Any, date, date, str], ir.Table]] = {
    "bookings": _bookings,
    "new_logos": _new_logos,
    "opportunities_created": lambda b, f, la, z: _created(b, f, la, z, amount=False),
    "pipeline_created": lambda b, f, la, z: _created(b, f, la, z, amount=True),
}

_scans: ContextVar[dict[tuple[int, str], list[tuple[date, date, pd.DataFrame]]] | None] = (
    ContextVar("attain_shared_scans", default=None)
)


@contextmanager
def shared_scans() -> Iterator[None]:
    """Within the block, activity counts read from the store are kept and reused.

    A report or diagnosis reads the same (unchanging) store many times; inside this block a
    request for activity counts over days already read is answered from memory.
    """
    token = _scans.set({})
    try:
        yield
    finally:
        _scans.reset(token)


def _activity_frame(backend: Store, first: date, last: date, zone: str) -> pd.DataFrame:
    """Per rep and day in [first, last]: the counts of `_activity_counts` (cached if shared)."""
    cache = _scans.get()
    entries = cache.setdefault((id(backend), zone), []) if cache is not None else []
    for start, stop, cached in entries:
        if start <= first and last <= stop:
            days = cached["day"]
            inside: pd.DataFrame = cached[
                (days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))
            ]
            return inside
    frame: pd.DataFrame = backend.execute(_activity_counts(backend, first, last, zone))
    frame["day"] = pd.to_datetime(frame["day"])
    entries.append((first, last, frame))
    return frame


def daily_actuals(
    backend: Store, metric: str, first: date, last: date, zone: str = "UTC"
) -> pd.DataFrame:
    """Per rep and local day in [first, last] of time zone `zone`: the metric's value.

    Only days with a value appear. Columns rep_id, day (datetime64, midnight), value (float).
    """
    if metric in ACTIVITY_KINDS:
        counts = _activity_frame(backend, first, last, zone)
        frame = counts.loc[counts[metric] > 0, ["rep_id", "day", metric]]
        frame = frame.rename(columns={metric: "value"})
    elif metric in _EXPRESSIONS:
        frame = backend.execute(_EXPRESSIONS[metric](backend, first, last, zone))
    else:
        raise KeyError(metric)
    if frame.empty:
        return pd.DataFrame({"rep_id": [], "day": pd.to_datetime([]), "value": []})
    frame["day"] = pd.to_datetime(frame["day"])
    frame["value"] = frame["value"].astype(float)
    ordered: pd.DataFrame = frame[DAILY_COLUMNS].sort_values(["rep_id", "day"], ignore_index=True)
    return ordered


def is_countable(metric: str) -> bool:
    """Whether Attain can count `metric` from the canonical facts."""
    return metric in _EXPRESSIONS or metric in ACTIVITY_KINDS
