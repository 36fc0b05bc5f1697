"""Salesforce sync through simple-salesforce against a local server answering its REST API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
from connectors_support import FakeSalesforce, certificate, serve
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from salesforce_support import change, org, write_export

from attain.ingest.connectors import SyncError
from attain.ingest.connectors.salesforce import SalesforceConnector, sign_in
from attain.ingest.connectors.settings import SalesforceSync
from attain.ingest.connectors.snapshot import Snapshot
from attain.ingest.connectors.sync import SyncResult, run_sync
from attain.ingest.importer import import_files
from attain.schema import TABLES

FIRST, SECOND = datetime(2026, 3, 1), datetime(2026, 3, 3)


@pytest.fixture
def salesforce(tmp_path: Path) -> Iterator[tuple[FakeSalesforce, str, Path]]:
    """The fake org behind HTTPS, its URL and the certificate to trust."""
    server = org()
    cert, key = certificate(tmp_path)
    with serve(server, tls=(cert, key)) as url:
        yield server, url, cert


def _sync(
    salesforce: tuple[FakeSalesforce, str, Path],
    store: duckdb.DuckDBPyConnection,
    folder: Path,
    when: datetime,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float] | None = None,
    **settings: Any,
) -> SyncResult:
    server, url, cert = salesforce
    monkeypatch.setenv("ATTAIN_SALESFORCE_TOKEN", server.token)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # requests prefers it to session.verify
    session = requests.Session()
    session.verify = str(cert)
    config = SalesforceSync(auth="token", instance_url=url, bulk_poll_seconds=0, **settings)
    client = sign_in(config, session)
    connector = SalesforceConnector(
        client, config, sleep=(sleeps if sleeps is not None else []).append
    )
    return run_sync(store, connector, folder, now=when, rejects_path=folder / "rejects.csv")


def _tables(store: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {name: store.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in TABLES}


def test_full_then_incremental_sync_match_the_export_of_the_same_records(
    salesforce: tuple[FakeSalesforce, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full sync gives the tables an import of the Data Export of the same records gives;
    after changes, an incremental sync reads only what changed and gives the tables of a new
    export: 006B moved to Negotiation at 9,000, 006D deleted, 006E created."""
    server = salesforce[0]
    synced = duckdb.connect()
    first = _sync(salesforce, synced, tmp_path / "sync", FIRST, monkeypatch)
    assert first.full and first.imported.committed
    exported = duckdb.connect()
    import_files(exported, [write_export(server, tmp_path / "export1")], preset_name="salesforce")
    assert _tables(synced) == _tables(exported)
    deals = synced.execute("SELECT opportunity_id FROM opportunities ORDER BY 1").fetchall()
    assert [d for (d,) in deals] == ["006A0000001", "006B0000001", "006C0000001", "006D0000001"]
    assert any("ForecastingQuota" in note for note in first.imported.notes)
    # Task, Event and field history through Bulk API 2.0 jobs: create, state, result pages
    # (1 task, 1 event: a page each; 4 stage changes at 2 a page: 2 pages) = 3 + 3 + 4
    assert len([line for line in server.log if "/jobs/query" in line]) == 10
    assert any("nextRecordsUrl" not in line and "-2" in line for line in server.log)  # paged

    change(server)
    server.log.clear()
    second = _sync(salesforce, synced, tmp_path / "sync", SECOND, monkeypatch)
    assert not second.full and second.imported.committed
    queries = [line for line in server.log if "SELECT" in line]
    assert any("Opportunity WHERE SystemModstamp > 2026-02-28T23:50:00Z" in q for q in queries)
    assert any("/queryAll/" in q and "IsDeleted = true" in q for q in queries)
    assert second.merged.changed["Opportunity"] == 2  # 006B and 006E, not the unchanged three
    assert second.merged.removed["Opportunity"] == 1

    again = duckdb.connect()
    import_files(again, [write_export(server, tmp_path / "export2")], preset_name="salesforce")
    assert _tables(synced) == _tables(again)
    assert synced.execute(
        "SELECT stage, amount FROM opportunities WHERE opportunity_id = '006B0000001'"
    ).fetchall() == [("Negotiation", 9000.0)]
    versions = synced.execute(
        "SELECT preset, taken_at FROM attain_imports ORDER BY import_id"
    ).fetchall()
    assert versions == [("sync:salesforce", FIRST), ("sync:salesforce", SECOND)]
    deleted = synced.execute(
        "SELECT deleted FROM attain_import_tables "
        "WHERE import_id = 2 AND table_name = 'opportunities'"
    ).fetchall()
    assert deleted == [(1,)]
    assert synced.execute(
        "SELECT opportunity_id FROM attain_opportunity_history WHERE deleted AND valid_to IS NULL"
    ).fetchall() == [("006D0000001",)]


