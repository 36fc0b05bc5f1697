"""The `map` preset: any CRM export, mapped onto the canonical tables by a column map (TOML).

`attain import FILES --map map.toml`; the format is in docs/column-maps.md and is checked by
attain.ingest.mapping. Each table of the map becomes one Source per file it names; what the map
decides on the user's behalf (skipped rows, fallbacks, rows it rejects) is reported in notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest.mapping import (
    CATCH_ALL,
    OUTCOMES,
    ColumnMap,
    ColumnRule,
    TableMap,
    literal,
    load_map,
)
from attain.ingest.presets.exports import date, derived, optional, stage, text, timestamp
from attain.ingest.readers import ROW, RawFile, ReadOptions, quote_literal
from attain.ingest.sources import Plan, Source, expand_paths, mapped_source
from attain.schema import TABLES, ColumnType

IMPLIED_KEY = "_attain_key"
"""Column of a distinct table's relation holding its key, to leave it out of later files."""


def sources(con: duckdb.DuckDBPyConnection, paths: list[Path], options: ReadOptions) -> Plan:
    """One Source per (table of the map, file matching its `files` patterns)."""
    if options.column_map is None:
        raise InputError("the map preset needs a column map: attain import FILES --map map.toml")
    column_map = load_map(options.column_map)
    files = expand_paths(paths)
    staged: dict[Path, RawFile] = {}
    plan = Plan(sources=[])
    used: set[Path] = set()
    for name, table in column_map.tables.items():
        matched = [path for path in files if table.matches(path)]
        implied: list[str] = []  # a distinct table's relations so far: later files add new keys
        if not matched:
            plan.notes.append(
                f"map: no file for {name} (files = {', '.join(table.files)}); table skipped"
            )
        for path in matched:
            if path not in staged:
                staged[path] = stage(con, path, options=options)
            used.add(path)
            mapped = _TableSource(con, column_map, name, table, staged[path], options, implied)
            plan.sources.append(mapped.source())
            plan.notes.extend(mapped.notes)
    if not plan.sources:
        raise InputError(
            f"{column_map.path}: no file given matches any table's files pattern "
            f"({', '.join(path.name for path in files)})"
        )
    ignored = [path.name for path in files if path not in used]
    if ignored:
        plan.notes.append(f"map: ignored {', '.join(ignored)} (no table's files pattern fits)")
    return plan


