"""The vocabulary of the canonical schema: column types, columns, tables and row rules."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ColumnType(StrEnum):
    """Logical column types; each maps to one SQL type in every store."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"


class Column(BaseModel):
    """One canonical column: its type, whether it must be present and filled, and its checks."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    description: str
    required: bool = False
    """The column must be present in every file of its table."""
    nullable: bool = True
    """Empty cells are allowed."""
    allowed: tuple[str, ...] | None = None
    """Enumerated values; anything else is rejected."""
    min_value: float | None = None
    """Smallest allowed number (e.g. 0 for amounts)."""
    upper_case: bool = False
    """Text is upper-cased when read (currency codes)."""
    references: str | None = None
    """`table.column` that a non-empty value must exist in (in the same import or the store)."""


class RowRule(BaseModel):
    """A check across columns of one row, e.g. an end date not before its start date."""

    model_config = ConfigDict(frozen=True)

    column: str
    """The column blamed in the rejects report."""
    sql: str
    """A boolean SQL predicate over typed columns that is TRUE for a bad row."""
    reason: str


class Table(BaseModel):
    """One canonical table: its file name, key and columns."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = ()
    time_column: str | None = None
    """The column that places a row in time (used for date ranges and freshness)."""

    def column(self, name: str) -> Column:
        """The column called `name`; KeyError if the table has none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """Canonical column names in file order."""
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns every file of this table must contain."""
        return tuple(column.name for column in self.columns if column.required)
