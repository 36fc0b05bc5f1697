"""The pipeline waterfall: how a period's pipeline moved week by week, and the deals behind it.

A period's pipeline at a moment is every deal open then whose expected close date falls in the
period (of the team or rep asked for, by the deal's owner and the owner's team at that moment).
Each week compares the deals' states at its start and at its end (the start of the next week):

- a deal in the pipeline at both ends is **resized** by the change of its amount;
- a deal that entered came from **created** (it did not exist, or was deleted, at the start),
  **pulled in** (it was open with a close date outside the period, or none), **reassigned**
  (it belonged to another team or rep) or **reopened** (it was closed);
- a deal that left went to **deleted**, **won**, **lost**, **reassigned** or **pushed out**
  (still open, close date outside the period), in that order of precedence;
- a deal not in the pipeline at either end that was won or lost inside the period during the
  week (created or pulled in and closed between two data versions) enters and leaves in the
  same week, so the week shows it.

A won deal leaves at its booked amount; the difference from its amount at the week's start is
a resize. Every other deal leaves at its amount at the start. Amounts are added in whole cents,
so for every week, exactly to the cent:
start + created + pulled in ± reassigned + reopened ± resized − pushed out − lost − won −
deleted = end, and each week's end is the next week's start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

import pandas as pd

from attain.errors import InputError
from attain.history.states import (
    NO_HISTORY,
    History,
    deals_at,
    is_lost,
    is_open,
    is_won,
    load_history,
    teams_at,
)
from attain.metrics.periods import Period
from attain.store.currency import CurrencySettings
from attain.store.handle import Store

ONE_DAY = timedelta(days=1)
LONGEST_PERIOD_DAYS = 400
"""The longest period a waterfall or the calls are read for (a year and a bit): each week reads
every deal's state twice, and a request for centuries would hold a worker for hours."""
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
"""Periods must fall in these years, as the web app's as-of days do (pandas' timestamps end
in 2262)."""


class Movement(StrEnum):
    """A bar of the waterfall, in the order it is drawn."""

    CREATED = "created"
    PULLED_IN = "pulled_in"
    REOPENED = "reopened"
    REASSIGNED_IN = "reassigned_in"
    RESIZED = "resized"
    PUSHED_OUT = "pushed_out"
    REASSIGNED_OUT = "reassigned_out"
    LOST = "lost"
    WON = "won"
    DELETED = "deleted"


OUTFLOWS = frozenset(
    {Movement.PUSHED_OUT, Movement.REASSIGNED_OUT, Movement.LOST, Movement.WON, Movement.DELETED}
)
"""Movements that take money out of the pipeline: their amounts are negative."""


@dataclass(frozen=True)
class MovedDeal:
    """A deal behind a bar: its signed money in the bar and its owner at the week's end."""

    opportunity_id: str
    owner_rep_id: str | None
    amount: float


@dataclass(frozen=True)
class Bar:
    """One movement of one week: deals, signed money, and the deals behind it."""

    movement: Movement
    deals: int
    amount: float
    moved: list[MovedDeal]


@dataclass(frozen=True)
class WaterfallWeek:
    """One week: the pipeline at its start and end, and the movements between."""

    week: int
    start: date
    end: date
    """The week's last day."""
    start_deals: int
    start_amount: float
    bars: list[Bar]
    end_deals: int
    end_amount: float

    def bar(self, movement: Movement) -> Bar:
        """The bar of one movement (empty when no deal moved that way)."""
        return next(bar for bar in self.bars if bar.movement is movement)


@dataclass(frozen=True)
class Waterfall:
    """The waterfall of one period for the company, a team or a rep."""

    period: Period
    team_id: str | None
    rep_id: str | None
    currency: str | None
    """The currency of every amount (the corporate currency); None when the store names none."""
    through: date
    """The last day the weeks cover (the period's end, or the last day of data before it)."""
    weeks: list[WaterfallWeek]
    notes: list[str] = field(default_factory=list)
    """What the reader should know, e.g. that the store keeps no history yet."""


