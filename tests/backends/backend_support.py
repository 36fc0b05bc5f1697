"""Run every analysis on one store and flatten the results so that backends can be compared.

`analyse(backend, truth)` imports nothing: it reads a store already imported and returns a
plain nested structure (dicts, lists, strings, numbers) of the report, the diagnosis, the
leads channel report, the forecast inputs and the store inventory. `differences(a, b)` lists
where two such structures disagree, floats compared to 1e-9 relative.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from typing import Any

import pandas as pd

from attain.demo.truth import Truth
from attain.diagnosis.run import diagnose
from attain.forecast.forecast import bookings_targets
from attain.forecast.history import load_history
from attain.leads.channels import channel_report
from attain.metrics.periods import quarter_of
from attain.metrics.report import performance_report
from attain.store.inventory import inventory


def analyse(backend: Any, truth: Truth) -> dict[str, Any]:
    """Every analysis Attain runs on a store, as plain values."""
    history = load_history(backend)
    stored = inventory(backend)
    return {
        "report": plain(performance_report(backend, as_of=truth.as_of)),
        "diagnosis": plain(diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings())),
        "channels": plain(channel_report(backend, truth.as_of)),
        "forecast_deals": plain(_sorted(history.deals, "opportunity_id")),
        "forecast_stages": plain(_sorted(history.stages, "opportunity_id", "entered_at", "stage")),
        "forecast_teams": plain(history.rep_teams),
        "forecast_targets": plain(bookings_targets(backend, quarter_of(truth.as_of))),
        "inventory": [*plain(stored.tables), stored.imports],
    }


def _sorted(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    return frame.sort_values(list(keys), ignore_index=True)


def plain(value: Any) -> Any:
    """`value` as dicts, lists and scalars; fields excluded from comparison are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare
        }
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    if isinstance(value, pd.DataFrame):
        return plain(value.astype(object).where(value.notna(), None).to_dict("records"))
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, datetime | date | str | bool) or value is None:
        return value
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    if isinstance(value, int | float):
        return value
    return str(value)


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` differs from `expected`: one line per difference (at most 20)."""
    found: list[str] = []
    _compare(expected, actual, path or "result", found)
    return found[:20]


def _compare(expected: Any, actual: Any, path: str, found: list[str]) -> None:
    if isinstance(expected, bool) or isinstance(actual, bool):
        if expected is not actual:
            found.append(f"{path}: {expected!r} != {actual!r}")
    elif isinstance(expected, int | float) and isinstance(actual, int | float):
        both_nan = math.isnan(expected) and math.isnan(actual)
        if not both_nan and not math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9):
            found.append(f"{path}: {expected!r} != {actual!r}")
    elif isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in expected or key not in actual:
                found.append(f"{path}.{key}: only in {'actual' if key in actual else 'expected'}")
            else:
                _compare(expected[key], actual[key], f"{path}.{key}", found)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            found.append(f"{path}: {len(expected)} items != {len(actual)} items")
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            _compare(left, right, f"{path}[{index}]", found)
    elif expected != actual:
        found.append(f"{path}: {expected!r} != {actual!r}")
