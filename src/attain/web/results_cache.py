"""Computed results kept in a file beside the store, keyed by data version, so a restart of
`attain serve` finds them instead of computing them again.

The file is `<store>.results/results.sqlite` (SQLite, readable only by its owner), never the
store itself, which has one writer. A value is stored under the data version it was computed
from and a fingerprint of what else decides it: the settings and Attain's own code (every
module's size and modification time), so a changed attain.toml or an upgrade computes afresh.
Values are pickled: the file is the app's own cache, written and read by the same user, like
the store. A value that cannot be pickled, or read back by this code, is simply computed.
Only the newest data version is kept.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import threading
from collections.abc import Hashable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from attain.fingerprint import code_fingerprint

RESULTS_FILE = "results.sqlite"
MISSING = object()
"""What `ResultsFile.get` answers for a value it does not hold."""


class ResultsFile:
    """Pickled results by (version, key) in one SQLite file; see the module."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._lock = threading.Lock()
        self._kept_version: str | None = None

    @classmethod
    def beside(cls, store_path: Path, settings_json: str) -> ResultsFile:
        """The results file of the DuckDB store at `store_path` for these settings."""
        folder = store_path.with_name(store_path.name + ".results")
        settings = hashlib.sha256(settings_json.encode()).hexdigest()[:16]
        return cls(folder / RESULTS_FILE, f"{settings}-{code_fingerprint()}")

    def get(self, version: str, key: Hashable) -> Any:
        """The value kept for `key` at `version`, or MISSING."""
        try:
            with self._connection() as con:
                row = con.execute(
                    "SELECT value FROM results WHERE version = ? AND key = ?",
                    (self._version(version), repr(key)),
                ).fetchone()
            return MISSING if row is None else pickle.loads(row[0])
        except (sqlite3.Error, OSError, pickle.UnpicklingError, AttributeError, ImportError):
            return MISSING
        except (EOFError, TypeError, ValueError):
            return MISSING

    def has(self, version: str, key: Hashable) -> bool:
        """Whether a value is kept for `key` at `version` (without reading it)."""
        try:
            with self._connection() as con:
                row = con.execute(
                    "SELECT 1 FROM results WHERE version = ? AND key = ?",
                    (self._version(version), repr(key)),
                ).fetchone()
        except (sqlite3.Error, OSError):
            return False
        return row is not None

    def put(self, version: str, key: Hashable, value: Any) -> None:
        """Keep `value` for `key` at `version`, dropping every other version's values."""
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return
        full = self._version(version)
        try:
            with self._lock, self._connection() as con:
                if self._kept_version != full:
                    con.execute("DELETE FROM results WHERE version <> ?", (full,))
                    self._kept_version = full
                con.execute(
                    "INSERT OR REPLACE INTO results (version, key, value) VALUES (?, ?, ?)",
                    (full, repr(key), blob),
                )
        except (sqlite3.Error, OSError):  # a read-only folder: computed again next time
            return

    def _version(self, version: str) -> str:
        return f"{version}/{self.fingerprint}"

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with closing(sqlite3.connect(self.path, timeout=30)) as con, con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS results "
                "(version TEXT, key TEXT, value BLOB, PRIMARY KEY (version, key))"
            )
            yield con
