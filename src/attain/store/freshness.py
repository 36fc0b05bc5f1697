"""How fresh the store's data is: the last day with a fact that had happened when it was taken.

Every command without `--as-of` (report, diagnose, forecast, plan, leads, digest, the web app)
reports as of this day. Counting today instead would make the days since the export look like
days without any activity; counting a future close date (a lost deal left with the date it was
expected to close) or a scheduled meeting would move the as-of past what the data knows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from ibis.common.exceptions import IbisError, TableNotFound

from attain.store.ddl import IMPORTS_TABLE
from attain.store.handle import Store

FACTS: tuple[tuple[str, str], ...] = (
    ("activities", "occurred_at"),
    ("opportunity_stages", "entered_at"),
    ("leads", "created_at"),
    ("opportunities", "created_at"),
    ("opportunities", "closed_at"),
)
"""(table, timestamp column) of the facts that date the data: an activity done, a stage entered,
a lead or deal created, a deal closed. Each counts only when dated no later than the import."""


def data_through(backend: Store, imported_at: datetime | None = None) -> date | None:
    """The last day with a fact dated no later than `imported_at`, or None for an empty store.

    `imported_at` defaults to when the latest import's export was taken (its `taken_at`, else
    `imported_at`); a store without an import log bounds nothing. Should every fact be later
    than the bound (a store filled with dates after its import), the latest fact is used, since
    the data then says nothing about the day it was taken.
    """
    bound = imported_at if imported_at is not None else latest_import(backend)
    found = _latest_facts(backend, bound)
    if bound is not None and not found:
        found = _latest_facts(backend, None)
    return max(found).date() if found else None


def _latest_facts(backend: Store, bound: datetime | None) -> list[pd.Timestamp]:
    """The latest value of each fact column no later than `bound` (all of them for None)."""
    found: list[pd.Timestamp] = []
    for table_name, column in FACTS:
        table = _table(backend, table_name)
        if table is None or column not in table.columns:
            continue
        values = table[column]
        if bound is not None:
            values = table.filter(values <= pd.Timestamp(bound).to_pydatetime())[column]
        latest = _timestamp(backend.execute(values.max()))
        if not pd.isna(latest):
            found.append(latest)
    return found


def latest_import(backend: Store) -> datetime | None:
    """When the latest import's export was taken (`taken_at`, else `imported_at`), or None."""
    log = _table(backend, IMPORTS_TABLE, stored=True)
    if log is None:
        return None
    taken = log.taken_at.fill_null(log.imported_at) if "taken_at" in log.columns else None
    value = _timestamp(backend.execute((taken if taken is not None else log.imported_at).max()))
    return None if pd.isna(value) else value.to_pydatetime()


def resolve_as_of(
    asked: date | None, today: date, data_through: date | None, notes: list[str]
) -> date:
    """The as-of date: as asked; else the data's last day (`data_through`), else today.

    A later as-of than the day after the data's last day is kept, with a note saying how far
    before it the data ends.
    """
    if asked is None and data_through is not None:
        notes.append(
            f"{freshness_line(data_through)}: reporting as of the data's last day "
            "(use --as-of for another day)"
        )
        return data_through
    as_of = asked or today
    if data_through is not None and (as_of - data_through).days > 1:
        notes.append(
            f"{freshness_line(data_through)}, {(as_of - data_through).days} days before {as_of}"
        )
    return as_of


def freshness_line(through: date | None) -> str:
    """'data through D', the words every output uses for the data's last day."""
    return "no data" if through is None else f"data through {through}"


def _table(backend: Store, name: str, *, stored: bool = False) -> Any:
    """The table (the stored one for logs, else the analysis view), or None when absent."""
    lookup = getattr(backend, "stored_table", backend.table) if stored else backend.table
    try:
        return lookup(name)
    except (TableNotFound, IbisError, LookupError):
        return None


def _timestamp(value: Any) -> Any:
    """`value` as a pandas Timestamp, NaT when missing."""
    return pd.NaT if value is None or pd.isna(value) else pd.Timestamp(value)
