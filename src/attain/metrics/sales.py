"""Bookings, deals won and lost, and win rate per rep in a period: the numbers every report shows.

They need no targets, so they are there even for data without quotas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd

from attain.metrics.facts import local_time
from attain.metrics.periods import Period
from attain.store.handle import Store


@dataclass(frozen=True)
class RepSales:
    """What one rep closed in a period."""

    rep_id: str
    period_start: date
    period_end: date
    bookings: float
    won: int
    lost: int
    win_rate: float | None
    """Won ÷ (won + lost) among deals closed in the period; None with none closed."""


def rep_sales(backend: Store, period: Period, zone: str = "UTC") -> list[RepSales]:
    """Per owner: bookings, won and lost deal counts and win rate of deals closed in `period`."""
    deals = backend.table("opportunities")
    local = local_time(deals.closed_at, zone, period.start, period.end)
    start = datetime.combine(period.start, time.min)
    stop = datetime.combine(period.end + timedelta(days=1), time.min)
    closed = deals.filter(deals.is_won.notnull() & (local >= start) & (local < stop))
    expr = closed.group_by(rep_id=closed.owner_rep_id).aggregate(
        bookings=closed.amount.sum(where=closed.is_won).coalesce(0.0),
        won=closed.count(where=closed.is_won),
        lost=closed.count(where=~closed.is_won),
    )
    frame: pd.DataFrame = backend.execute(expr).sort_values("rep_id")
    return [
        RepSales(
            rep_id=str(rep),
            period_start=period.start,
            period_end=period.end,
            bookings=float(bookings),
            won=int(won),
            lost=int(lost),
            win_rate=int(won) / (int(won) + int(lost)) if int(won) + int(lost) else None,
        )
        for rep, bookings, won, lost in zip(
            frame["rep_id"], frame["bookings"], frame["won"], frame["lost"], strict=True
        )
    ]
