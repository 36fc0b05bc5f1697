"""`attain sync` while `attain serve` runs on the store (issue #22 part 6): the command hands
the sync to the app, the store's one writer, which signs in to the CRM with its own settings
and secrets (a local server answering HubSpot's documented endpoints), imports between its
reads, and answers what the command prints as if it had synced itself.

The app runs under uvicorn in a thread with the claim `attain serve` leaves beside its store.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import uvicorn
from connectors_support import FakeHubSpot, serve
from hubspot_support import portal
from typer.testing import CliRunner

from attain.appdb.database import upgrade
from attain.cli.main import app as cli
from attain.config import Settings
from attain.errors import AttainError
from attain.ingest.connectors.settings import HubSpotSync, SyncSettings
from attain.store.owner import release_claim, write_claim
from attain.web.app import create_app


@pytest.fixture
def hubspot(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server: FakeHubSpot = portal()
    monkeypatch.setenv("ATTAIN_HUBSPOT_TOKEN", server.token)
    with serve(server) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(hubspot: str, tmp_path: Path) -> Iterator[Path]:
    """The app serving an empty store, as `attain serve` would: claim, token, uvicorn."""
    store = tmp_path / "store.duckdb"
    duckdb.connect(str(store)).close()
    app_db = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(app_db)
    settings = Settings(
        sync=SyncSettings(folder=tmp_path / "sync", hubspot=HubSpotSync(host=hubspot))
    )
    port = _free_port()
    claim = write_claim(store.resolve(), f"http://127.0.0.1:{port}")
    app = create_app(settings, store=str(store), app_db=app_db, writer_token=claim.token)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.1)
    try:
        yield store
    finally:
        server.should_exit = True
        thread.join(60)
        release_claim(store.resolve(), claim)


def test_a_sync_is_handed_to_the_app_serving_the_store(served: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["sync", "hubspot", "--db", str(served), "--rejects", str(tmp_path / "rejects.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "The app serving this store (http://127.0.0.1:" in result.output
    assert "synced hubspot." in result.output
    assert "hubspot: read every record in " in result.output
    assert "Import summary" in result.output
    assert "Data version 1;" in result.output
    with duckdb.connect(str(served), read_only=True) as con:
        deals = con.execute("SELECT count(*) FROM opportunities").fetchone()
        source = con.execute("SELECT preset FROM attain_imports").fetchall()
    assert deals == (3,)
    assert source == [("sync:hubspot",)]


def test_a_failed_handed_sync_is_the_commands_own_error(
    served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTAIN_HUBSPOT_TOKEN", "not-the-token")
    result = CliRunner().invoke(cli, ["sync", "hubspot", "--db", str(served)])
    # Raised again in the command as the app's error (main() prints it as one line, exit 2).
    assert isinstance(result.exception, AttainError), result.exception
    assert "hubspot answered 401" in str(result.exception)
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM attain_imports").fetchone() == (0,)