def pipeline_waterfall(
    backend: Store,
    period: Period,
    *,
    team_id: str | None = None,
    rep_id: str | None = None,
    through: date | None = None,
    currency: CurrencySettings | None = None,
) -> Waterfall:
    """The week-by-week waterfall of `period` up to `through` (default: the period's end, or
    today when earlier); amounts in the corporate currency, open deals at `through`'s rate."""
    check_period(period)
    last = min(through or date.today(), period.end)
    history = load_history(
        backend,
        currency=currency,
        conversion_day=last,
        first=midnight(period.start),
        last=midnight(last + ONE_DAY),
    )
    return waterfall(history, period, team_id=team_id, rep_id=rep_id, through=last)


def midnight(day: date) -> pd.Timestamp:
    """The start of `day` (UTC, naive as the store keeps it)."""
    return pd.Timestamp(datetime.combine(day, time.min))


def check_period(period: Period) -> None:
    """InputError for a period longer than LONGEST_PERIOD_DAYS or outside 1900-2199."""
    if period.days > LONGEST_PERIOD_DAYS:
        raise InputError(
            f"{period.label} is {period.days} days long; a waterfall covers at most "
            f"{LONGEST_PERIOD_DAYS} days: ask for a quarter such as 2026-Q4"
        )
    if period.start < FIRST_DAY or period.end > LAST_DAY:
        raise InputError(f"{period.label}: periods must fall between 1900 and 2199")


def week_starts(period: Period, through: date) -> list[date]:
    """The first day of each week of `period` up to `through`: the period's first day, then
    every seventh day; the last week ends with the period (or `through`), so it is often
    shorter (the forecast's weeks, `attain.forecast.forecast.week_as_of`)."""
    starts = []
    day = period.start
    while day <= min(through, period.end):
        starts.append(day)
        day += timedelta(days=7)
    return starts


def waterfall(
    history: History,
    period: Period,
    *,
    team_id: str | None = None,
    rep_id: str | None = None,
    through: date,
) -> Waterfall:
    """The waterfall from a loaded history; weeks start at the start of their first day (UTC)."""
    starts = week_starts(period, through)
    if not starts:
        raise InputError(f"{period.label} starts after {through}: it has no week to show yet")
    bounds = [*starts, min(starts[-1] + timedelta(days=7), min(period.end, through) + ONE_DAY)]
    moments = [midnight(day) for day in bounds]
    states = [pipeline_states(history, moment, period, team_id, rep_id) for moment in moments]
    weeks = []
    for number, (first, last) in enumerate(pairwise(states), start=1):
        bars = _bars(first, last, moments[number - 1], moments[number], period)
        weeks.append(
            WaterfallWeek(
                week=number,
                start=bounds[number - 1],
                end=bounds[number] - timedelta(days=1),
                start_deals=int(first["in_pipeline"].sum()),
                start_amount=_money(first.loc[first["in_pipeline"], "cents"].sum()),
                bars=bars,
                end_deals=int(last["in_pipeline"].sum()),
                end_amount=_money(last.loc[last["in_pipeline"], "cents"].sum()),
            )
        )
    notes = [] if len(history.deals) else [NO_HISTORY]
    return Waterfall(period, team_id, rep_id, history.currency, through, weeks, notes)


def pipeline_states(
    history: History,
    moment: pd.Timestamp,
    period: Period,
    team_id: str | None,
    rep_id: str | None,
) -> pd.DataFrame:
    """Deals at `moment`, with `in_scope` (owned by the rep or team asked for then) and
    `in_pipeline` (open, in scope, expected to close in the period); amounts 0 when unknown."""
    states = deals_at(history, moment).copy()
    states["amount"] = states["amount"].fillna(0.0)
    # Whole cents, added as integers: every week adds up to the cent, with no float drift.
    states["cents"] = (states["amount"] * 100).round().astype("int64")
    owners = states["owner_rep_id"].astype("string")
    if rep_id is not None:
        in_scope = owners == rep_id
    elif team_id is not None:
        teams = teams_at(history, moment)
        in_scope = owners.map(lambda owner: teams.get(str(owner)) == team_id)
    else:
        in_scope = pd.Series(True, index=states.index)
    states["in_scope"] = in_scope.fillna(False).astype(bool)
    closing = states["expected_close_date"].map(
        lambda day: isinstance(day, date) and period.contains(day)
    )
    states["in_period"] = closing.astype(bool)
    states["in_pipeline"] = is_open(states) & states["in_scope"] & states["in_period"]
    return states


