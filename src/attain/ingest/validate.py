"""SQL that types staged text columns and finds every invalid cell, generated from the schema.

Checks run as set-based DuckDB queries over the whole staged table, so millions of rows are
validated without a Python loop; each failing cell becomes one reject with its file and row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from attain.ingest import dates
from attain.ingest.readers import ROW, quote_ident, quote_literal, same_key
from attain.schema import Column, ColumnType, Table

FILE = "_file"
"""Column holding the source file of each staged row."""

REJECT_COLUMNS = ("table_name", "file", "row", "column_name", "value", "reason")
"""Columns of the rejects table and of rejects.csv."""

_TYPE_HINTS: dict[ColumnType, str] = {
    ColumnType.INTEGER: "a whole number",
    ColumnType.FLOAT: "a number",
    ColumnType.BOOLEAN: "true or false",
    ColumnType.DATE: "a date like 2024-01-31",
    ColumnType.TIMESTAMP: "a timestamp like 2024-01-31 14:05:00",
}


def typed_expression(column: Column) -> str:
    """SQL turning the staged text of `column` into its type; NULL where it cannot be read."""
    text = f"NULLIF(TRIM({quote_ident(column.name)}), '')"
    match column.type:
        case ColumnType.STRING:
            if column.upper_case:
                return f"UPPER({text})"
            return f"LOWER({text})" if column.allowed else text
        case ColumnType.INTEGER:
            number = f"TRY_CAST({text} AS DOUBLE)"
            return f"CASE WHEN {number} = FLOOR({number}) THEN TRY_CAST({number} AS BIGINT) END"
        case ColumnType.FLOAT:
            number = f"TRY_CAST({text} AS DOUBLE)"
            return f"CASE WHEN isfinite({number}) THEN {number} END"
        case ColumnType.BOOLEAN:
            return f"TRY_CAST(LOWER({text}) AS BOOLEAN)"
        case ColumnType.DATE:
            # DuckDB's cast reads `02/03/24` as the year 2: years outside 1900-2200 are refused.
            return dates.in_range(f"TRY_CAST({text} AS DATE)")
        case ColumnType.TIMESTAMP:
            return dates.in_range(dates.timestamp_cast(text))


SUSPECT = "_suspect"
"""Typed column: some single-row check fails on the row (its rejects are then worked out)."""


def typed_select(
    table: Table,
    staged: str,
    present: tuple[str, ...],
    carried: tuple[str, ...] = (),
    file: str = FILE,
    numbered: bool = True,
) -> str:
    """SELECT over the staged table giving every canonical column typed (absent ones NULL),
    and SUSPECT: whether any single-row check of `row_checks` fails on the row.

    One pass over the staged rows does both, so valid files cost one read: the checks then
    look up the text only of the suspect rows (usually none) instead of joining every row's
    text with its typed values once per check. The inner SELECT is flat (a column per typed
    value, and per text column whether it is blank): packing the text and the typed values
    into two structs, as before, made this step four times slower (docs/scaling.md).
    `carried`: staged columns kept as they are (after `_row`); `file`: the staged column
    naming each row's file, kept first. Without `numbered`, the staged `_row` is left out
    (the caller numbers the rows otherwise, see importer._stage).
    """
    kept = "".join(f", {quote_ident(name)}" for name in carried)
    typed = ", ".join(
        (typed_expression(column) if column.name in present else "NULL")
        + f" AS {quote_ident(column.name)}"
        for column in table.columns
    )
    blanks = "".join(
        f", {_blank(quote_ident(name))} AS {quote_ident(_BLANK + name)}" for name in present
    )
    parts = _check_parts(table, present, blank=lambda name: f"t.{quote_ident(_BLANK + name)}")
    conditions = " OR ".join(f"({part.condition})" for part in parts)
    columns = ", ".join(
        f"t.{quote_ident(name)} AS {quote_ident(name)}" for name in table.column_names
    )
    carried_out = "".join(f", t.{quote_ident(name)}" for name in carried)
    row, inner_row = (f", t.{ROW}", f", {ROW}") if numbered else ("", "")
    return (
        f"SELECT t.{file}{row}{carried_out}, {columns}, coalesce({conditions or 'false'}, "
        f"false) AS {SUSPECT} "
        f"FROM (SELECT {file}{inner_row}{kept}, {typed}{blanks} FROM {staged}) t"
    )


_BLANK = "_blank_"
"""Prefix of typed_select's inner columns saying whether a text column is empty."""


