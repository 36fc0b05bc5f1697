"""Store tables named after the canonical files, with the canonical columns and SQL types."""

from __future__ import annotations

import duckdb

from attain.ingest.readers import quote_ident
from attain.schema import TABLES, ColumnType

SQL_TYPES: dict[ColumnType, str] = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMP",
}

IMPORTS_TABLE = "attain_imports"
"""One row per committed import: when, what, and how many rows; its count is the data version."""

IMPORT_TABLES_TABLE = "attain_import_tables"
"""Per import and canonical table: rows read, inserted, updated, rejected, implied, backdated."""

IMPORT_MONEY_TABLE = "attain_import_money"
"""Per import, table and currency: won deals (count and amount) loaded and rejected."""

LINE_HASHES_TABLE = "attain_line_hashes"
"""Per canonical table, a hash of each line of the file the last imports read for it, with a
hash of the row's key and the line's number in the file: a re-import types and merges only
the lines not seen (DuckDB stores only; attain.ingest.changed_rows). The header line's row
has no key hash (nor number); rows kept by an older Attain have no number. `row_id`: the
stored row's DuckDB rowid when the import that wrote it knew it (checked before use: a
compaction renumbers rows)."""

OPPORTUNITY_HISTORY_TABLE = "attain_opportunity_history"
"""A deal's tracked fields, one row per data version range in which they held (type 2 history).

`version_from`/`version_to` are import ids (`version_to` NULL: still current); `valid_from` /
`valid_to` are the `taken_at` times of those versions (when the exports were taken), so that
history reads by date. `deleted` rows start when a full export no longer held the deal."""

REP_HISTORY_TABLE = "attain_rep_history"
"""Each rep's team and role per data version range, like the deals' history."""

S, INT, F, T = ColumnType.STRING, ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.TIMESTAMP
B, D = ColumnType.BOOLEAN, ColumnType.DATE
VERSIONED: dict[str, ColumnType] = {
    "version_from": INT,
    "version_to": INT,
    "valid_from": T,
    "valid_to": T,
    "deleted": B,
}
LOG_TABLES: dict[str, dict[str, ColumnType]] = {
    IMPORTS_TABLE: {
        "import_id": INT,
        "imported_at": T,
        "preset": S,
        "files": S,
        "rows_loaded": INT,
        "rows_rejected": INT,
        "taken_at": T,  # when the export was taken (default: imported_at)
        "partial": B,  # a partial export or sync: what it lacks is not deleted
        "file_hashes": S,  # JSON object: file path -> SHA-256 of its content
    },
    IMPORT_TABLES_TABLE: {
        "import_id": INT,
        "table_name": S,
        "rows_read": INT,
        "inserted": INT,
        "updated": INT,
        "rejected": INT,
        "implied": INT,
        "backdated": INT,
        "changed": INT,  # of the updated rows, those whose stored values changed (any column)
        "unchanged": INT,
        "deleted": INT,  # stored rows a full export no longer held (history closed)
    },
    IMPORT_MONEY_TABLE: {
        "import_id": INT,
        "table_name": S,
        "currency": S,
        "won_loaded": INT,
        "won_loaded_amount": F,
        "won_rejected": INT,
        "won_rejected_amount": F,
    },
    OPPORTUNITY_HISTORY_TABLE: {
        "opportunity_id": S,
        **VERSIONED,
        "owner_rep_id": S,
        "stage": S,
        "amount": F,
        "currency": S,
        "expected_close_date": D,
        "closed_at": T,
        "is_won": B,
        "forecast_category": S,
        "probability": F,
        # Kept so that a deal deleted since still says when it entered the pipeline.
        "created_at": T,
    },
    REP_HISTORY_TABLE: {"rep_id": S, **VERSIONED, "team_id": S, "role": S},
}
"""The import log's and the history's tables and their columns, in every store."""


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical table (and the import log) that does not exist yet.

    A store made by an older Attain gains the columns added since, empty. The store's columns
    are read once and only what is missing is created: a statement per table and column
    (about a hundred) took 40-90 ms of every import and every connection.
    """
    had: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT c.table_name, c.column_name FROM duckdb_columns() c "
        "JOIN duckdb_tables() t ON t.table_oid = c.table_oid "
        "WHERE t.database_name = current_database() AND t.schema_name = current_schema()"
    ).fetchall():
        had.setdefault(table, set()).add(column)
    wanted: dict[str, dict[str, str]] = {
        table.name: {column.name: SQL_TYPES[column.type] for column in table.columns}
        for table in TABLES.values()
    }
    for name, log in LOG_TABLES.items():
        wanted[name] = {column: SQL_TYPES[kind] for column, kind in log.items()}
    wanted[LINE_HASHES_TABLE] = {
        "table_name": "VARCHAR",
        "import_id": "BIGINT",
        "line_hash": "UBIGINT",
        "key_hash": "UBIGINT",
        "line_number": "BIGINT",
        "row_id": "BIGINT",
    }
    for name, columns in wanted.items():
        _create_missing(con, name, columns, had.get(name))
    if OPPORTUNITY_HISTORY_TABLE in had and "created_at" not in had[OPPORTUNITY_HISTORY_TABLE]:
        _backfill_created_at(con)


def _create_missing(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], had: set[str] | None
) -> None:
    """Create table `name` with `columns` when it is missing (`had` None), else add the
    columns it lacks."""
    if had is None:
        listed = ", ".join(f"{quote_ident(column)} {kind}" for column, kind in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({listed})")
        return
    for column, kind in columns.items():
        if column not in had:
            con.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {quote_ident(column)} {kind}")


def _backfill_created_at(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the deals' history's new `created_at` from the stored deals.

    An older store's history rows lack it; left empty, the next import would see every deal's
    creation "change" and write a history row for each, though nothing in the CRM moved.
    """
    con.execute(
        f"UPDATE {OPPORTUNITY_HISTORY_TABLE} h SET created_at = o.created_at "
        "FROM opportunities o WHERE o.opportunity_id = h.opportunity_id"
    )
