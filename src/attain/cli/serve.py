"""`attain serve`: the web app and JSON API (docs/web.md)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer

from attain.cli.options import DB
from attain.cli.users import APP_DB
from attain.errors import StoreError

KEEP_ALIVE_S = 30
"""How long an idle keep-alive connection stays open (uvicorn's default is 5 s): under load a
browser's next request on a connection can arrive as the server closes it, which the browser
must retry; a longer wait makes that rare (a proxy's own keep-alive is usually 60 s)."""


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    db: str | None = DB,
    app_db: str | None = APP_DB,
) -> None:
    """Serve the web app: team overview, rep pages, leads & channels, forecast and diagnosis,
    with the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json).

    Sign in with a user from `attain users add`; scripts use `attain users token`. Put it
    behind an https proxy for anyone but yourself: cookies are marked Secure over https.

    While it runs, the app is the store's one writer: `attain import` hands its files to it,
    and pages keep answering during the import. After each import, and at start when the
    data changed, the pages' results are computed in the background and kept in
    <store>.results/ so a restart does not compute them again.
    """
    import uvicorn

    from attain.config import load_settings
    from attain.store.owner import read_claim, release_claim, store_file, write_claim
    from attain.web.app import create_app

    settings = load_settings()
    store = db or settings.db
    path = store.removeprefix("duckdb://")
    if not Path(path).exists():
        raise StoreError(f"{path}: no store here yet; run `attain import` first")
    claimed = store_file(store)
    if claimed is None:  # PostgreSQL or Spark: writers stage and swap there
        app = create_app(settings, store=store, app_db=app_db, background=True)
        uvicorn.run(app, host=host, port=port, timeout_keep_alive=KEEP_ALIVE_S)
        return
    running = read_claim(claimed)
    if running is not None:
        raise StoreError(
            f"another `attain serve` serves this store at {running.url}; stop it first"
        )
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    claim = write_claim(claimed, f"http://{local}:{port}")
    # uvicorn shuts down on SIGTERM and then raises the signal again under the handler it found
    # at start: the default one ends the process before `finally` can remove the claim.
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        app = create_app(
            settings, store=store, app_db=app_db, writer_token=claim.token, background=True
        )
        uvicorn.run(app, host=host, port=port, timeout_keep_alive=KEEP_ALIVE_S)
    finally:
        release_claim(claimed, claim)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    """End the command as a SIGTERM would (exit status 128 + 15), unwinding its `finally`s."""
    raise SystemExit(128 + signum)
