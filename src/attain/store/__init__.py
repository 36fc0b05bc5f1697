"""The analytic store: CRM facts in DuckDB (default), PostgreSQL or Spark, read through Ibis."""

from attain.store.connect import DEFAULT_DB, connect, raw_duckdb
from attain.store.ddl import SQL_TYPES, create_tables

__all__ = ["DEFAULT_DB", "SQL_TYPES", "connect", "create_tables", "raw_duckdb"]
