"""HubSpot sync through hubspot-api-client against a local server answering its CRM API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from connectors_support import FakeHubSpot, serve
from hubspot_support import change, portal, write_export

from attain.errors import ConfigError
from attain.ingest.connectors import SyncError
from attain.ingest.connectors.hubspot import HubSpotConnector, sign_in
from attain.ingest.connectors.settings import HubSpotSync
from attain.ingest.connectors.snapshot import Snapshot
from attain.ingest.connectors.sync import SyncResult, run_sync
from attain.ingest.importer import import_files
from attain.schema import TABLES

FIRST, SECOND = datetime(2026, 3, 1), datetime(2026, 3, 3)


@pytest.fixture
def hubspot(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeHubSpot, str]]:
    server = portal()
    monkeypatch.setenv("ATTAIN_HUBSPOT_TOKEN", server.token)
    with serve(server) as url:
        yield server, url


def _connector(hubspot: tuple[FakeHubSpot, str]) -> HubSpotConnector:
    return HubSpotConnector(sign_in(HubSpotSync(host=hubspot[1])))


def _sync(
    hubspot: tuple[FakeHubSpot, str], store: duckdb.DuckDBPyConnection, folder: Path, when: datetime
) -> SyncResult:
    return run_sync(store, _connector(hubspot), folder, now=when)


def _tables(store: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {name: store.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in TABLES}


def _exported_tables(store: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """The tables a HubSpot export fills: all but stage entries and activities, which only a
    sync reads."""
    tables = _tables(store)
    del tables["opportunity_stages"], tables["activities"]
    return tables


def _activities(store: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    times = ", ".join(
        f"strftime({name}, '%Y-%m-%d %H:%M')" for name in ("occurred_at", "due_at", "completed_at")
    )
    return store.execute(
        f"SELECT activity_id, rep_id, type, {times}, opportunity_id, lead_id FROM activities "
        "ORDER BY 1"
    ).fetchall()


ACTIVITIES = [
    ("501", "ann-archer", "call", "2026-01-15 16:00", None, None, "401", "301"),
    ("511", "bob-brown", "email", "2026-01-20 09:30", None, None, "402", "302"),
    ("521", "bob-brown", "meeting", "2026-02-02 15:00", None, None, "403", None),
    ("531", "ann-archer", "follow_up", "2026-01-02 08:00", "2026-03-05 09:00", None, "402", None),
    (
        *("532", "bob-brown", "task", "2026-01-02 08:00", "2026-02-04 09:00"),
        *("2026-02-03 10:00", "403", None),
    ),
]
"""The engagements as activities: the meeting at its start, the open call task a follow-up
due 5 March, the done to-do a task completed 3 February; each dated by creation when to do."""


def _stages(store: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return store.execute(
        "SELECT opportunity_id, stage, strftime(entered_at, '%Y-%m-%d %H:%M') "
        "FROM opportunity_stages ORDER BY ALL"
    ).fetchall()


def test_full_then_incremental_sync_match_the_export_of_the_same_records(
    hubspot: tuple[FakeHubSpot, str], tmp_path: Path
) -> None:
    """A full sync gives the tables an import of the portal's CRM export gives, and the deals'
    stage entries from their dealstage property history; after changes,
    an incremental sync (search on hs_lastmodifieddate, archived deals as deletions) gives the
    tables of a new export: 402 won at 9,000, 403 deleted, 404 created."""
    server = hubspot[0]
    synced = duckdb.connect()
    first = _sync(hubspot, synced, tmp_path / "sync", FIRST)
    assert first.imported.committed
    exported = duckdb.connect()
    import_files(exported, [write_export(server, tmp_path / "export1")], preset_name="hubspot")
    assert _exported_tables(synced) == _exported_tables(exported)
    assert _stages(synced) == [
        ("401", "Appointment Scheduled", "2026-01-05 10:00"),
        ("401", "Closed Won", "2026-02-10 12:00"),
        ("401", "Qualified To Buy", "2026-01-20 12:00"),
        ("402", "Appointment Scheduled", "2026-01-12 10:00"),
        ("402", "Qualified To Buy", "2026-02-01 12:00"),
        ("403", "Appointment Scheduled", "2026-01-19 10:00"),
    ]
    assert _activities(synced) == ACTIVITIES
    assert synced.execute(
        "SELECT opportunity_id, stage, owner_rep_id, account_id, lead_id FROM opportunities "
        "ORDER BY 1"
    ).fetchall() == [
        ("401", "Closed Won", "ann-archer", "201", "301"),
        ("402", "Qualified To Buy", "bob-brown", "202", "302"),
        ("403", "Appointment Scheduled", "bob-brown", "201", None),
    ]
    assert any(
        "after=2" in path or path.endswith("/crm/v3/objects/deals") for _, path, _ in server.log
    )

    change(server)
    server.log.clear()
    second = _sync(hubspot, synced, tmp_path / "sync", SECOND)
    assert second.imported.committed and not second.full
    paths = [path for _, path, _ in server.log]
    assert "POST /crm/v3/objects/deals/search" in paths
    assert second.merged.changed["deals"] == 2 and second.merged.removed["deals"] == 1
    again = duckdb.connect()
    import_files(again, [write_export(server, tmp_path / "export2")], preset_name="hubspot")
    assert _exported_tables(synced) == _exported_tables(again)
    assert _stages(synced) == [
        ("401", "Appointment Scheduled", "2026-01-05 10:00"),
        ("401", "Closed Won", "2026-02-10 12:00"),
        ("401", "Qualified To Buy", "2026-01-20 12:00"),
        ("402", "Appointment Scheduled", "2026-01-12 10:00"),
        ("402", "Closed Won", "2026-03-02 09:00"),
        ("402", "Qualified To Buy", "2026-02-01 12:00"),
        ("404", "Appointment Scheduled", "2026-03-02 09:00"),
    ]
    # the deleted deal 403 leaves the meeting and the task that were about it
    assert _activities(synced) == [
        (*row[:6], None if row[6] == "403" else row[6], row[7]) for row in ACTIVITIES
    ]
    assert synced.execute(
        "SELECT preset, taken_at FROM attain_imports ORDER BY import_id"
    ).fetchall() == [("sync:hubspot", FIRST), ("sync:hubspot", SECOND)]
    assert synced.execute(
        "SELECT opportunity_id FROM attain_opportunity_history WHERE deleted AND valid_to IS NULL"
    ).fetchall() == [("403",)]


def test_a_rate_limited_call_is_retried_after_retry_after(
    hubspot: tuple[FakeHubSpot, str],
) -> None:
    """The first call is answered 429 with Retry-After: 1; the client asks again a second
    later and the sync reads every record."""
    server = hubspot[0]
    server.rate_limited = 1
    fetched = _connector(hubspot).fetch(None)
    (refused_at, _, status), (retried_at, _, _) = server.log[:2]
    assert status == 429 and retried_at - refused_at >= 1.0
    # companies, contacts, deals, 6 stage entries, a call, an e-mail, a meeting, 2 tasks
    assert [len(o.rows) for o in fetched.objects] == [2, 2, 3, 6, 1, 1, 1, 2]


def test_a_failed_sync_leaves_the_store_and_the_snapshot_unchanged(
    hubspot: tuple[FakeHubSpot, str], tmp_path: Path
) -> None:
    """The server fails in the middle of the second sync: nothing changes."""
    server = hubspot[0]
    store = duckdb.connect()
    _sync(hubspot, store, tmp_path / "sync", FIRST)
    before = _tables(store)
    change(server)
    server.fail_request = 6
    with pytest.raises(SyncError, match="500"):
        _sync(hubspot, store, tmp_path / "sync", SECOND)
    assert _tables(store) == before
    assert store.execute("SELECT count(*) FROM attain_imports").fetchall() == [(1,)]
    assert Snapshot(tmp_path / "sync" / "hubspot").cursor() == FIRST


def test_attain_sync_hubspot_reads_its_settings_and_token(
    hubspot: tuple[FakeHubSpot, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`attain sync hubspot` takes the host from attain.toml and the token from the
    environment; a second sync with nothing changed commits no new data version; `attain sync
    status` shows the last; without the token it says which variable to set."""
    from typer.testing import CliRunner

    from attain.cli.main import app

    config = tmp_path / "attain.toml"
    config.write_text(
        f'[sync]\nfolder = "{tmp_path / "sync"}"\n\n[sync.hubspot]\nhost = "{hubspot[1]}"\n'
    )
    monkeypatch.setenv("ATTAIN_CONFIG", str(config))
    db = str(tmp_path / "store.duckdb")
    result = CliRunner().invoke(app, ["sync", "hubspot", "--db", db])
    assert result.exit_code == 0, result.output
    # owners (active, archived) 2, pipelines 1, companies 1 page, contacts 1, deals 2 pages of
    # 2, associations to companies and to contacts 2, stage history 1 batch; then for calls,
    # e-mails, meetings and tasks a page and associations to deals and to contacts each: 12
    assert len(hubspot[0].log) == 22
    assert "hubspot: read every record in 22 API call(s)" in result.output
    assert "deals: 3 read, 0 deleted, 3 in the snapshot" in result.output
    again = CliRunner().invoke(app, ["sync", "hubspot", "--db", db])  # nothing changed
    assert "Nothing new: unchanged since data version 1." in again.output, again.output
    status = CliRunner().invoke(app, ["sync", "status", "--db", db])
    assert status.exit_code == 0, status.output
    cells = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in status.output.splitlines()
        if line.count("│") == 8
    }
    # version 1 loaded 2 reps, 2 accounts, 2 leads, 3 deals, 6 stage entries, 5 activities
    assert cells["hubspot"][1] == "1" and cells["hubspot"][3:] == ["20", "0", "0"]
    # The sync's time and its data version's, each to the minute: the same or a minute apart.
    synced, versioned = (datetime.fromisoformat(cell) for cell in cells["hubspot"][0:3:2])
    assert abs(versioned - synced) <= timedelta(minutes=1)
    assert cells["salesforce"] == ["never", "-", "-", "0", "0", "0"]
    monkeypatch.delenv("ATTAIN_HUBSPOT_TOKEN")
    result = CliRunner().invoke(app, ["sync", "hubspot", "--db", db])
    assert isinstance(result.exception, ConfigError)
    assert "set ATTAIN_HUBSPOT_TOKEN in the environment" in str(result.exception)


def test_more_changes_than_search_returns_read_the_object_whole(
    hubspot: tuple[FakeHubSpot, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search pages through at most 10,000 results; past that (here: past 1) the sync lists
    the object whole instead, and the snapshot replaces it."""
    from attain.ingest.connectors import hubspot as connector_module

    monkeypatch.setattr(connector_module, "SEARCH_LIMIT", 1)
    server = hubspot[0]
    change(server)
    fetched = _connector(hubspot).fetch(datetime(2026, 3, 1))
    deals = next(o for o in fetched.objects if o.name == "deals")
    assert deals.complete and sorted(r["hs_object_id"] for r in deals.rows) == ["401", "402", "404"]
    companies = next(o for o in fetched.objects if o.name == "companies")
    assert not companies.complete and companies.rows == []  # none changed: search said 0