def _bars(
    first: pd.DataFrame,
    last: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    period: Period,
) -> list[Bar]:
    """The movements of every deal between two states (see the module's rules)."""
    moved: dict[Movement, list[tuple[MovedDeal, int]]] = {movement: [] for movement in Movement}
    ids = sorted(set(first.index) | set(last.index))
    was, now = first.reindex(ids), last.reindex(ids)
    was_in = was["in_pipeline"].fillna(False).astype(bool)
    now_in = now["in_pipeline"].fillna(False).astype(bool)
    existed = was["deleted"].notna() & ~was["deleted"].fillna(True).astype(bool)
    exists = now["deleted"].notna() & ~now["deleted"].fillna(True).astype(bool)
    known_now = now.fillna({"deleted": True})
    won, lost = is_won(known_now) & exists, is_lost(known_now) & exists
    closed_inside = (won | lost) & now["in_scope"].fillna(False).astype(bool)
    closed_inside &= (
        now["closed_at"]
        .map(lambda at: not pd.isna(at) and start <= at < end and period.contains(at.date()))
        .astype(bool)
    )

    def add(movement: Movement, deal: str, cents: int) -> None:
        owner: Any = now.at[deal, "owner_rep_id"] if exists[deal] else was.at[deal, "owner_rep_id"]
        signed = -cents if movement in OUTFLOWS else cents
        owner_id = None if pd.isna(owner) else str(owner)
        moved[movement].append((MovedDeal(deal, owner_id, _money(signed)), signed))

    for deal in ids:
        amount_was, amount_now = _amount(was, deal), _amount(now, deal)
        transit = not was_in[deal] and not now_in[deal] and closed_inside[deal]
        if not was_in[deal] and (now_in[deal] or transit):
            add(_entry(was, deal, existed[deal]), deal, amount_now)
        if was_in[deal] and now_in[deal] and amount_now != amount_was:
            add(Movement.RESIZED, deal, amount_now - amount_was)
        if not now_in[deal] and (was_in[deal] or transit):
            exit_ = _exit(now, deal, exists[deal], won[deal], lost[deal])
            leaving = amount_was if was_in[deal] else amount_now
            if exit_ is Movement.WON and was_in[deal] and amount_now != amount_was:
                add(Movement.RESIZED, deal, amount_now - amount_was)
                leaving = amount_now
            add(exit_, deal, leaving)
    return [
        Bar(movement, len(deals), _money(sum(c for _, c in deals)), [d for d, _ in deals])
        for movement, deals in moved.items()
    ]


def _entry(was: pd.DataFrame, deal: str, existed: bool) -> Movement:
    """Where a deal entering the pipeline came from (its state at the week's start)."""
    if not existed:
        return Movement.CREATED
    state = was.loc[deal]
    if not (pd.isna(state["closed_at"]) and pd.isna(state["is_won"])):
        return Movement.REOPENED
    if not bool(state["in_scope"]):
        return Movement.REASSIGNED_IN
    return Movement.PULLED_IN


def _exit(now: pd.DataFrame, deal: str, exists: bool, won: bool, lost: bool) -> Movement:
    """Where a deal leaving the pipeline went (its state at the week's end)."""
    if not exists:
        return Movement.DELETED
    if won:
        return Movement.WON
    if lost:
        return Movement.LOST
    if not bool(now.at[deal, "in_scope"]):
        return Movement.REASSIGNED_OUT
    return Movement.PUSHED_OUT


def _amount(states: pd.DataFrame, deal: str) -> int:
    """The deal's amount in whole cents (0 where it is not in `states`)."""
    value: Any = states.at[deal, "cents"]
    return 0 if pd.isna(value) else int(value)


def _money(cents: Any) -> float:
    return int(cents) / 100