def test_a_failed_sync_leaves_the_store_and_the_snapshot_unchanged(
    salesforce: tuple[FakeSalesforce, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server fails in the middle of the second sync: the store keeps the first sync's
    tables and data versions, and the next sync still reads from the first one's cursor."""
    server = salesforce[0]
    store = duckdb.connect()
    _sync(salesforce, store, tmp_path / "sync", FIRST, monkeypatch)
    before = _tables(store)
    change(server)
    server.fail_request = 12
    with pytest.raises(SyncError, match="500"):
        _sync(salesforce, store, tmp_path / "sync", SECOND, monkeypatch)
    assert _tables(store) == before
    assert store.execute("SELECT count(*) FROM attain_imports").fetchall() == [(1,)]
    assert not (tmp_path / "sync" / "salesforce.new").exists()
    assert Snapshot(tmp_path / "sync" / "salesforce").cursor() == FIRST


def _connector(
    salesforce: tuple[FakeSalesforce, str, Path],
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float],
) -> SalesforceConnector:
    server, url, cert = salesforce
    monkeypatch.setenv("ATTAIN_SALESFORCE_TOKEN", server.token)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    config = SalesforceSync(auth="token", instance_url=url)
    return SalesforceConnector(sign_in(config), config, sleep=sleeps.append)


def test_request_limit_exceeded_is_retried_after_a_growing_wait(
    salesforce: tuple[FakeSalesforce, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two queries refused with REQUEST_LIMIT_EXCEEDED: waits of 30 s then 60 s, then every
    object is read (each refusal counted as a call)."""
    server = salesforce[0]
    server.refuse_with_limit = 2
    sleeps: list[float] = []
    connector = _connector(salesforce, monkeypatch, sleeps)
    fetched = connector.fetch(None)
    assert sleeps == [30.0, 60.0]
    assert [len(o.rows) for o in fetched.objects if o.name == "Opportunity"] == [4]
    assert fetched.calls == len(server.log)


def test_a_sync_stops_before_the_org_runs_out_of_api_requests(
    salesforce: tuple[FakeSalesforce, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sforce-Limit-Info says 12,000 of 15,000 used after the first call: the 80% share, so the
    sync stops."""
    salesforce[0].api_used = 11_999
    with pytest.raises(SyncError, match="12,000 of its 15,000 daily API requests"):
        _connector(salesforce, monkeypatch, []).fetch(None)


class _ToTheLocalServer(HTTPAdapter):
    """Sends what simple-salesforce addresses to login.salesforce.com to the local server (the
    only change to its requests: the JWT it signs and posts is checked by the server)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        request.url = (request.url or "").replace("https://login.salesforce.com", self.url)
        return super().send(request, *args, **kwargs)


def test_jwt_bearer_sign_in_with_the_key_from_the_environment(
    salesforce: tuple[FakeSalesforce, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """auth = "jwt": simple-salesforce signs an assertion with ATTAIN_SALESFORCE_PRIVATE_KEY
    for the consumer key and user in the settings; the server checks it and answers with the
    instance the sync then reads. Another key is refused with a message saying what to check."""
    server, url, cert = salesforce
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    server.url, server.connected_app = url, ("3MVG9connectedapp", "sync@acme.example", public)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv("ATTAIN_SALESFORCE_PRIVATE_KEY", _pem(key))
    config = SalesforceSync(consumer_key="3MVG9connectedapp", username="sync@acme.example")
    session = requests.Session()
    session.mount("https://login.salesforce.com", _ToTheLocalServer(url))
    client = sign_in(config, session)
    assert client.session_id == server.token
    assert len(client.query("SELECT Id FROM User")["records"]) == 2  # first page of 3 users

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setenv("ATTAIN_SALESFORCE_PRIVATE_KEY", _pem(other))
    with pytest.raises(SyncError, match=r"refused the sign-in \(jwt\): .*Signature verification"):
        sign_in(config, session)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
