"""What the store holds: row counts, date ranges and the import log, read through Ibis."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ibis.common.exceptions import TableNotFound

from attain.schema import TABLES, ColumnType
from attain.store.ddl import IMPORT_MONEY_TABLE, IMPORT_TABLES_TABLE, IMPORTS_TABLE
from attain.store.handle import Store


@dataclass(frozen=True)
class TableInventory:
    """Row count and time span of one canonical table."""

    table: str
    rows: int
    first: date | datetime | None
    last: date | datetime | None


@dataclass(frozen=True)
class TableImport:
    """What the latest import of one table did: rows read, loaded, rejected, implied, backdated."""

    table: str
    import_id: int
    rows_read: int
    loaded: int
    rejected: int
    implied: int
    backdated: int
    deleted: int = 0
    """Stored deals the import's full export no longer held, deleted (docs/history.md)."""


@dataclass(frozen=True)
class WonMoney:
    """Won deals of one currency in an import: how many and how much loaded and rejected.

    `currency` is None for amounts with no currency (the corporate one). A rejected deal whose
    amount cannot be read counts in `rejected` but adds nothing to `rejected_amount`.
    """

    currency: str | None
    loaded: int
    loaded_amount: float
    rejected: int
    rejected_amount: float


@dataclass(frozen=True)
class Inventory:
    """Every canonical table's inventory plus the number and time of imports, and what the
    latest import of each table did (with the won money of the latest import of deals)."""

    tables: list[TableInventory]
    imports: int
    last_import: datetime | None
    latest: list[TableImport] = field(default_factory=list)
    won: list[WonMoney] = field(default_factory=list)


def inventory(backend: Store) -> Inventory:
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
    log = stored(IMPORTS_TABLE)
    summary = log.aggregate(n=log.count(), last=log.imported_at.max()).execute().iloc[0]
    latest, won = _latest_imports(backend)
    return Inventory(entries, int(summary["n"]), _value(summary["last"]), latest, won)


def _latest_imports(backend: Store) -> tuple[list[TableImport], list[WonMoney]]:
    """Each table's line of the latest import that read it, and that import's won money."""
    stored = getattr(backend, "stored_table", backend.table)
    try:
        log = stored(IMPORT_TABLES_TABLE)
    except TableNotFound:  # a store made before the import log had its per-table lines
        return [], []
    newest = log.group_by("table_name").aggregate(import_id=log.import_id.max())
    rows = log.join(newest, ["table_name", "import_id"]).execute()
    order = {name: i for i, name in enumerate(TABLES)}
    latest = sorted(
        (
            TableImport(
                str(r.table_name),
                int(r.import_id),
                int(r.rows_read),
                int(r.inserted) + int(r.updated),
                int(r.rejected),
                _count(getattr(r, "implied", None)),
                _count(getattr(r, "backdated", None)),
                _count(getattr(r, "deleted", None)),
            )
            for r in rows.itertuples()
        ),
        key=lambda line: order.get(line.table, len(order)),
    )
    deals = [line.import_id for line in latest if line.table == "opportunities"]
    if not deals:
        return latest, []
    money = stored(IMPORT_MONEY_TABLE)
    frame = money.filter(
        (money.import_id == deals[0]) & (money.table_name == "opportunities")
    ).execute()
    won = [
        WonMoney(
            _value(r.currency),
            int(r.won_loaded),
            float(r.won_loaded_amount),
            int(r.won_rejected),
            float(r.won_rejected_amount),
        )
        for r in frame.sort_values("currency", na_position="first").itertuples()
    ]
    return latest, won


def _value(value: Any) -> Any:
    """Pandas missing values and timestamps as plain Python values."""
    if value is None or value != value:  # NaN / NaT
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


def _count(value: Any) -> int:
    """A count of the import log, 0 where a store made by an older Attain has none."""
    return 0 if value is None or value != value else int(value)


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class DataQuality:
    """What the analyses cannot count or measure fully because of how the data came in."""

    rejected_won: tuple[WonMoney, ...]
    """Won deals of the latest import of opportunities, per currency with any rejected."""
    backdated: int
    """Closed deals in the store created after they closed."""
    backdated_won: tuple[tuple[str | None, float], ...]
    """Their won amount per currency, as recorded."""

    def note(self) -> str | None:
        """One line for the user, or None when nothing needs saying."""
        parts = []
        if self.rejected_won:
            money = _money((entry.currency, entry.rejected_amount) for entry in self.rejected_won)
            deals = sum(entry.rejected for entry in self.rejected_won)
            parts.append(
                f"{deals:,} won deal(s) ({money}) were rejected at import and are not counted "
                "(see the rejects report)"
            )
        if self.backdated:
            parts.append(
                f"{self.backdated:,} closed deal(s) were entered after they closed (backdated; "
                f"won {_money(self.backdated_won) or 'nothing'}): they count when they closed, "
                "but no sales cycle is measured for them"
            )
        return "Data quality: " + "; ".join(parts) + "." if parts else None


def data_quality(backend: Store) -> DataQuality:
    """Rejected won deals of the latest import of deals, and backdated deals in the store."""
    _, won = _latest_imports(backend)
    rejected = tuple(entry for entry in won if entry.rejected)
    stored = getattr(backend, "stored_table", backend.table)
    deals = stored("opportunities")
    late = deals.filter(deals.closed_at < deals.created_at)
    counts = late.group_by("currency").aggregate(
        n=late.count(), won=late.amount.sum(where=late.is_won).fill_null(0.0)
    )
    frame = counts.execute().sort_values("currency", na_position="first")
    late_won = tuple((_value(r.currency), float(r.won)) for r in frame.itertuples() if r.won)
    return DataQuality(rejected, int(frame["n"].sum()), late_won)


def _money(amounts: Iterable[tuple[str | None, float]]) -> str:
    """'USD 1,200; MXN 40,000': amounts of several currencies side by side, never added (an
    amount with no currency is in the corporate one and shows bare)."""
    return "; ".join(f"{currency or ''} {amount:,.0f}".strip() for currency, amount in amounts)
