"""SQL that reads date and time text as ISO, and says why a value that cannot be read is refused.

One home for the date rules of every preset (docs/presets.md, "Dates"): ISO loads as is; a
declared layout (`--date-format`, the map's `date_format`) reads the rest; without one,
day/month/year with slashes is read month first (Salesforce and HubSpot US exports) or, for
other layouts, only when a single order makes a date. Two-digit years and years outside
1900-2200 are never guessed: the value is rejected with its reason.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb

from attain.errors import InputError
from attain.ingest.readers import quote_literal

EARLIEST_YEAR = 1900
"""Years before this are refused: they come from misread two-digit years (`02/03/24` as 0002)."""
LATEST_YEAR = 2200
"""Years after this are refused as typing slips (`20224-01-05`)."""

US_LAYOUTS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")
"""Slash layouts read month first, as US-locale CRM exports write them."""
DAY_FIRST_LAYOUTS = tuple(layout.replace("%m/%d", "%d/%m") for layout in US_LAYOUTS)

TIMESTAMP_TEXT = "%Y-%m-%d %H:%M:%S"
DATE_TEXT = "%Y-%m-%d"

_TIME_SUFFIXES = (" %H:%M:%S", " %H:%M", " %I:%M %p", "")
_ISO = r"'^\d{4}-'"
_SLASH_DATE = r"'^(\d{1,2})/(\d{1,2})/(\d{4})(\s|$)'"
_TWO_DIGIT_YEAR = r"'^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(\s|T|$)'"

TWO_DIGIT_YEAR = (
    "two-digit year: declare a date format with --date-format or the map's date_format "
    "(%y reads two-digit years)"
)
EARLY_YEAR = f"year before {EARLIEST_YEAR}"
LATE_YEAR = f"year after {LATEST_YEAR}"


def iso_text(
    value: str, date_format: str | None, *, month_first: bool, layout: str = TIMESTAMP_TEXT
) -> str:
    """SQL: the text `value` (trimmed, NULL when empty) as ISO `layout` when it can be read.

    ISO text is kept as is; a `date_format` reads other text (also followed by a time, when the
    format has none); without one, slash dates are read month first if `month_first`, else
    only when a single day/month order makes a date. Anything else is kept as is, for the
    importer to reject with the reason `reason()` gives.
    """
    if date_format is not None:
        layouts = declared_layouts(date_format)
    elif month_first:
        layouts = US_LAYOUTS
    else:
        layouts = US_LAYOUTS + DAY_FIRST_LAYOUTS
    listed = ", ".join(quote_literal(item) for item in layouts)
    parsed = f"try_strptime({value}, [{listed}])"
    in_range = f"year({parsed}) BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR}"
    converted = (
        f"CASE WHEN {in_range} THEN strftime({parsed}, {quote_literal(layout)}) ELSE {value} END"
    )
    if date_format is not None:
        readable = f"NOT {is_iso(value)}"
    else:
        # The slash looked for first: ISO text, nearly every value, skips the regex (10 M
        # activities' three timestamps: 0.5 CPU s).
        readable = f"contains({value}, '/') AND regexp_matches({value}, {_SLASH_DATE})"
        if not month_first:
            readable += f" AND NOT {_ambiguous(value)}"
    return f"CASE WHEN {readable} THEN {converted} ELSE {value} END"


def reason(value: str, hint: str) -> str:
    """SQL: why the date or timestamp text `value` was refused; `hint` when nothing better.

    `value` is the text as staged, `hint` the plain type reason ("not a date like ...").
    """
    year = f"year(TRY_CAST({value} AS TIMESTAMP))"
    return (
        f"CASE WHEN regexp_matches({value}, {_TWO_DIGIT_YEAR}) "
        f"THEN {quote_literal(TWO_DIGIT_YEAR)} "
        f"WHEN regexp_matches({value}, {_SLASH_DATE}) AND {_ambiguous(value)} THEN "
        f"'day and month order cannot be told (' || {value} || '): declare --date-format' "
        f"WHEN {year} < {EARLIEST_YEAR} THEN {quote_literal(EARLY_YEAR)} "
        f"WHEN {year} > {LATEST_YEAR} THEN {quote_literal(LATE_YEAR)} "
        f"ELSE {quote_literal(hint)} END"
    )


def is_iso(value: str) -> str:
    """SQL: whether the text `value` starts like an ISO date (four-digit year, dash)."""
    return f"regexp_matches({value}, {_ISO})"


def timestamp_cast(text: str) -> str:
    """SQL: the ISO text `text` as a TIMESTAMP, NULL when it cannot be read; offsets and zone
    names are honoured and normalised to UTC (the session time zone).

    The TIMESTAMPTZ cast reads offsets and zones; text with neither takes the plain TIMESTAMP
    cast, which reads it the same in a UTC session and costs half as much (10 M activities'
    three timestamps: 1.8 CPU s less). The plain cast drops an offset or a trailing word
    silently (`10:00:00+02`, `10:00 PM`, ` EST`), so only text ending in a digit, with no `+`
    and no `-` after the date, takes it; in another session time zone the two read naive
    text differently (across a daylight-saving change), so none does.
    """
    zoned = f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP)"
    naive = (
        f"current_setting('TimeZone') = 'UTC' AND NOT contains({text}, '+') "
        f"AND NOT contains(substr({text}, 11), '-') AND substr({text}, -1) BETWEEN '0' AND '9'"
    )
    plain = f"coalesce(TRY_CAST({text} AS TIMESTAMP), {zoned})"
    return f"CASE WHEN {naive} THEN {plain} ELSE {zoned} END"


def in_range(typed: str) -> str:
    """SQL: the typed date or timestamp `typed`, NULL when its year is outside 1900-2200."""
    return f"CASE WHEN year({typed}) BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR} THEN {typed} END"


def declared_layouts(date_format: str) -> tuple[str, ...]:
    """The declared format, and with a time after it when it has none (`%d/%m/%Y %H:%M`, ...).

    Raises InputError when DuckDB does not know the format.
    """
    _check_format(date_format)
    if any(code in date_format for code in ("%H", "%I", "%M", "%S", "%T")):
        return (date_format,)
    return tuple(date_format + suffix for suffix in _TIME_SUFFIXES)


@lru_cache(maxsize=16)
def _check_format(date_format: str) -> None:
    try:
        duckdb.connect().execute("SELECT try_strptime('', ?)", [date_format])
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0]
        raise InputError(
            f"date format {date_format!r} is not a strptime layout like %d/%m/%Y: {message}"
        ) from None


def _ambiguous(value: str) -> str:
    """SQL: a slash date whose two first numbers could each be the month (03/04/2024)."""
    first, second = (
        f"CAST(regexp_extract({value}, {_SLASH_DATE}, {group}) AS INTEGER)" for group in (1, 2)
    )
    return f"({first} <> {second} AND {first} BETWEEN 1 AND 12 AND {second} BETWEEN 1 AND 12)"
