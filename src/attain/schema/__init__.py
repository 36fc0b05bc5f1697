"""The canonical CRM schema: tables, columns, keys and allowed values."""

from attain.schema.model import Column, ColumnType, RowRule, Table
from attain.schema.tables import TABLES

__all__ = ["TABLES", "Column", "ColumnType", "RowRule", "Table"]
