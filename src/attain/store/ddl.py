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


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical table (and the import log) that does not exist yet.

    A store made by an older Attain gains the columns added since, empty.
    """
    for table in TABLES.values():
        columns = ", ".join(
            f"{quote_ident(column.name)} {SQL_TYPES[column.type]}" for column in table.columns
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {table.name} ({columns})")
        for column in table.columns:
            con.execute(
                f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS "
                f"{quote_ident(column.name)} {SQL_TYPES[column.type]}"
            )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {IMPORTS_TABLE} (import_id BIGINT, imported_at TIMESTAMP, "
        "preset VARCHAR, files VARCHAR, rows_loaded BIGINT, rows_rejected BIGINT)"
    )
