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
