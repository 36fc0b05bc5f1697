"""Reads of the store that its data alone decides, kept beside a DuckDB store file so that each
command does not make them again.

`kept_read` keeps any such read (pickled), keyed like the rest and by what else decides it (the
currency settings, the day open deals convert at): `attain.forecast.history.load_history` keeps
the deal history there (1.1 to 1.4 s to read from the store at 1,000 reps, 0.3 to 0.4 s to read
back; 92 MB), so a forecast computed again of the same data (another --as-of, changed
overrides, --recompute) reads it back. Only the newest `KEEP_READS` of each kind are kept.

`attain.store.point_in_time.unnamed_owners` reads the whole deals' history against the deals
(1.9 M rows at 1,000 reps, 0.2 s with its compilation) in every command that reads deals
through the analysis view; its answer is the same until the store changes. It is kept as
`<store>.results/unnamed-owners-<digest>.json`, never in the store (which has one writer),
readable only by its owner. The digest is of the data version (the latest import), the store
file's and its write-ahead log's size and modification time (a prune changes the history with
no new import), and Attain's own code (attain.fingerprint). A file that cannot be read back is
simply read from the store again; one that cannot be written keeps nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import numpy as np
import pandas as pd

from attain.fingerprint import code_fingerprint
from attain.store.currency import Lookup
from attain.store.ddl import IMPORTS_TABLE
from attain.store.point_in_time import unnamed_owners

UNNAMED = "unnamed-owners-"
KEEP_READS = 2
"""How many of each kind of `kept_read` a store's results folder holds (one per currency day
asked of the same data, say); older ones are removed."""
T = TypeVar("T")


def results_folder(store: Path) -> Path:
    """The folder beside the store file where computed results are kept."""
    return store.with_name(store.name + ".results")


def duckdb_file(con: Any) -> Path | None:
    """The file of the DuckDB store `con` is connected to; None in memory or on another
    engine."""
    if con is None or not hasattr(con, "execute"):
        return None
    try:
        # fetchall, not fetchone: no result is left open on the store's shared connection.
        rows = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
    except Exception:  # not DuckDB
        return None
    return Path(rows[0][0]) if rows and rows[0][0] else None


def forget_kept(con: Any) -> None:
    """Remove everything kept beside the DuckDB store of `con` (its results folder): after a
    change that makes no new data version (a prune), nothing computed before may be read
    back. Nothing to do for a store in memory or on another engine."""
    location = duckdb_file(con)
    if location is not None:
        shutil.rmtree(results_folder(location), ignore_errors=True)


def kept_unnamed_owners(location: Path | None, con: Any, stored: Lookup) -> pd.Series | None:
    """`unnamed_owners(stored)`, kept beside the DuckDB store file at `location` (None: not a
    file; `con` its DuckDB connection) and read back while the store is unchanged."""
    place = _place(location, con) if location is not None else None
    if place is not None:
        kept = _read(place)
        if kept is not None:
            return kept
    found = unnamed_owners(stored)
    if place is not None and found is not None:
        _write(place, found)
    return found


def kept_read(
    location: Path | None, con: Any, kind: str, decided_by: list[Any], compute: Callable[[], T]
) -> T:
    """`compute()`, a read of the store at `location` (None: not a file; `con` its DuckDB
    connection) that its data and `decided_by` alone decide, kept (pickled, owner-only) as
    `<store>.results/<kind>-<digest>.pickle` and read back while the store and `decided_by`
    are unchanged; anything that fails to read or write is computed."""
    extra = json.dumps([decided_by, pd.__version__, np.__version__], default=str, sort_keys=True)
    place = _place(location, con, f"{kind}-", extra) if location is not None else None
    if place is not None:
        with contextlib.suppress(Exception):  # missing, corrupt, or pickled by other code
            with place.open("rb") as file:  # streamed: never the whole file and its values
                kept: T = pickle.load(file)
            with contextlib.suppress(OSError):  # newly used: the last to be pruned
                os.utime(place)
            return kept
    found = compute()
    if place is not None:
        write_kept(
            place,
            lambda file: pickle.dump(found, file, pickle.HIGHEST_PROTOCOL),
            f"{kind}-*.pickle",
        )
    return found


def _place(location: Path, con: Any, kind: str = UNNAMED, extra: str = "") -> Path | None:
    """Where the store's current answer is kept; None for a store with no import log."""
    try:
        # fetchall, not fetchone: no result is left open on the store's shared connection.
        ((version,),) = con.execute(f"SELECT max(import_id) FROM {IMPORTS_TABLE}").fetchall()
        files = [location, location.with_name(location.name + ".wal")]
        stats = [(path.stat().st_size, path.stat().st_mtime_ns) for path in files if path.exists()]
    except Exception:  # no import log, or not a DuckDB connection
        return None
    if version is None:
        return None
    key = json.dumps([int(version), stats, code_fingerprint(), extra])
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    suffix = ".json" if kind == UNNAMED else ".pickle"
    return results_folder(location) / f"{kind}{digest}{suffix}"


def _read(path: Path) -> pd.Series | None:
    """The ids kept at `path`, as unnamed_owners gives them (objects, NaN for a null); None
    when there is no such file or it cannot be read back."""
    try:
        ids = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(ids, list) or not all(i is None or isinstance(i, str) for i in ids):
        return None
    return pd.Series([np.nan if i is None else i for i in ids], dtype=object)


def _write(path: Path, ids: pd.Series) -> None:
    """Keep `ids` at `path` and remove what was kept for earlier states of the store."""
    text = json.dumps([None if pd.isna(i) else str(i) for i in ids]).encode()
    write_kept(path, lambda file: file.write(text), f"{UNNAMED}*.json", keep=1)


def write_kept(
    path: Path, write: Callable[[BinaryIO], object], pattern: str, keep: int = KEEP_READS
) -> None:
    """`write` the file at `path` (owner-only, streamed into a temporary file renamed over it,
    so that no reader finds it half-written) and remove all but the newest `keep` of the files
    beside it that `pattern` matches (by when they were last written or read back). Anything
    that fails (a read-only folder, a full disk, an unpicklable value) leaves no file: the
    result is computed again next time. Every file kept beside a store is written here."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        prefix = "." + pattern.split("*")[0]
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix)
        with os.fdopen(descriptor, "wb") as file:  # mkstemp makes it owner-only (0600)
            write(file)
        os.replace(temporary, path)
        temporary = None
        files = sorted(
            path.parent.glob(pattern),
            key=lambda p: (p.stat().st_mtime_ns, p.name),
            reverse=True,
        )
        for old in [p for p in files if p != path][keep - 1 :]:
            with contextlib.suppress(OSError):
                old.unlink()
    except Exception:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
