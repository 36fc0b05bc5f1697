"""What the CRM-export presets share: finding their files, naming columns, and SQL for values."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import duckdb

from attain.errors import InputError
from attain.ingest import dates
from attain.ingest.readers import ROW, RawFile, ReadOptions, quote_ident, stage_file
from attain.ingest.sources import expand_paths

_counter = itertools.count(1)


def match_files(
    paths: list[Path], kinds: Iterable[str], matches: Callable[[str, str], bool]
) -> tuple[dict[str, Path], list[str]]:
    """The file for each kind (`matches(kind, lower-case file stem)`), and names matching none.

    Two files of one kind are an error, since the preset cannot tell which one to read.
    """
    found: dict[str, Path] = {}
    unmatched: list[str] = []
    for path in expand_paths(paths):
        stem = path.stem.lower()
        kind = next((kind for kind in kinds if matches(kind, stem)), None)
        if kind is None:
            unmatched.append(path.name)
        elif kind in found:
            raise InputError(f"{path}: a second {kind} file (the first is {found[kind]})")
        else:
            found[kind] = path
    return found, unmatched


def require_files(found: dict[str, Path], names: Iterable[str], layout: str) -> None:
    """Raise InputError naming every expected file that is missing."""
    missing = [name for name in names if name not in found]
    if missing:
        raise InputError(f"{layout}: missing file(s) {', '.join(f'{m}.csv' for m in missing)}")


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    required: Iterable[str] = (),
    options: ReadOptions | None = None,
) -> RawFile:
    """Stage one export file and check it has the `required` columns (case-insensitively)."""
    raw = stage_file(con, path, options=options)
    missing = [name for name in required if optional(raw, name) is None]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    return raw


def optional(raw: RawFile, *names: str) -> str | None:
    """The first of `names` the file has (case-insensitively), quoted for SQL; else None."""
    by_lower = {column.lower(): column for column in raw.columns}
    for name in names:
        if name.lower() in by_lower:
            return quote_ident(by_lower[name.lower()])
    return None


def column(raw: RawFile, *names: str) -> str:
    """The first of `names` the file has, quoted for SQL; InputError naming them if none."""
    found = optional(raw, *names)
    if found is None:
        raise InputError(f"{raw.path}: missing column {' or '.join(names)}")
    return found


def value(raw: RawFile, *names: str) -> str:
    """SQL: the trimmed text of the first of `names` the file has; NULL if it has none."""
    found = optional(raw, *names)
    return "NULL" if found is None else text(found)


def fields(raw: RawFile, mapping: Mapping[str, str]) -> dict[str, str]:
    """Canonical column -> SQL for each `{canonical: source column}` pair the file has.

    Columns the file lacks stay absent, so a re-import keeps what the store already holds.
    """
    return {
        canonical: text(found)
        for canonical, name in mapping.items()
        if (found := optional(raw, name)) is not None
    }


def derived(con: duckdb.DuckDBPyConnection, raw: RawFile, select: str) -> RawFile:
    """A temporary table made by `select` (which must yield `_row`) standing in for `raw`.

    Used for rows a file implies rather than holds (teams from managers, reps from owners);
    rejects still point at `raw`'s file and at the `_row` the select keeps.
    """
    relation = f"{raw.relation}_derived_{next(_counter)}"
    con.execute(f"CREATE TEMP TABLE {relation} AS {select}")
    columns = tuple(
        name
        for (name,) in con.execute(
            f"SELECT name FROM pragma_table_info('{relation}') WHERE name <> '{ROW}'"
        ).fetchall()
    )
    count = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return RawFile(
        path=raw.path,
        relation=relation,
        columns=columns,
        rows=count[0] if count else 0,
        implied=True,
        date_format=raw.date_format,
    )


def text(expression: str) -> str:
    """SQL: the trimmed text, NULL when empty."""
    return f"NULLIF(TRIM({expression}), '')"


def slug(expression: str, separator: str = "-") -> str:
    """SQL: lower-case ASCII words joined by `separator` ('Jane O'Doe' -> 'jane-o-doe')."""
    words = f"regexp_replace(lower(strip_accents(TRIM({expression}))), '[^a-z0-9]+', ' ', 'g')"
    return f"NULLIF(replace(TRIM({words}), ' ', '{separator}'), '')"


def timestamp(expression: str, date_format: str | None = None, *, month_first: bool = True) -> str:
    """SQL: ISO text as is; other layouts rewritten as ISO; anything else as is, to be rejected.

    `date_format` is the user's declared layout (`ReadOptions.date_format`). Without one, slash
    dates are read month first (`01/15/2024`, as US-locale Salesforce and HubSpot exports write
    them); presets for other layouts pass `month_first=False`, so that only slash dates with a
    single possible day/month order load. Two-digit years are never guessed (attain.ingest.dates).
    """
    return dates.iso_text(text(expression), date_format, month_first=month_first)


def date(expression: str, date_format: str | None = None, *, month_first: bool = True) -> str:
    """SQL: the day of a timestamp-like text as YYYY-MM-DD; unreadable text as is."""
    value = timestamp(expression, date_format, month_first=month_first)
    day = f"coalesce(strftime(TRY_CAST({value} AS TIMESTAMPTZ), '%Y-%m-%d'), {value})"
    # Only ISO text: DuckDB's cast would read `02/03/24` as the year 2 and hide the reason.
    return f"CASE WHEN {dates.is_iso(value)} THEN {day} ELSE {value} END"


def boolean(expression: str) -> str:
    """SQL: true/false from true/false or 1/0; anything else as is, to be rejected."""
    value = text(expression)
    return (
        f"CASE lower({value}) WHEN 'true' THEN 'true' WHEN '1' THEN 'true' "
        f"WHEN 'false' THEN 'false' WHEN '0' THEN 'false' ELSE {value} END"
    )


def not_before(closed: str, created: str) -> str:
    """SQL: `closed`, or `created` when a day-only close date falls on the creation day.

    A close date without a time reads as midnight, which would put a deal closed on the day it
    was opened before its own creation; any other order is left for the importer to judge.
    """
    closed_at, created_at = (f"TRY_CAST({value} AS TIMESTAMPTZ)" for value in (closed, created))
    return (
        f"CASE WHEN CAST({closed_at} AS DATE) = CAST({created_at} AS DATE) "
        f"AND {closed_at} < {created_at} THEN {created} ELSE {closed} END"
    )
