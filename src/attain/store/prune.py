"""Remove old closed rows from the deals' and reps' history (`attain history prune`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from attain.store.connect import connect, raw_duckdb
from attain.store.ddl import OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE, create_tables
from attain.store.dialects import backend_kind, store_tables, write_tables
from attain.store.kept_reads import forget_kept

HISTORY_TABLES = (OPPORTUNITY_HISTORY_TABLE, REP_HISTORY_TABLE)


@dataclass(frozen=True)
class Pruned:
    """What a prune removed: rows per history table, and the bytes the store file freed."""

    rows: dict[str, int]
    bytes_freed: int | None
    """Bytes of the DuckDB file's used blocks freed; None on PostgreSQL and Spark stores."""

    @property
    def total(self) -> int:
        """Rows removed from both history tables."""
        return sum(self.rows.values())


def prune_history(backend: Any, before: datetime) -> Pruned:
    """Delete every closed history row (one with a `valid_to`) that ended before `before`.

    Current rows (`valid_to` NULL, deleted deals' included) always stay, so every deal and rep
    keeps its latest state; the point-in-time reads before `before` lose what was removed.
    One transaction: all of it or nothing.
    """
    if backend_kind(backend) != "duckdb":
        return _prune_through_duckdb(backend, before)
    con = raw_duckdb(backend)
    create_tables(con)
    con.execute("CHECKPOINT")
    used = _used_bytes(con)
    rows = _delete_closed(con, before)
    con.execute("CHECKPOINT")  # DuckDB frees the deleted rows' blocks when it checkpoints
    if any(rows.values()):  # the history changed with no new data version: nothing kept holds
        forget_kept(con)
    return Pruned(rows, used - _used_bytes(con))


def _delete_closed(con: duckdb.DuckDBPyConnection, before: datetime) -> dict[str, int]:
    rows = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for name in HISTORY_TABLES:
            found = con.execute(
                f"DELETE FROM {name} WHERE valid_to IS NOT NULL AND valid_to < ?", [before]
            ).fetchone()
            rows[name] = int(found[0]) if found else 0
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rows


def _prune_through_duckdb(backend: Any, before: datetime) -> Pruned:
    """PostgreSQL, Spark: prune the history tables in an in-memory DuckDB, write them back."""
    work = connect(":memory:")
    try:
        con = raw_duckdb(work)
        create_tables(con)
        stored = getattr(backend, "stored_table", backend.table)
        schemas = store_tables()
        for name in HISTORY_TABLES:
            arrow = backend.to_pyarrow(stored(name).select(*schemas[name].names))
            con.register("_attain_incoming", arrow)
            con.execute(f"INSERT INTO {name} SELECT * FROM _attain_incoming")
            con.unregister("_attain_incoming")
        rows = _delete_closed(con, before)
        if sum(rows.values()):
            write_tables(backend, con, list(HISTORY_TABLES))
        return Pruned(rows, None)
    finally:
        work.disconnect()


def _used_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """Bytes in the blocks the current database uses (free blocks of its file excluded)."""
    row = con.execute(
        "SELECT (total_blocks - free_blocks) * block_size FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchone()
    return int(row[0]) if row else 0
