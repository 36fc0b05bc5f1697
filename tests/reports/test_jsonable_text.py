"""`dumps` writes the text the json module writes (indent 2, non-ASCII kept), without its
encoder: the standard library is the reference for every kind of value a result holds."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attain.metrics.periods import quarter_of
from attain.reports.jsonable import dumps, dumps_ready, jsonable


class Kind(enum.StrEnum):
    WON = "won"


class Rank(enum.IntEnum):
    FIRST = 1


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    frame: pd.DataFrame
    tags: tuple[Any, ...]


VALUES: list[Any] = [
    {},
    [],
    "",
    0,
    -12,
    1.5,
    1e20,
    1e-7,
    -0.0,
    3.141592653589793,
    float("nan"),
    float("inf"),
    None,
    True,
    False,
    {"é": 'naïve ☃ "quoted" \\ \n\t\x00 \u2028 😀'},
    [[], {}, [[]], {"a": {}}, {"b": []}],
    np.float64(0.1),
    np.float32(0.1),
    np.int64(7),
    np.bool_(True),
    np.float64("nan"),
    {1: "int key", 2.5: "float key", None: "none", False: "bool", Kind.WON: "enum key"},
    [Kind.WON, Rank.FIRST],
    Row("r", float("-inf"), pd.DataFrame({"a": [1]}), (1, "x", np.int32(3), date(2026, 1, 2))),
    {"quarter": quarter_of(date(2026, 5, 1)), "at": datetime(2026, 1, 1, 5, 6, 7)},
    {"day": pd.Timestamp("2026-01-01"), "set": {3}, "empty": frozenset()},
    {"nested": [{"a": [1, {"b": [None, [], {}]}]}]},
    # A dict's plain values (written without a second call) beside those that take the long way.
    {"n": float("nan"), "i": float("-inf"), "f": 0.1, "t": "x", "z": 0, "b": True, "none": None},
    {"e": Kind.WON, "r": Rank.FIRST, "g": np.float64(2.5), "l": [1.5], "d": {"x": -0.0}},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_dumps_writes_what_the_json_module_writes(value: Any) -> None:
    assert dumps(value) == json.dumps(jsonable(value), indent=2, ensure_ascii=False)


def test_an_unknown_object_is_refused_as_the_json_module_refuses_it() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        dumps({"thing": object()})


def test_dumps_ready_writes_a_dicts_plain_values_as_the_json_module_does() -> None:
    """Values already JSON-ready, NaN and infinities included (the json module writes them as
    JavaScript names them)."""
    value = {"n": float("nan"), "i": float("inf"), "m": float("-inf"), "f": 1e-7, "z": -0.0}
    ready = [value, {"b": False, "i": -3, "s": "é\n", "none": None, "rows": [value]}]
    assert dumps_ready(ready) == json.dumps(ready, indent=2, ensure_ascii=False)


def _rows(count: int, **changes: Any) -> list[dict[Any, Any]]:
    """`count` flat dicts with the same keys, each kind of plain value among them."""
    rows = [
        {
            "id": f'OPP-{i} é \\ "%s" 😀',
            "100%": i,
            "p": i / 7,
            "n": None if i % 3 else float("nan") if i % 2 else -0.0,
            "b": i % 2 == 0,
            "mixed": [None, "x", 1.5, 2, True, float("inf")][i % 6],
        }
        for i in range(count)
    ]
    for index, row in changes.items():
        rows[int(index.removeprefix("row"))] = row
    return rows


TABLES: list[Any] = [
    _rows(40),
    _rows(31),  # too few for the column-wise path
    _rows(40, row7={"id": "x", "100%": 1, "p": 0.5, "n": None, "b": True}),  # a key missing
    _rows(40, row9={"100%": 1, "id": "x", "p": 0.5, "n": None, "b": True, "mixed": 1}),  # order
    _rows(40, row3={**_rows(4)[3], "mixed": [1, {"a": None}]}),  # a nested value
    _rows(40, row5={**_rows(6)[5], "mixed": np.float64(0.25)}),  # a float subclass
    _rows(40, row2={**_rows(3)[2], "mixed": Rank.FIRST}),  # an int subclass
    _rows(40, row1=[1, 2]),  # not a dict
    [{1: "a", 2.5: None, False: 0.1, None: True}] * 40,  # keys that are not text
    {"deals": _rows(64), "rows": [_rows(33)]},  # nested, at other indents
]


@pytest.mark.parametrize("value", TABLES, ids=range(len(TABLES)))
def test_a_long_list_of_flat_dicts_is_written_as_the_json_module_writes_it(value: Any) -> None:
    """The column-wise path for lists of dicts with the same keys and plain values (a
    forecast's open deals), and the lists that must take the long way."""
    assert dumps_ready(value) == json.dumps(value, indent=2, ensure_ascii=False)
