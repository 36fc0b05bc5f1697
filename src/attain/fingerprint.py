"""A fingerprint of Attain's own code, so results kept beside a store are computed afresh after
an upgrade (attain.web.results_cache, attain.forecast.kept)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import attain


@cache
def code_fingerprint() -> str:
    """A digest of every module of the attain package: its path, size and modification time."""
    root = Path(attain.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]
