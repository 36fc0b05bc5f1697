"""Import modules in a background thread while the caller does work that releases the GIL.

Importing scikit-learn, SciPy and LightGBM takes about 2 s of a single core and holds the GIL;
DuckDB's queries and NumPy's large array operations release it. A command that needs both
starts `preload(...)` before its reads, and its own later `import` of the same modules waits
on the module lock (or finds them loaded) instead of paying for them again. It pays only as
much as the reads leave the GIL free: `attain forecast` at 1,000 reps went from 7.31 to 7.09 s
(median, 2 cores), its pandas work after each DuckDB query holding the GIL most of the time.

To keep the two threads from importing the same modules at once (CPython's import locks can
report a deadlock when two threads import a package's circular submodules in different orders),
import what the reads need on the calling thread first, preload only what comes after, and
`join()` the thread before importing any of its modules.
"""

from __future__ import annotations

import contextlib
import importlib
import threading


def preload(*names: str) -> threading.Thread:
    """Start a daemon thread importing `names` in order, and return it (join it before using
    them). A module that fails to import is left for the caller's own import to report."""

    def run() -> None:
        for name in names:
            with contextlib.suppress(Exception):  # the caller's own import raises it again
                importlib.import_module(name)

    thread = threading.Thread(target=run, name="attain-preload", daemon=True)
    thread.start()
    return thread