def _blank(raw: str) -> str:
    """SQL: the text `raw` is missing or only spaces."""
    return f"NULLIF(TRIM({raw}), '') IS NULL"


@dataclass(frozen=True)
class _CheckPart:
    """One single-row check: the column and value a reject names, its reason, when it fails.

    SQL over `s` (the text as staged) and `t` (the typed values) of one row."""

    column: str
    value: str
    reason: str
    condition: str


def row_checks(
    table: Table,
    staged: str,
    typed: str,
    present: tuple[str, ...],
    *,
    single_rows: bool = True,
    duplicates: bool = True,
) -> list[str]:
    """SELECTs yielding rejects (REJECT_COLUMNS) for every check on single rows of `table`,
    and for duplicate keys.

    `staged` holds the text as read (for the value shown; the suspect rows suffice), `typed`
    the typed columns; both have the same `_file` and `_row`. Without `single_rows` (no row
    is SUSPECT, so none of those checks can fail) only the duplicate-key check is given;
    without `duplicates` (`keys_distinct` said so), not that one.
    """
    name = quote_literal(table.name)
    joined = f"{typed} t JOIN {staged} s USING ({FILE}, {ROW})"
    checks = [
        f"SELECT {name}, t.{FILE}, t.{ROW}, {quote_literal(part.column)}, "
        f"CAST({part.value} AS VARCHAR), {part.reason} FROM {joined} WHERE {part.condition}"
        for part in (_check_parts(table, present) if single_rows else [])
    ]
    if duplicates and all(part in present for part in table.key):
        checks.append(_duplicate_key_check(table, typed))
    return checks


def keys_distinct(table: Table, typed: str) -> str:
    """SQL: true when no two rows of `typed` that `_duplicate_key_check` compares have the
    same key hash, so that none has another's key (distinct hashes, distinct keys).

    Counting the distinct hashes costs less than grouping them with their counts, which the
    check does first (10 M activities: 1.6 against 2.1 to 2.6 CPU s), and valid files have
    no duplicate; when two hashes are the same, the check runs."""
    return (
        f"SELECT count(*) = count(DISTINCT {key_hash(table)}) FROM {typed} t "
        f"WHERE {_required_key(table)}"
    )


def key_hash(table: Table) -> str:
    """SQL: the 64-bit hash of a typed row's key (alias `t`): DuckDB's `hash()`, which two
    different keys share more often than 64 bits promise (see changed_rows.line_hash), so it
    only ever says which keys to compare exactly or which rows cannot be told apart by it."""
    return "hash(" + ", ".join(f"t.{quote_ident(part)}" for part in table.key) + ")"


def _required_key(table: Table) -> str:
    """SQL: the row has every required part of its key (alias `t`)."""
    # An empty part of a key is a value like any other (quotas.set_at: set before the
    # period began), so two rows alike but for nothing are duplicates; rows missing a
    # required part are rejected for that already.
    required = [
        f"t.{quote_ident(part)} IS NOT NULL"
        for part in table.key
        if not table.column(part).nullable
    ]
    return " AND ".join(required) or "true"


