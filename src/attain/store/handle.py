"""`Store`: the type of an open store, as `attain.store.connect` returns it.

An Ibis backend (DuckDB, PostgreSQL or Spark) to which `connect` adds Attain's analysis views.
Ibis ships no type information, so this Protocol names what Attain's own code asks of a store;
the tables it gives are Ibis table expressions (`Any` to the type checker).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol


class Store(Protocol):
    """An open store: analysis views by `table`, tables as stored by `stored_table`."""

    open_deals_day: date | None
    """The day open deals' amounts are converted at (default today)."""

    def table(self, name: str, /, *, database: Any = None) -> Any:
        """What analyses read: `name`'s view (deals and quotas in the corporate currency,
        closed deals credited at close) or, for other tables, the table as stored."""

    def stored_table(self, name: str, /, *, database: Any = None) -> Any:
        """The table `name` as stored, for imports, copies and counts."""

    def execute(self, expr: Any, /, **kwargs: Any) -> Any:
        """The value of an Ibis expression: a DataFrame, a Series or a scalar."""

    def disconnect(self) -> None:
        """Close the connection."""
