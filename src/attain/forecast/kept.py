"""The forecast `attain forecast` or the web app computed, kept per data version beside the
store, so asking the same question of the same data again (another --scope or --format, or the
web's forecast after the command's and the other way round) answers at once.

A kept forecast is `<store>.results/forecast-<digest>.pickle`, never in the store itself (which
has one writer), readable only by its owner like results.sqlite. The digest is of everything
that decides the result: the data version (the latest import), the --as-of given and the day it
resolved to (today's date when none was given: open deals convert at today's rate), the
settings (the forecast's after --simulations), the managers' overrides (they live in the app
database and change without a new import), --target, a single forecast or the HTML cone, and
Attain's own code (attain.fingerprint). Scope and output format only filter and format it.

The web app asks with no --as-of, --target or overrides (attain.web.services.Services.forecast),
which is `attain forecast`'s question without them. Values are pickled: the file is Attain's
own cache, written and read by the same user, like the store. Anything that fails to read
(corrupt, written by other code) or to write (a read-only folder) is simply computed; only the
`KEEP` most recently used forecasts are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attain.fingerprint import code_fingerprint
from attain.store.ddl import IMPORTS_TABLE
from attain.store.kept_reads import duckdb_file, results_folder, write_kept

if TYPE_CHECKING:
    from attain.forecast.forecast import Forecast, Overrides
    from attain.forecast.settings import ForecastSettings

KEEP = 8
"""How many kept forecasts a store's results folder holds; older ones are removed."""

PREFIX = "forecast-"
SUFFIX = ".pickle"


@dataclass(frozen=True)
class Question:
    """Everything that decides a forecast besides the data: see the module."""

    as_of: datetime | None
    day: date
    zone: str
    settings: Mapping[str, Any]
    """The settings' `model_dump()`, with the forecast's as the command runs it."""
    overrides: Overrides
    target: float | None
    cone: bool


@dataclass(frozen=True)
class Kept:
    """A forecast (or the HTML cone, oldest week first) as computed, and when."""

    cone: list[Forecast]
    computed_at: datetime
    version: int


def kept_or_computed(
    backend: Any,
    question: Question,
    options: ForecastSettings,
    *,
    recompute: bool = False,
    preload_models: bool = False,
) -> tuple[list[Forecast], Kept | None]:
    """The forecast (or cone) for `question` of this data version and, when it was read back,
    what was kept; else computed, calibrated and kept (unless the store keeps nothing).

    `attain forecast` and the web app's forecast both come here, so a forecast either computed
    answers the other's same question. `options` are the forecast settings `question.settings`
    holds; `preload_models` loads the model's libraries beside the first reads (a command's
    main thread; attain.preload)."""
    place = kept_file(backend, question)
    kept = None if recompute or place is None else read_kept(*place)
    if kept is not None:
        return kept.cone, kept
    cone = computed(backend, question, options, preload_models=preload_models)
    if place is not None:
        keep(place[0], Kept(cone=cone, computed_at=datetime.now(), version=place[1]))
    return cone, None


def computed(
    backend: Any, question: Question, options: ForecastSettings, *, preload_models: bool = False
) -> list[Forecast]:
    """The forecast for `question` (a cone of them when it asks for one), the last calibrated."""
    from attain.forecast.calibrated import calibrated, calibrated_forecast
    from attain.forecast.forecast import forecast_cone
    from attain.forecast.history import load_history

    if preload_models:
        from attain.leads.model import PRELOADED
        from attain.preload import preload

        # The model's libraries load on the other core while DuckDB reads (attain.preload);
        # pandas, Ibis and DuckDB are loaded by now, so the two threads import nothing in common.
        preload(*PRELOADED)
    day, zone, overrides, target = question.day, question.zone, question.overrides, question.target
    if not question.cone:
        made = calibrated_forecast(
            backend, day, zone=zone, settings=options, overrides=overrides, target=target
        )
        return [made]
    history = load_history(backend)  # read once: the cone and its calibration share it
    cone = forecast_cone(
        backend,
        day,
        zone=zone,
        settings=options,
        overrides=overrides,
        target=target,
        history=history,
    )
    cone[-1] = calibrated(backend, cone[-1], zone=zone, settings=options, history=history)
    return cone


def kept_note(kept: Kept) -> str:
    """What a command says of a forecast read back rather than computed."""
    when = kept.computed_at.strftime(
        "%H:%M" if kept.computed_at.date() == date.today() else "%Y-%m-%d %H:%M"
    )
    return (
        f"forecast as computed at {when} for this data version (import {kept.version}); "
        "--recompute to compute it again"
    )


def store_file(backend: Any) -> Path | None:
    """The DuckDB store's file, if it is one."""
    return duckdb_file(getattr(backend, "con", None))


def data_version(backend: Any) -> int | None:
    """The latest import's id; None for a store with no import log (nothing to key on)."""
    try:
        log = backend.table(IMPORTS_TABLE)
        version = backend.execute(log.import_id.max())
    except Exception:  # an older store or another backend
        return None
    return None if version is None else int(version)


def kept_file(backend: Any, question: Question) -> tuple[Path, int] | None:
    """Where the forecast for `question` of this data version is kept, and the version; None
    for a store that is not a local DuckDB file or has no import log."""
    location = store_file(backend)
    version = data_version(backend) if location is not None else None
    if location is None or version is None:
        return None
    key = json.dumps(
        [
            version,
            question.as_of.isoformat() if question.as_of else date.today().isoformat(),
            question.as_of is None,
            question.day.isoformat(),
            question.zone,
            question.settings,
            _overrides_content(question.overrides),
            question.target,
            question.cone,
            code_fingerprint(),
        ],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return results_folder(location) / f"{PREFIX}{digest}{SUFFIX}", version


def read_kept(path: Path, version: int) -> Kept | None:
    """The forecast kept at `path`, or None when there is none or it cannot be read back."""
    try:
        with path.open("rb") as file:
            kept = pickle.load(file)
    except Exception:  # missing, corrupt, or pickled by other code: computed afresh
        return None
    if not isinstance(kept, Kept) or kept.version != version or not kept.cone:
        return None
    with contextlib.suppress(OSError):  # newly used: the last to be pruned
        os.utime(path)
    return kept


def keep(path: Path, kept: Kept) -> None:
    """Write `kept` to `path` (attain.store.kept_reads.write_kept: never half-written,
    readable only by its owner) and remove all but the newest `KEEP` forecasts beside it.
    A folder that cannot be written keeps nothing: the forecast is computed next time."""
    write_kept(
        path,
        lambda file: pickle.dump(kept, file, protocol=pickle.HIGHEST_PROTOCOL),
        f"{PREFIX}*{SUFFIX}",
        KEEP,
    )


def _overrides_content(overrides: Overrides) -> dict[str, list[tuple[str, Any]]]:
    """The overrides' full content in a stable order, for the key's digest."""
    return {
        field.name: sorted((str(k), v) for k, v in getattr(overrides, field.name).items())
        for field in dataclasses.fields(overrides)
    }