def _check_parts(
    table: Table, present: tuple[str, ...], blank: Callable[[str], str] | None = None
) -> list[_CheckPart]:
    """Every single-row check of `table`'s present columns and rules.

    `blank` gives, for a column name, SQL saying its text is empty (default: worked out from
    the text `s`)."""
    parts: list[_CheckPart] = []
    for column in table.columns:
        if column.name not in present:
            continue
        raw = f"s.{quote_ident(column.name)}"
        typed_value = f"t.{quote_ident(column.name)}"
        blank_text = blank(column.name) if blank else _blank(raw)
        if not column.nullable:
            parts.append(
                _CheckPart(
                    column.name, raw, quote_literal("empty value in a required column"), blank_text
                )
            )
        if column.type is not ColumnType.STRING:
            hint = f"not {_TYPE_HINTS[column.type]}"
            reason = (
                dates.reason(f"TRIM({raw})", hint)
                if column.type in (ColumnType.DATE, ColumnType.TIMESTAMP)
                else quote_literal(hint)
            )
            parts.append(
                _CheckPart(
                    column.name, raw, reason, f"NOT ({blank_text}) AND {typed_value} IS NULL"
                )
            )
        if column.allowed:
            allowed = ", ".join(quote_literal(value) for value in column.allowed)
            reason = quote_literal(f"unknown value; allowed: {', '.join(column.allowed)}")
            parts.append(_CheckPart(column.name, raw, reason, f"{typed_value} NOT IN ({allowed})"))
        if column.min_value is not None:
            reason = quote_literal(f"must be at least {column.min_value:g}")
            parts.append(
                _CheckPart(column.name, raw, reason, f"{typed_value} < {column.min_value}")
            )
    for rule in table.rules:
        if rule.column in present:
            parts.append(
                _CheckPart(
                    rule.column,
                    f"s.{quote_ident(rule.column)}",
                    quote_literal(rule.reason),
                    f"({_qualify(rule.sql, table)})",
                )
            )
    return parts


def _duplicate_key_check(table: Table, typed: str) -> str:
    """A SELECT yielding a reject for every row whose key another row of the import has."""
    name = quote_literal(table.name)
    key = ", ".join(f"t.{quote_ident(part)}" for part in table.key)
    key_text = " || '/' || ".join(
        f"coalesce(CAST(t.{quote_ident(part)} AS VARCHAR), '')" for part in table.key
    )
    where = _required_key(table)
    # The keys held twice are found by one grouping first, so that the row lists (a window
    # per key) are built only for their rows, not for the millions of unique keys.
    # That grouping is of the keys' 64-bit hashes (fixed width: 9.7 s against 11.9 s for the
    # key text, 10 M activities under load); only keys whose hash repeats are grouped exactly.
    hashed = key_hash(table)
    twice = f"SELECT {hashed} FROM {typed} t WHERE {where} GROUP BY 1 HAVING count(*) > 1"
    repeated = (
        f"(SELECT {key} FROM {typed} t WHERE {where} AND {hashed} IN ({twice}) "
        "GROUP BY ALL HAVING count(*) > 1)"
    )
    same = same_key(table, "t", "d")
    return (
        f"SELECT {name}, {FILE}, {ROW}, {quote_literal(table.key[-1])}, key_text, "
        f"'duplicate key ' || key_text || ' in this import (rows ' || rows_list || ')' "
        f"FROM (SELECT t.{FILE}, t.{ROW}, {key_text} AS key_text, "
        f"string_agg(CAST(t.{ROW} AS VARCHAR), ', ' ORDER BY t.{ROW}) "
        f"OVER (PARTITION BY {key}) AS rows_list FROM {typed} t "
        f"SEMI JOIN {repeated} d ON {same} WHERE {where})"
    )


def unknown_references(column: Column, typed: str, valid_keys: str) -> str:
    """SELECT of the `_file` and `_row` of rows whose `column` is absent from `valid_keys`."""
    value = f"t.{quote_ident(column.name)}"
    return (
        f"SELECT {FILE}, {ROW} FROM {typed} t "
        f"WHERE {value} IS NOT NULL AND {value} NOT IN ({valid_keys})"
    )


def reference_check(table: Table, column: Column, staged: str, unknown: str) -> str:
    """SELECT yielding rejects for the rows in `unknown` (see `unknown_references`), with the
    text of `column` from `staged`.

    The text is looked up only for those rows (usually none), not joined with every row."""
    assert column.references is not None
    target_table, target_column = column.references.split(".")
    reason = quote_literal(f"unknown {target_column}: not in {target_table}")
    return (
        f"SELECT {quote_literal(table.name)}, s.{FILE}, s.{ROW}, {quote_literal(column.name)}, "
        f"CAST(s.{quote_ident(column.name)} AS VARCHAR), {reason} "
        f"FROM {staged} s SEMI JOIN {unknown} u USING ({FILE}, {ROW})"
    )


def _qualify(predicate: str, table: Table) -> str:
    """Prefix the table's column names in a rule predicate with the typed alias `t.`."""
    names = "|".join(sorted((re.escape(c) for c in table.column_names), key=len, reverse=True))
    return re.sub(rf"\b({names})\b", r"t.\1", predicate)
