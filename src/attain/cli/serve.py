"""`attain serve`: the web app and JSON API (docs/web.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from attain.cli.options import DB
from attain.cli.users import APP_DB
from attain.config import load_settings
from attain.errors import StoreError


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
    """
    import uvicorn

    from attain.web.app import create_app

    settings = load_settings()
    store = db or settings.db
    path = store.removeprefix("duckdb://")
    if not Path(path).exists():
        raise StoreError(f"{path}: no store here yet; run `attain import` first")
    uvicorn.run(create_app(settings, store=store, app_db=app_db), host=host, port=port)
