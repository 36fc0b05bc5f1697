"""Turn core results (dataclasses, periods, dates, numpy numbers) into JSON-ready values."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from attain.metrics.periods import Period


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of `value`; data frames kept inside results for computation are dropped."""
    if isinstance(value, Period):
        return {
            "start": value.start.isoformat(),
            "end": value.end.isoformat(),
            "label": value.label,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: jsonable(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if not isinstance(getattr(value, field.name), pd.DataFrame)
        }
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


def dumps(value: Any) -> str:
    """`value` as indented JSON."""
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False)
