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

S, INT, F, T = ColumnType.STRING, ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.TIMESTAMP
LOG_TABLES: dict[str, dict[str, ColumnType]] = {
    IMPORTS_TABLE: {
        "import_id": INT,
        "imported_at": T,
        "preset": S,
        "files": S,
        "rows_loaded": INT,
        "rows_rejected": INT,
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
}
"""The import log's tables and their columns, in every store."""


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
    for name, log in LOG_TABLES.items():
        columns = ", ".join(f"{quote_ident(c)} {SQL_TYPES[kind]}" for c, kind in log.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