@dataclass
class _TableSource:
    """One table of the map over one staged file: SQL per canonical column, rejects, notes."""

    con: duckdb.DuckDBPyConnection
    column_map: ColumnMap
    table: str
    spec: TableMap
    raw: RawFile
    options: ReadOptions
    implied: list[str]
    """For rows = distinct: relations already made for this table from earlier files."""
    notes: list[str] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)
    """SELECTs yielding `_row, column_name, value, reason` for rows the map itself rejects."""
    keep: str = "true"
    """SQL condition: the row is not skipped."""

    def source(self) -> Source:
        """The Source: skip rules applied, distinct rows picked, outcomes made consistent."""
        self.keep = self._skip()
        if self.spec.rows == "distinct":
            self.raw = self._distinct()
            self.keep = "true"
        expressions = {
            column: self._expression(column, rule)
            for column, rule in self.spec.columns.items()
            if self._available(column, rule)
        }
        if self.table == "opportunities":
            self._outcomes(expressions)
        self._fallback_notes(expressions)
        source = mapped_source(self.raw, self.table, expressions, where=self.keep)
        rejects = " UNION ALL ".join(self.rejects) or None
        return replace(source, rejects=rejects)

    # -- where the values come from ---------------------------------------------------------

    def _where(self, *keys: str) -> str:
        return self.column_map.where(self.table, *keys)

    def _find(self, aliases: list[str], *keys: str) -> str:
        """The first alias the file has, quoted; InputError naming the map key if none."""
        found = optional(self.raw, *aliases)
        if found is None:
            raise InputError(
                f"{self._where(*keys)}: {self.raw.path.name} has no column "
                f"{' or '.join(repr(a) for a in aliases)}; its columns are "
                f"{', '.join(self.raw.columns)}"
            )
        return found

    def _available(self, column: str, rule: ColumnRule) -> bool:
        """False for an optional rule whose source column the file lacks: leave it absent."""
        if not rule.optional or not rule.column:
            return True
        return optional(self.raw, *rule.column) is not None

    def _cell(self, column: str, rule: ColumnRule) -> str:
        """SQL: the source text of the column, then of each fallback where it is empty.

        An optional rule's fallbacks may be absent too; they are then left out.
        """
        cells = [text(self._find(rule.column, "columns", column))]
        for aliases in rule.fallback:
            found = optional(self.raw, *aliases)
            if found is None and not rule.optional:
                found = self._find(aliases, "columns", column, "fallback")
            if found is not None:
                cells.append(text(found))
        return cells[0] if len(cells) == 1 else f"coalesce({', '.join(cells)})"

    def _expression(self, column: str, rule: ColumnRule) -> str:
        """SQL text for one canonical column: origin, date layout, value map, default."""
        if rule.value is not None:
            return literal(rule.value)
        if rule.hash:
            parts = [
                f"coalesce({text(self._find(aliases, 'columns', column, 'hash'))}, '')"
                for aliases in rule.hash
            ]
            digest = f"substr(md5(concat_ws(chr(31), {', '.join(parts)})), 1, 16)"
            return f"{quote_literal(rule.prefix)} || {digest}"
        if rule.row:
            stem = quote_literal(f"{rule.prefix}{self.raw.path.stem}-")
            return f"{stem} || CAST({ROW} AS VARCHAR)"
        cell = self._dated(column, rule, self._cell(column, rule))
        mapped = self._value_map(column, rule, cell)
        if rule.default is None:
            return mapped
        default = self._target(column, rule.default)
        return f"CASE WHEN {cell} IS NULL THEN {default} ELSE {mapped} END"

    def _dated(self, column: str, rule: ColumnRule, cell: str) -> str:
        """Dates read with the map's layout (column, table, map, --date-format), else as ISO.

        Without a layout, slash dates load only where one day/month order makes a date: a map
        is for exports of any locale, so neither order is assumed (attain.ingest.dates).
        """
        kind = TABLES[self.table].column(column).type
        if kind not in (ColumnType.DATE, ColumnType.TIMESTAMP):
            return cell
        layout = (
            rule.date_format
            or self.spec.date_format
            or self.column_map.date_format
            or self.options.date_format
        )
        read = date if kind is ColumnType.DATE else timestamp
        try:
            return read(cell, layout, month_first=False)
        except InputError as error:  # an unknown layout: say which key of the map gives it
            raise InputError(f"{self._where('columns', column)}: {error}") from None

    def _value_map(self, column: str, rule: ColumnRule, cell: str) -> str:
        """SQL: the value map applied to `cell`; unmapped values kept, emptied or rejected."""
        if not rule.values:
            return cell
        targets = {key.strip().lower(): value for key, value in rule.values.items()}
        catch_all = targets.pop(CATCH_ALL, None)
        whens = " ".join(
            f"WHEN {quote_literal(key)} THEN {self._target(column, value)}"
            for key, value in targets.items()
        )
        if catch_all is not None:
            otherwise = self._target(column, catch_all)
        elif rule.unmapped == "keep":
            otherwise = cell
        else:
            otherwise = "NULL"
            if rule.unmapped == "reject":
                self._reject_unmapped(column, rule, cell, list(targets))
        return f"CASE lower({cell}) {whens} ELSE {otherwise} END"

    def _target(self, column: str, value: object) -> str:
        if column == "is_won":
            outcome = OUTCOMES[str(value).lower()]
            return "NULL" if outcome is None else quote_literal(outcome)
        assert isinstance(value, str | int | float | bool)
        return literal(value)

    # -- what the map rejects and reports ---------------------------------------------------

    def _reject(self, column: str, value: str, reason: str, condition: str) -> None:
        self.rejects.append(
            f"SELECT {ROW}, {quote_literal(column)} AS column_name, CAST({value} AS VARCHAR) "
            f"AS value, {reason} AS reason FROM {self.raw.relation} "
            f"WHERE ({condition}) AND {self.keep}"
        )

    def _reject_unmapped(self, column: str, rule: ColumnRule, cell: str, known: list[str]) -> None:
        names = rule.column[0]
        reason = quote_literal(
            f"{names} value not in the column map's values "
            f"({self._where('columns', column, 'values')}: {', '.join(known)})"
        )
        keys = ", ".join(quote_literal(key) for key in known)
        self._reject(column, cell, reason, f"{cell} IS NOT NULL AND lower({cell}) NOT IN ({keys})")

    def _skip(self) -> str:
        """SQL condition keeping the rows no skip rule drops; the dropped ones go in a note."""
        conditions = []
        for index, rule in enumerate(self.spec.skip):
            cell = text(self._find(rule.column, "skip", str(index), "column"))
            values = ", ".join(quote_literal(value.strip().lower()) for value in rule.values)
            condition = f"coalesce(lower({cell}) IN ({values}), false)"
            rows = [
                row
                for (row,) in self.con.execute(
                    f"SELECT {ROW} FROM {self.raw.relation} WHERE {condition} ORDER BY 1"
                ).fetchall()
            ]
            if rows:
                shown = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
                self.notes.append(
                    f"map: {self.raw.path.name}: skipped {len(rows)} row(s) for {self.table} "
                    f"where {rule.column[0]} is {' or '.join(rule.values)} (rows {shown})"
                )
            conditions.append(f"NOT {condition}")
        return " AND ".join(conditions) or "true"

    def _distinct(self) -> RawFile:
        """The file's rows reduced to the first one carrying each key (reps from owners).

        Keys an earlier file of the same table implied already are left out, so that an owner
        of both contacts and deals is one rep, reported against the first file.
        """
        recorded = list(self.rejects)
        parts = [
            self._expression(column, self.spec.columns[column]) for column in TABLES[self.table].key
        ]
        self.rejects = recorded  # the rows' own rejects are recorded once they are picked
        key = parts[0] if len(parts) == 1 else f"concat_ws(chr(31), {', '.join(parts)})"
        new = " ".join(
            f"AND ({key}) NOT IN (SELECT {IMPLIED_KEY} FROM {seen})" for seen in self.implied
        )
        picked = derived(
            self.con,
            self.raw,
            f"SELECT *, {key} AS {IMPLIED_KEY} FROM {self.raw.relation} "
            f"WHERE {self.keep} AND ({key}) IS NOT NULL {new} "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {ROW}) = 1",
        )
        self.implied.append(picked.relation)
        return picked

    def _outcomes(self, expressions: dict[str, str]) -> None:
        """Open deals carry no close; closed deals with no close date are rejected, counted.

        A status mapped to open empties `closed_at` (a fallback such as a tentative close date
        only closes deals the status closes). A won or lost deal with no close date cannot be
        placed in any period: the map rejects it with the columns it tried.
        """
        if "is_won" not in expressions or "closed_at" not in expressions:
            return
        is_won, closed_at = expressions["is_won"], expressions["closed_at"]
        expressions["closed_at"] = f"CASE WHEN ({is_won}) IS NOT NULL THEN {closed_at} END"
        # is_won stays, so the import summary counts these among the won deals it rejected (the
        # importer adds its own reason, is_won without closed_at, beside the map's).
        rule = self.spec.columns["closed_at"]
        tried = " nor ".join(aliases[0] for aliases in rule.sources()) if rule.column else "it"
        outcome = f"CASE ({is_won}) WHEN 'true' THEN 'won' ELSE 'lost' END"
        reason = (
            f"{outcome} || {quote_literal(f' deal with no close date: neither {tried} is set')}"
        )
        condition = f"({is_won}) IS NOT NULL AND ({closed_at}) IS NULL"
        self._reject("closed_at", "NULL", reason, condition)
        self._money_note(
            expressions, condition, is_won, f"rejected, closed with neither {tried} set"
        )

    def _fallback_notes(self, expressions: dict[str, str]) -> None:
        """A note per column that took a fallback on some rows: how many, and their amount."""
        for column, rule in self.spec.columns.items():
            if not rule.fallback or column not in expressions:
                continue
            first = self._find(rule.column, "columns", column)
            condition = f"{text(first)} IS NULL AND ({expressions[column]}) IS NOT NULL"
            is_won = expressions.get("is_won")
            taken = " or ".join(aliases[0] for aliases in rule.fallback)
            self._money_note(
                expressions,
                condition,
                is_won,
                f"{column} taken from {taken} ({rule.column[0]} empty)",
            )

    def _money_note(
        self, expressions: dict[str, str], condition: str, is_won: str | None, what: str
    ) -> None:
        """Note `what` happened to the rows meeting `condition`: count and amount, won/lost."""
        amount = expressions.get("amount", "NULL")
        group = f"({is_won})" if is_won is not None else "NULL"
        rows = self.con.execute(
            f"SELECT {group} AS outcome, count(*), sum(TRY_CAST({amount} AS DOUBLE)) "
            f"FROM {self.raw.relation} WHERE ({condition}) AND {self.keep} "
            "GROUP BY 1 ORDER BY 1 DESC NULLS LAST"
        ).fetchall()
        if not rows:
            return
        names = {"true": "won", "false": "lost", None: "open" if is_won else "row(s)"}
        parts = [
            f"{count:,} {names[outcome]}"
            + (f" (amount {total or 0:,.2f})" if "amount" in expressions else "")
            for outcome, count, total in rows
        ]
        self.notes.append(f"map: {self.raw.path.name}: {self.table}: {what}: {', '.join(parts)}")
