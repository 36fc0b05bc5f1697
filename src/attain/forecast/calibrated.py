"""The live forecast, calibrated on the organisation's own backtest (attain.forecast.calibration).

`calibrated_forecast` makes the forecast, backtests the same week of the complete quarters
before it (at most `calibration_quarters`, a rolling origin: never the quarter forecast), and
re-centres and widens each row's band by what that backtest shows for its scope kind. The
backtest is kept per data version in a results file beside a DuckDB store
(`<store>.results/`, never in the store itself), so a second forecast of the same data and
week reuses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

from attain.fingerprint import code_fingerprint
from attain.forecast.backtest import BacktestPoint, backtest, complete_periods
from attain.forecast.calibration import Calibration, calibrate, calibrated_band, chance_at_least
from attain.forecast.forecast import SCOPES, Forecast, ForecastRow, Overrides, forecast
from attain.forecast.history import DealHistory, load_history
from attain.forecast.kept import KEEP, data_version, store_file
from attain.forecast.settings import ForecastSettings
from attain.metrics.periods import Period, quarter_of
from attain.store.kept_reads import results_folder, write_kept

CALIBRATION = "calibration-"
"""The start of a kept calibration's file name (`<store>.results/calibration-<digest>.json`)."""


def week_of(period: Period, day: date) -> int:
    """The week of `period` that `day` falls in, from 1 (a 92-day quarter's last day is in
    week 14, as `week_as_of` counts them)."""
    return min((day - period.start).days // 7 + 1, 14)


def calibrated_forecast(
    backend: Any,
    as_of: date,
    *,
    zone: str,
    settings: ForecastSettings,
    overrides: Overrides | None = None,
    target: float | None = None,
) -> Forecast:
    """`forecast(...)` with each row re-centred and its band calibrated (see the module); the
    store's deal history is read once for both, and the calibration's backtest points while
    the forecast's win model trains."""
    history = load_history(backend)
    period = quarter_of(as_of)
    week = week_of(period, as_of)
    points: list[list[BacktestPoint]] = []
    result = forecast(
        backend,
        as_of,
        zone=zone,
        settings=settings,
        overrides=overrides,
        target=target,
        history=history,
        meanwhile=lambda: points.append(
            calibration_points(backend, history, period, week, zone, settings)
            if settings.calibration_quarters
            else []
        ),
    )
    return calibrated(
        backend, result, zone=zone, settings=settings, history=history, points=next(iter(points))
    )


def calibrated(
    backend: Any,
    result: Forecast,
    *,
    zone: str,
    settings: ForecastSettings,
    history: DealHistory | None = None,
    points: list[BacktestPoint] | None = None,
) -> Forecast:
    """A forecast of `backend`'s data, re-centred and calibrated (see the module); `history`
    is the store's deal history when the caller has already read it, `points` the
    calibration's backtest points when it has read those (`calibration_points`)."""
    if settings.calibration_quarters == 0:
        return result
    week = week_of(result.period, result.as_of)
    if points is None:
        history = load_history(backend) if history is None else history
        points = calibration_points(backend, history, result.period, week, zone, settings)
    return apply_calibration(result, points, week)


def calibration_points(
    backend: Any,
    history: DealHistory,
    period: Period,
    week: int,
    zone: str,
    settings: ForecastSettings,
) -> list[BacktestPoint]:
    """The backtest at `week` of the complete quarters before `period`, from the results file
    of this data version where one was kept, else computed (and kept)."""
    earlier = [p for p in complete_periods(history, zone) if p.end < period.start]
    earlier = earlier[-settings.calibration_quarters :]
    if not earlier:
        return []
    cache = _results_file(backend, earlier, week, zone, settings)
    kept = None if cache is None else _read_points(cache)
    if kept is not None:
        return kept
    points = backtest(history, earlier, zone=zone, settings=settings, weeks=(week,)).points
    if cache is not None:
        _write_points(cache, points)
    return points


def _read_points(path: Path) -> list[BacktestPoint] | None:
    """The backtest points kept at `path`; None when there are none or they cannot be read
    back (corrupt, or written by other code): they are computed again."""
    try:
        rows = json.loads(path.read_text())
        points = [
            BacktestPoint(**{**row, "as_of": date.fromisoformat(row["as_of"])}) for row in rows
        ]
    except (OSError, ValueError, TypeError, KeyError):  # missing, corrupt, or other code's
        return None
    with contextlib.suppress(OSError):  # newly used: the last to be pruned
        os.utime(path)
    return points


def _write_points(path: Path, points: list[BacktestPoint]) -> None:
    """Keep `points` at `path` (attain.store.kept_reads.write_kept: a reader, the web app's
    background work or another command, never finds it half-written) and remove all but the
    newest KEEP calibrations beside it (each code version, week and setting keeps its own). A
    folder that cannot be written keeps nothing: computed again next time."""
    text = json.dumps([{**asdict(p), "as_of": p.as_of.isoformat()} for p in points]).encode()
    write_kept(path, lambda file: file.write(text), f"{CALIBRATION}*.json", KEEP)


def apply_calibration(result: Forecast, points: list[BacktestPoint], week: int) -> Forecast:
    """`result` with every row centred and widened by its scope kind's calibration at `week`."""
    calibrations = {scope: calibrate(points, scope, week) for scope in SCOPES}
    if result.elapsed >= 1.0:  # as of the quarter's last day: nothing can still close in it
        calibrations = {scope: found.over() for scope, found in calibrations.items()}
    pools = {
        scope: _mean([row.p50 for row in result.rows if row.scope == scope]) for scope in SCOPES
    }
    rows = [_calibrated_row(row, calibrations[row.scope], pools[row.scope]) for row in result.rows]
    return replace(result, rows=rows, calibrations=tuple(calibrations[s] for s in SCOPES))


def _calibrated_row(row: ForecastRow, calibration: Calibration, pool: float) -> ForecastRow:
    low, middle, high = calibrated_band(
        calibration,
        booked=row.booked,
        p10=row.p10,
        p50=row.p50,
        p90=row.p90,
        run_rate=row.run_rate,
        pool=pool,
    )
    chance = row.chance_of_target
    if row.target:
        chance = chance_at_least(row.target, low, middle, high)
    return replace(row, p10=low, p50=middle, p90=high, chance_of_target=chance)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _results_file(
    backend: Any, periods: list[Period], week: int, zone: str, settings: ForecastSettings
) -> Path | None:
    """Where this data version's calibration backtest is kept: beside a DuckDB store file, keyed
    by the latest import, the quarters, the week, the zone, the settings and Attain's own code
    (attain.fingerprint: an upgrade backtests afresh, as it computes a kept forecast afresh);
    None for a store that is not a local file or has no import log."""
    location = store_file(backend)
    version = data_version(backend) if location is not None else None
    if location is None or version is None:
        return None
    key = json.dumps(
        [
            int(version),
            [p.label for p in periods],
            week,
            zone,
            settings.model_dump(),
            code_fingerprint(),
        ],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return results_folder(location) / f"{CALIBRATION}{digest}.json"
