"""Open the analytic store as an Ibis backend from a path or URL."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend

from attain.errors import StoreError
from attain.store.currency import CurrencySettings, Lookup, opportunities_view, quotas_view
from attain.store.ddl import create_tables
from attain.store.dialects import connect_postgres, connect_spark, parse_target
from attain.store.kept_reads import kept_read, kept_unnamed_owners
from attain.store.point_in_time import crediting

DEFAULT_DB = "attain.duckdb"


def connect(
    db: str | Path | None = None,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    currency: CurrencySettings | None = None,
) -> Any:
    """An Ibis backend for `db`: a DuckDB file path or `duckdb://path` (default `attain.duckdb`),
    `postgresql://user@host:port/database`, `spark://local[*]` or a Spark Connect `sc://` URL.

    The DuckDB store keeps timestamps in UTC; its session time zone is set to UTC so that
    imported offsets are normalised the same way on every machine. `memory_limit` (e.g. "2GB")
    bounds DuckDB's memory; larger work spills to disk.

    `backend.table(name)` gives what analyses read: deals and quotas in the corporate currency
    under `currency` (attain.store.currency), open deals at the rate of
    `backend.open_deals_day` (set it to the analysis' as-of day; default today);
    `backend.stored_table(name)` gives a table as stored, for imports, copies and counts.
    Closed deals are credited to their owner at close time where the store keeps history, and
    `attain.store.point_in_time.at(backend, version=..., when=...)` reads a past state.
    """
    settings = currency or CurrencySettings()
    target = parse_target(str(db or DEFAULT_DB))
    if target.kind == "postgres":
        return _analysis_tables(connect_postgres(target.location), settings)
    if target.kind == "spark":
        return _analysis_tables(connect_spark(target.location), settings)
    path = target.location  # duckdb:///abs/path and duckdb://relative/path
    if path != ":memory:" and read_only and not Path(path).exists():
        raise StoreError(f"{path}: no store here yet; run `attain import` first")
    try:
        backend = ibis.duckdb.connect(path, read_only=read_only)
    except duckdb.Error as error:
        raise StoreError(f"{path}: cannot open the store: {str(error).splitlines()[0]}") from error
    con = raw_duckdb(backend)
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit:
        try:
            con.execute("SET memory_limit = ?", [memory_limit])
        except duckdb.Error as error:
            backend.disconnect()
            raise StoreError(
                f"memory limit {memory_limit!r}: {str(error).splitlines()[0]}"
            ) from error
    if not read_only:
        create_tables(con)
    return _analysis_tables(backend, settings, None if path == ":memory:" else Path(path))


VIEWS: dict[str, Callable[[Lookup, CurrencySettings, date | None], Any]] = {
    "opportunities": opportunities_view,
    "quotas": quotas_view,
}
"""Tables that analyses read through a view (attain.store.currency)."""


def _analysis_tables(backend: Any, settings: CurrencySettings, location: Path | None = None) -> Any:
    """`backend` whose `table()` gives analyses' views and `stored_table()` the stored tables;
    `location`, a DuckDB store's file, beside which reads its data alone decides are kept
    (attain.store.kept_reads).

    Each stored table's schema is looked up once: a report makes dozens of lookups, each a round
    trip to the engine, and Attain's tables keep the columns its DDL gave them. Each view is
    built once per conversion day (building one asks the store which currencies it holds);
    `backend.forget_views()` drops them, as an import through the backend does.
    """
    lookup = backend.table
    views: dict[tuple[str, date | None], Any] = {}
    # Reads several analyses share, kept until the data changes (forget_views).
    shared: dict[str, Any] = {}

    @functools.cache
    def stored_table(name: str, /, *, database: Any = None) -> Any:
        return lookup(name, database=database)

    def table(name: str, /, *, database: Any = None) -> Any:
        view = VIEWS.get(name)
        if view is None or database is not None:
            return stored_table(name, database=database)
        key = (name, backend.open_deals_day)
        if key not in views:
            views[key] = view_of(name, stored_table, backend.open_deals_day)
        return views[key]

    def unnamed() -> Any:
        """attain.store.point_in_time.unnamed_owners of the stored tables, read once."""
        if "unnamed_owners" not in shared:
            con = backend.con if location is not None else None
            shared["unnamed_owners"] = kept_unnamed_owners(location, con, stored_table)
        return shared["unnamed_owners"]

    def view_of(name: str, stored: Lookup, day: date | None) -> Any:
        """The view `name` over `stored` (None: not a view); attain.store.point_in_time builds
        its past views with it. Closed deals are credited to their owner at close time."""
        view = VIEWS.get(name)
        if view is None:
            return None
        return view(crediting(stored, unnamed if stored is stored_table else None), settings, day)

    def forget_views() -> None:
        views.clear()
        shared.clear()

    def kept(kind: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, a read of `table()`'s tables as they now are, kept beside a DuckDB store
        file per state of the store, currency settings and open deals' day
        (attain.store.kept_reads.kept_read). Readers ask only where `backend.table` is this
        backend's own (`analysis_table`): a past version's reading (PointInTime) passes every
        other attribute through to this backend."""
        con = backend.con if location is not None else None
        decided_by = [settings.model_dump(), backend.open_deals_day]
        return kept_read(location, con, kind, decided_by, compute)

    backend.stored_table = stored_table
    backend.view_of = view_of
    backend.currency_settings = settings
    backend.open_deals_day = None
    backend.unnamed_owners = unnamed
    backend.forget_views = forget_views
    backend.kept = kept
    backend.table = backend.analysis_table = table
    return backend


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection, memory_limit: str | None) -> Iterator[None]:
    """DuckDB's `memory_limit` for the work inside (None: the connection's own), and a
    temporary directory to spill to beyond it; both as they were afterwards.

    A file store spills beside its file (`<store>.tmp`, DuckDB's default); an in-memory
    database (an import bound for PostgreSQL or Spark) has no such place, so it gets one in
    the system's temporary directory for the work's duration.
    """
    limit, path = con.execute(
        "SELECT current_setting('memory_limit'), path FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchall()[0]
    if memory_limit:
        try:
            con.execute("SET memory_limit = ?", [memory_limit])
        except duckdb.Error as error:
            raise StoreError(
                f"memory limit {memory_limit!r}: {str(error).splitlines()[0]}"
            ) from error
    with tempfile.TemporaryDirectory(prefix="attain-spill-") as spill:
        try:
            if not path:
                con.execute("SET temp_directory = ?", [spill])
            yield
        finally:
            if memory_limit:
                con.execute("SET memory_limit = ?", [limit])
            if not path:
                con.execute("RESET temp_directory")


def raw_duckdb(backend: Any) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection under an Ibis DuckDB backend, for bulk loading."""
    if not isinstance(backend, DuckDBBackend):
        raise StoreError("bulk import needs a DuckDB store")
    con: duckdb.DuckDBPyConnection = backend.con
    return con
