"""Win probability of open opportunities, from fields known when a deal is opened.

The lead model's machinery trained on the organisation's own closed deals, with the owner's
record (deals won and closed before this one was opened) beside the deal's own fields. Stage,
stage durations and close dates are left out on purpose: they are measured as a deal ends, so
they would make history look easier to predict than an open deal is (see leads/leakage.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from attain.errors import InputError
from attain.leads.model import TrainedModel, train
from attain.store.handle import Store

LABEL = "won"
TIME_COLUMN = "created_at"
MIN_CLOSED_DEALS = 200
"""Fewer closed deals than this are too few to learn from."""


def owner_record(backend: Store) -> ir.Table:
    """Per opportunity: how many deals its owner had won and closed before it was opened.

    One pass over close and open events per rep, ordered in time; a close at the very instant
    a deal is opened does not count, so nothing later than the opening leaks in.
    """
    deals = backend.table("opportunities")
    closed = deals.filter(deals.is_won.notnull(), deals.closed_at.notnull())
    opened = deals.filter(deals.created_at.notnull())
    events = _events(closed, closed.closed_at, 1, ibis.null(), closed.is_won, 1).union(
        _events(opened, opened.created_at, 0, opened.opportunity_id, ibis.literal(False), 0)
    )
    before = ibis.window(group_by=events.rep, order_by=[events.at, events.order], rows=(None, 0))
    record = events.mutate(won_before=events.won.sum().over(before))
    record = record.mutate(closed_before=record.closed.sum().over(before))
    record = record.filter(record.order == 0)
    return record.select(
        record.opportunity_id,
        owner_won_before=record.won_before,
        owner_closed_before=record.closed_before,
        owner_win_rate=record.won_before / record.closed_before.nullif(0),
    )


def _events(
    table: ir.Table, at: Any, order: int, opportunity: Any, won: Any, closed: int
) -> ir.Table:
    return table.select(
        rep=table.owner_rep_id,
        at=at,
        order=ibis.literal(order, "int64"),
        opportunity_id=opportunity.cast("string"),
        won=won.cast("int64"),
        closed=ibis.literal(closed, "int64"),
    )


def _deals(backend: Store) -> ir.Table:
    """Opportunities with the fields known when each was opened, and the owner's record."""
    deals = backend.table("opportunities")
    products = backend.table("products")
    accounts = backend.table("accounts")
    record = owner_record(backend)
    joined = (
        deals.left_join(products, deals.product_id == products.product_id)
        .left_join(accounts, deals.account_id == accounts.account_id)
        .left_join(record, deals.opportunity_id == record.opportunity_id)
    )
    return joined.select(
        opportunity_id=deals.opportunity_id,
        owner_rep_id=deals.owner_rep_id,
        created_at=deals.created_at,
        closed_at=deals.closed_at,
        is_won=deals.is_won,
        amount=deals.amount,
        source=deals.source,
        product_family=products.family,
        product_priority=products.priority,
        industry=accounts.industry,
        employees=accounts.employees,
        country=accounts.country,
        owner_won_before=record.owner_won_before,
        owner_closed_before=record.owner_closed_before,
        owner_win_rate=record.owner_win_rate,
    )


def closed_deals(backend: Store, as_of: date) -> pd.DataFrame:
    """Deals opened and closed before `as_of`, with the label `won`, for training."""
    stop = datetime.combine(as_of, time.min)
    deals = _deals(backend)
    closed = deals.filter(
        deals.is_won.notnull(), deals.closed_at < stop, deals.created_at.notnull()
    )
    frame: pd.DataFrame = backend.execute(closed)
    frame[LABEL] = frame.pop("is_won").astype(int)
    return frame.drop(columns=["closed_at"])


def open_deals(backend: Store, as_of: date) -> pd.DataFrame:
    """Deals open at the end of `as_of`: opened by then and not closed by then."""
    stop = datetime.combine(as_of + timedelta(days=1), time.min)
    deals = _deals(backend)
    still_open = deals.filter(
        deals.created_at < stop, deals.closed_at.isnull() | (deals.closed_at >= stop)
    )
    frame: pd.DataFrame = backend.execute(still_open)
    return frame.drop(columns=["closed_at", "is_won"])


def win_model(backend: Store, as_of: date) -> TrainedModel:
    """A calibrated win model trained on the deals closed before `as_of`, split by time."""
    history = closed_deals(backend, as_of)
    if len(history) < MIN_CLOSED_DEALS:
        raise InputError(
            f"only {len(history)} deals closed before {as_of}; "
            f"a win model needs at least {MIN_CLOSED_DEALS}"
        )
    return train(history, LABEL, time_column=TIME_COLUMN, exclude=["opportunity_id"])


def win_probabilities(backend: Store, as_of: date) -> pd.DataFrame:
    """Each deal open at `as_of`: calibrated probability of being won, with its top reasons."""
    model = win_model(backend, as_of)
    frame = open_deals(backend, as_of)
    probabilities = model.predict_proba(frame)
    reasons = model.explain(frame, top=3)
    return pd.DataFrame(
        {
            "opportunity_id": frame["opportunity_id"].to_numpy(),
            "owner_rep_id": frame["owner_rep_id"].to_numpy(),
            "amount": frame["amount"].to_numpy(),
            "probability": probabilities,
            "reasons": ["; ".join(name for name, _ in row) for row in reasons],
        }
    )
