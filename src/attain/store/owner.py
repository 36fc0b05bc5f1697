"""Who writes a DuckDB store: `attain serve` while it runs, else whoever opens it.

DuckDB lets one process write a file, or many read it, never both at once. So while the web
app serves a store it is the store's only writer: it leaves a claim file beside the store
(`<store>.server`, readable only by its owner) with its local address and a secret token, and
`attain import` finds it and hands its work to the app's local write API instead of opening
the store itself. The claim is removed when the app stops; one left by a process that died is
recognised (its process is gone or its address does not answer) and ignored.

PostgreSQL and Spark stores have no claim: many writers stage and swap there.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from attain.store.dialects import parse_target

CLAIM_SUFFIX = ".server"


@dataclass(frozen=True)
class ServerClaim:
    """A running app's claim on a store: where it answers and the token its write API takes."""

    url: str
    """The app's own address, e.g. http://127.0.0.1:8000."""
    token: str
    pid: int


def store_file(store: str | Path) -> Path | None:
    """The DuckDB file of `store`, None for PostgreSQL, Spark and in-memory stores."""
    target = parse_target(str(store))
    if target.kind != "duckdb" or target.location == ":memory:":
        return None
    return Path(target.location).resolve()


def claim_path(store_path: Path) -> Path:
    """Where the claim on the store file `store_path` is kept."""
    return store_path.with_name(store_path.name + CLAIM_SUFFIX)


def write_claim(store_path: Path, url: str) -> ServerClaim:
    """Claim `store_path` for the app answering at `url`, with a fresh secret token.

    The file is created readable and writable by its owner only, before the token is written.
    """
    claim = ServerClaim(url=url, token=secrets.token_urlsafe(32), pid=os.getpid())
    path = claim_path(store_path)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(asdict(claim), file)
    return claim


def release_claim(store_path: Path, claim: ServerClaim) -> None:
    """Remove the claim on `store_path` if it is still `claim` (not a newer app's)."""
    if read_claim(store_path, check_alive=False) == claim:
        claim_path(store_path).unlink(missing_ok=True)


def read_claim(store_path: Path, *, check_alive: bool = True) -> ServerClaim | None:
    """The claim of the app serving `store_path`; None when there is none, or (with
    `check_alive`) when the app that left it is gone."""
    try:
        data = json.loads(claim_path(store_path).read_text())
        claim = ServerClaim(url=str(data["url"]), token=str(data["token"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not (_process_alive(claim.pid) and _answers(claim.url)):
        return None
    return claim


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _answers(url: str) -> bool:
    """Whether something listens at `url`'s host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 2):
            return True
    except OSError:
        return False
