"""What the store holds: row counts, date ranges and the import log, read through Ibis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from attain.schema import TABLES, ColumnType
from attain.store.ddl import IMPORTS_TABLE


@dataclass(frozen=True)
class TableInventory:
    """Row count and time span of one canonical table."""

    table: str
    rows: int
    first: date | datetime | None
    last: date | datetime | None


@dataclass(frozen=True)
class Inventory:
    """Every canonical table's inventory plus the number and time of imports."""

    tables: list[TableInventory]
    imports: int
    last_import: datetime | None


def inventory(backend: Any) -> Inventory:
    """Count rows and find the time span of each canonical table in the store."""
    entries = []
    stored = getattr(backend, "stored_table", backend.table)
    for spec in TABLES.values():
        table = stored(spec.name)
        if spec.time_column is None:
            rows, first, last = int(table.count().execute()), None, None
        else:
            column = table[spec.time_column]
            stats = table.aggregate(rows=table.count(), first=column.min(), last=column.max())
            row = stats.execute().iloc[0]
            rows, first, last = int(row["rows"]), _value(row["first"]), _value(row["last"])
            if spec.column(spec.time_column).type is ColumnType.DATE:
                first, last = _day(first), _day(last)
        entries.append(TableInventory(spec.name, rows, first, last))
    log = backend.table(IMPORTS_TABLE)
    summary = log.aggregate(n=log.count(), last=log.imported_at.max()).execute().iloc[0]
    return Inventory(entries, int(summary["n"]), _value(summary["last"]))


def _value(value: Any) -> Any:
    """Pandas missing values and timestamps as plain Python values."""
    if value is None or value != value:  # NaN / NaT
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value
