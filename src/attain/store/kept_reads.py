"""Reads of the store that its data alone decides, kept beside a DuckDB store file so that each
command does not make them again.

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
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attain.fingerprint import code_fingerprint
from attain.store.currency import Lookup
from attain.store.ddl import IMPORTS_TABLE
from attain.store.point_in_time import unnamed_owners

UNNAMED = "unnamed-owners-"


def results_folder(store: Path) -> Path:
    """The folder beside the store file where computed results are kept."""
    return store.with_name(store.name + ".results")


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


def _place(location: Path, con: Any) -> Path | None:
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
    key = json.dumps([int(version), stats, code_fingerprint()])
    return (
        results_folder(location) / f"{UNNAMED}{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"
    )


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
    """Keep `ids` at `path` (owner-only, through a temporary file renamed over it) and remove
    what was kept for earlier states of the store."""
    text = json.dumps([None if pd.isna(i) else str(i) for i in ids])
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{UNNAMED}")
        with os.fdopen(descriptor, "w") as file:  # mkstemp makes it owner-only (0600)
            file.write(text)
        os.replace(temporary, path)
        temporary = None
        for old in path.parent.glob(f"{UNNAMED}*.json"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
    except OSError:  # a read-only folder or a full disk: read from the store next time
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
