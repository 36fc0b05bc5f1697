"""What changed between two data versions or dates: one change record for the web and alerts.

A deal can change in several ways at once (moved stage and resized): it is listed once per
kind. Stage, close-date, size and owner changes are read between the deal's state at `since`
and at `until`; what happened in between without showing at either end is not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

import ibis
import pandas as pd

from attain.errors import InputError
from attain.history.states import (
    History,
    Moment,
    deals_at,
    instant,
    is_lost,
    is_open,
    is_won,
    load_history,
    teams_at,
)
from attain.metrics.periods import quarter_of
from attain.store.currency import CurrencySettings
from attain.store.ddl import IMPORTS_TABLE
from attain.store.handle import Store


class ChangeKind(StrEnum):
    """What happened to a deal, in the order the record lists them."""

    CREATED = "created"
    MOVED_STAGE = "moved_stage"
    PULLED_IN = "pulled_in"
    PUSHED_OUT = "pushed_out"
    RESIZED = "resized"
    WON = "won"
    LOST = "lost"
    DELETED = "deleted"
    REASSIGNED = "reassigned"


@dataclass(frozen=True)
class DealChange:
    """One deal's change of one kind, with its state before and after.

    `amount` is the money the kind is about: the deal's amount for created, moved, pulled in,
    pushed out, won and reassigned, its amount before for lost and deleted, and the change
    (after − before) for resized. `before`/`after` are the changed field's values (stage,
    expected close date, amount or owner), None where the deal did not exist.
    """

    kind: ChangeKind
    opportunity_id: str
    owner_rep_id: str | None
    amount: float
    before: str | None
    after: str | None


@dataclass(frozen=True)
class TeamChange:
    """A rep who changed team (or lost or gained one)."""

    rep_id: str
    team_before: str | None
    team_after: str | None


@dataclass(frozen=True)
class KindTotal:
    """How many deals changed in one way, and the money they carry (see DealChange.amount)."""

    kind: ChangeKind
    deals: int
    amount: float


@dataclass(frozen=True)
class ChangeRecord:
    """Every change between two moments, with totals per kind."""

    since: pd.Timestamp
    until: pd.Timestamp | None
    """None: up to the latest data version."""
    currency: str | None
    """The currency of every amount (the corporate currency); None when the store names none."""
    deals: list[DealChange]
    reps: list[TeamChange]
    totals: list[KindTotal] = field(default_factory=list)

    def of(self, kind: ChangeKind) -> list[DealChange]:
        """The changes of one kind, in opportunity id order."""
        return [change for change in self.deals if change.kind is kind]

    def total(self, kind: ChangeKind) -> KindTotal:
        """The count and money of one kind."""
        return next(total for total in self.totals if total.kind is kind)


def changes(
    backend: Store,
    since: Moment | None = None,
    until: Moment | None = None,
    *,
    currency: CurrencySettings | None = None,
) -> ChangeRecord:
    """The change record from `since` (default: the data version before the latest, so what
    the latest import changed) to `until` (default: the latest data version).

    A version is an import id (the state its export showed); a day means its start for
    `since` and its end for `until`, both UTC. Open deals' amounts convert to the corporate
    currency at the rate of the last day compared (closed ones at their close day's).
    """
    start = instant(backend, previous_version(backend) if since is None else since)
    end = None if until is None else instant(backend, until, end_of_day=True)
    day = end.date() if end is not None else date.today()
    history = load_history(backend, currency=currency, conversion_day=day, first=start, last=end)
    return compare(history, start, end)


def previous_version(backend: Store) -> int:
    """The data version before the latest one (the latest when there is only one)."""
    log = backend.stored_table(IMPORTS_TABLE)
    ids = log.select("import_id").order_by(ibis.desc("import_id")).limit(2).to_pandas()
    if ids.empty:
        raise InputError("no data version yet: `attain import` makes the first")
    return int(ids["import_id"].iloc[-1])


def compare(history: History, start: pd.Timestamp, end: pd.Timestamp | None) -> ChangeRecord:
    """The change record between the history's states at `start` and at `end` (None: now)."""
    before, after = deals_at(history, start), deals_at(history, end)
    found = _deal_changes(before, after, start)
    order = list(ChangeKind)
    found.sort(key=lambda c: (order.index(c.kind), c.opportunity_id))
    reps = _team_changes(history, start, end)
    return ChangeRecord(start, end, history.currency, found, reps, _totals(found))


def restricted(record: ChangeRecord, sees_rep: Callable[[str | None], bool]) -> ChangeRecord:
    """The record cut to the changes of deals owned by a visible rep (before or after a
    reassignment) and of visible reps, with its totals recounted."""
    kept = [
        c
        for c in record.deals
        if sees_rep(c.owner_rep_id) or (c.kind is ChangeKind.REASSIGNED and sees_rep(c.before))
    ]
    reps = [r for r in record.reps if sees_rep(r.rep_id)]
    return replace(record, deals=kept, reps=reps, totals=_totals(kept))


def _totals(found: list[DealChange]) -> list[KindTotal]:
    return [
        KindTotal(
            kind,
            sum(1 for c in found if c.kind is kind),
            float(sum(c.amount for c in found if c.kind is kind)),
        )
        for kind in ChangeKind
    ]


def _deal_changes(
    before: pd.DataFrame, after: pd.DataFrame, start: pd.Timestamp
) -> list[DealChange]:
    """Every deal's changes: states indexed by opportunity id (missing: did not exist)."""
    ids = sorted(set(before.index) | set(after.index))
    was = before.reindex(ids)
    now = after.reindex(ids)
    existed = was["deleted"].notna() & ~was["deleted"].fillna(True).astype(bool)
    exists = now["deleted"].notna() & ~now["deleted"].fillna(True).astype(bool)
    was_open = existed & is_open(was.fillna({"deleted": True}))
    now_open = exists & is_open(now.fillna({"deleted": True}))
    # A deal created already closed counts as won or lost when it closed after `since`.
    closed_since = now["closed_at"].map(lambda at: not pd.isna(at) and at >= start)
    fresh = exists & ~existed & closed_since.astype(bool)
    won = (was_open | fresh) & is_won(now.fillna({"deleted": True}))
    lost = (was_open | fresh) & is_lost(now.fillna({"deleted": True}))
    found: list[DealChange] = []

    def add(kind: ChangeKind, deal: str, amount: float, old: Any, new: Any) -> None:
        owner = now.at[deal, "owner_rep_id"] if exists[deal] else was.at[deal, "owner_rep_id"]
        found.append(DealChange(kind, deal, _text(owner), amount, _text(old), _text(new)))

    for deal in ids:
        old, new = was.loc[deal], now.loc[deal]
        amount_now, amount_was = _money(new["amount"]), _money(old["amount"])
        if exists[deal] and not existed[deal]:
            add(ChangeKind.CREATED, deal, amount_now, None, new["stage"])
            if won[deal]:
                add(ChangeKind.WON, deal, amount_now, None, new["stage"])
            if lost[deal]:
                add(ChangeKind.LOST, deal, amount_now, None, new["stage"])
        if existed[deal] and not exists[deal]:
            add(ChangeKind.DELETED, deal, amount_was, old["stage"], None)
        if not (existed[deal] and exists[deal]):
            continue
        if won[deal]:
            add(ChangeKind.WON, deal, amount_now, old["stage"], new["stage"])
        if lost[deal]:
            add(ChangeKind.LOST, deal, amount_was, old["stage"], new["stage"])
        if old["stage"] != new["stage"] and not (won[deal] or lost[deal]):
            add(ChangeKind.MOVED_STAGE, deal, amount_now, old["stage"], new["stage"])
        moved = _quarter_move(old["expected_close_date"], new["expected_close_date"])
        if moved and was_open[deal] and now_open[deal]:
            kind = ChangeKind.PUSHED_OUT if moved > 0 else ChangeKind.PULLED_IN
            add(kind, deal, amount_now, old["expected_close_date"], new["expected_close_date"])
        # Only open deals resize: a won deal's final amount is its win, and a lost deal's
        # amount is often zeroed on loss (Maven).
        if amount_now != amount_was and was_open[deal] and now_open[deal]:
            add(ChangeKind.RESIZED, deal, amount_now - amount_was, amount_was, amount_now)
        if _text(old["owner_rep_id"]) != _text(new["owner_rep_id"]):
            add(ChangeKind.REASSIGNED, deal, amount_now, old["owner_rep_id"], new["owner_rep_id"])
    return found


def _quarter_move(old: Any, new: Any) -> int:
    """+1 when the expected close date moved into a later quarter, -1 an earlier, else 0."""
    if not isinstance(old, date) or not isinstance(new, date) or pd.isna(old) or pd.isna(new):
        return 0
    before, after = quarter_of(old), quarter_of(new)
    return (after > before) - (after < before)


def _team_changes(
    history: History, start: pd.Timestamp, end: pd.Timestamp | None
) -> list[TeamChange]:
    before, after = teams_at(history, start), teams_at(history, end)
    return [
        TeamChange(rep, before.get(rep), after.get(rep))
        for rep in sorted(set(before) | set(after))
        if before.get(rep) != after.get(rep)
    ]


def _money(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
