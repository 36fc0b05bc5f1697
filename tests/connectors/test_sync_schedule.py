"""`attain serve` syncs HubSpot on its schedule ([sync] every_minutes, crms) and every page says
when the last sync ran, how it went and when the next is due; a failing sync leaves the store
as it was and the app serving."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from connectors_support import FakeHubSpot, serve
from fastapi.testclient import TestClient
from hubspot_support import portal

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.users import add_user
from attain.config import Settings
from attain.ingest.connectors.schedule import SyncSchedule
from attain.ingest.connectors.settings import HubSpotSync, SyncSettings
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE, sign_in

PASSWORD = "a long and unusual passphrase 7"


@pytest.fixture
def hubspot(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeHubSpot, str]]:
    server = portal()
    monkeypatch.setenv("ATTAIN_HUBSPOT_TOKEN", server.token)
    with serve(server) as url:
        yield server, url


def _settings(tmp_path: Path, url: str) -> Settings:
    sync = SyncSettings(
        folder=tmp_path / "sync", every_minutes=60, crms=["hubspot"], hubspot=HubSpotSync(host=url)
    )
    return Settings(sync=sync)


def _wait_for(schedule: SyncSchedule) -> None:
    deadline = time.monotonic() + 120
    while "hubspot" not in schedule.last and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "hubspot" in schedule.last, "the scheduled sync did not finish in 2 minutes"


def _page(client: TestClient, url: str) -> str:
    engine = make_engine(url)
    started = sign_in(engine, "admin@example.com", PASSWORD)
    engine.dispose()
    assert started is not None
    response = client.get("/coaching", headers={"Cookie": f"{SESSION_COOKIE}={started[0]}"})
    assert response.status_code == 200, response.text[:300]
    return response.text


def _app(tmp_path: Path, settings: Settings) -> tuple[TestClient, str, Path]:
    store = tmp_path / "store.duckdb"
    duckdb.connect(str(store)).close()
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        add_user(session, "admin@example.com", "Ada", "admin", PASSWORD)
    engine.dispose()
    app = create_app(settings, store=str(store), app_db=url)
    return TestClient(app, follow_redirects=False), url, store


def test_the_app_syncs_on_its_schedule_and_every_page_says_so(
    hubspot: tuple[FakeHubSpot, str], tmp_path: Path
) -> None:
    client, url, store = _app(tmp_path, _settings(tmp_path, hubspot[1]))
    with client:
        schedule = client.app.state.sync_schedule  # type: ignore[attr-defined]
        _wait_for(schedule)
        run = schedule.last["hubspot"]
        assert run.ok, run.detail
        page = _page(client, url)
        assert 'data-testid="sync-line"' in page
        assert "hubspot: last sync" in page and "ok (data version 1," in page
        assert "next sync" in page
    with duckdb.connect(str(store), read_only=True) as con:
        deals = con.execute("SELECT count(*) FROM opportunities").fetchone()
        source = con.execute("SELECT preset FROM attain_imports").fetchall()
    assert deals is not None and deals[0] == 3
    assert source == [("sync:hubspot",)]


def test_a_failing_scheduled_sync_is_said_and_changes_nothing(
    hubspot: tuple[FakeHubSpot, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTAIN_HUBSPOT_TOKEN", "not-the-token")
    client, url, store = _app(tmp_path, _settings(tmp_path, hubspot[1]))
    with client:
        schedule = client.app.state.sync_schedule  # type: ignore[attr-defined]
        _wait_for(schedule)
        assert not schedule.last["hubspot"].ok
        assert "hubspot: last sync" in _page(client, url) and "failed (" in _page(client, url)
    with duckdb.connect(str(store), read_only=True) as con:
        imports = con.execute("SELECT count(*) FROM attain_imports").fetchone()
        deals = con.execute("SELECT count(*) FROM opportunities").fetchone()
    assert imports == (0,) and deals == (0,)  # the empty tables of an opened store, no data
