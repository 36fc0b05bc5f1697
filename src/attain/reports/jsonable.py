"""Turn core results (dataclasses, periods, dates, numpy numbers) into JSON-ready values."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from json.encoder import encode_basestring
from typing import Any, cast

import numpy as np
import pandas as pd

from attain.metrics.periods import Period

_AS_IS = frozenset({str, int, bool, type(None)})
"""Types whose values are JSON-ready as they are (exactly these: a str or int subclass such as
an enum takes the long way, which also keeps it as it is)."""


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of `value`; data frames kept inside results for computation are dropped."""
    # The plain values most results are made of come first: a forecast's 20,000 open deals
    # make this function run about 150,000 times for one JSON page.
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, Period):
        return {
            "start": value.start.isoformat(),
            "end": value.end.isoformat(),
            "label": value.label,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields as `jsonable` gives them (data frames left out): the plain values
    most fields hold taken as they are here, without a call each (a forecast's 20,000 open
    deals have 160,000 of them)."""
    found = {}
    for name in _field_names(cast(type, type(value))):
        item = getattr(value, name)
        kind = type(item)
        if kind in _AS_IS:
            found[name] = item
        elif kind is float:
            found[name] = item if math.isfinite(item) else None
        elif not isinstance(item, pd.DataFrame):
            found[name] = jsonable(item)
    return found


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    """The field names of a dataclass, in their order (looked up once per class)."""
    return tuple(field.name for field in dataclasses.fields(kind))


def dumps_ready(value: Any) -> str:
    """`dumps` of a value already JSON-ready (as `jsonable` returns it): the same text
    without walking the value a second time (0.06 s of a 1,000-rep forecast's JSON)."""
    return _encoded(value, "\n")


def dumps(value: Any) -> str:
    """`value` as indented JSON: the text `json.dumps(jsonable(value), indent=2,
    ensure_ascii=False)` gives, written without its encoder, which indents in pure Python
    through a generator per level (2.4 s of a 1,000-rep forecast's JSON page)."""
    return _encoded(jsonable(value), "\n")


def _encoded(value: Any, newline: str) -> str:
    """One JSON-ready value as `json.dumps(..., indent=2, ensure_ascii=False)` writes it, its
    lines after the first starting with `newline` (a line break and the current indent)."""
    # The plain scalars most values are, by their exact type first (a forecast's 20,000 open
    # deals make about 150,000 of them); then the json module's order of checks.
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is float:
        return _float(value)
    # The same order of checks as the json module's encoder: a bool is an int, an enum a str.
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    inner = newline + "  "
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        table = _table(value, inner) if len(value) >= TABLE_ROWS else None
        if table is not None:
            return "[" + inner + ("," + inner).join(table) + newline + "]"
        items = (_encoded(item, inner) for item in value)
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pairs = (
            (encode_basestring(key) if type(key) is str else _key(key))
            + ": "
            + _scalar_or_encoded(item, inner)
            for key, item in value.items()
        )
        return "{" + inner + ("," + inner).join(pairs) + newline + "}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


TABLE_ROWS = 32
"""From this many items, a list of dicts with the same keys and only plain values is written
column by column (`_table`)."""


def _table(rows: list[Any] | tuple[Any, ...], newline: str) -> list[str] | None:
    """Each of `rows` as `_encoded(row, newline)` writes it, where every row is a dict with the
    first's keys in its order and only text, numbers, booleans and nulls as values (a forecast's
    20,000 open deals): each column's values encoded by type at once and each row put together
    by one %-format, 0.03 s where one call per value took 0.14 s. None for any other list."""
    first = rows[0]
    if type(first) is not dict or not first:
        return None
    keys = tuple(first)
    if not all(type(row) is dict and tuple(row) == keys for row in rows):
        return None
    columns = []
    for key in keys:
        column = [row[key] for row in rows]
        kinds = set(map(type, column))
        if kinds - {str, float, int, bool, type(None)}:
            return None
        if kinds == {float}:
            columns.append(list(map(_float, column)))
        else:
            columns.append(
                [
                    _float(item) if type(item) is float else _PLAIN[type(item)](item)
                    for item in column
                ]
            )
    inner = newline + "  "
    names = [
        (encode_basestring(key) if type(key) is str else _key(key)).replace("%", "%%")
        for key in keys
    ]
    template = "{" + inner + ("," + inner).join(f"{name}: %s" for name in names) + newline + "}"
    return [template % values for values in zip(*columns, strict=True)]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _null(_: None) -> str:
    return "null"


_PLAIN: dict[type, Callable[[Any], str]] = {
    type(None): _null,
    str: encode_basestring,
    int: int.__repr__,
    bool: _bool,
}
"""How `_table` writes each plain type but float."""


def _scalar_or_encoded(value: Any, newline: str) -> str:
    """`_encoded(value, newline)`, the plain text, number and empty values a dict mostly holds
    written here without a second call (a forecast's deals have 160,000 of them)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is float:
        return float.__repr__(value) if math.isfinite(value) else _float(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _encoded(value, newline)


def _float(value: float) -> str:
    """A float as the json module writes it (NaN and infinities as JavaScript names them)."""
    if math.isfinite(value):
        return float.__repr__(value)
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _key(key: Any) -> str:
    """A dict key as the json module writes it: text, or a number or constant as text."""
    if isinstance(key, str):
        return encode_basestring(key)
    if key is True or key is False or key is None:
        return '"' + _encoded(key, "") + '"'
    if isinstance(key, int | float):
        return '"' + (int.__repr__(key) if isinstance(key, int) else _float(key)) + '"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
