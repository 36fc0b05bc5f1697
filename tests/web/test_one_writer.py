"""One writer while serving (issue #22 part 6): `attain serve` owns its DuckDB store, and
`attain import` hands its files to it instead of opening the store.

The app runs as `attain serve` in its own process (uvicorn on a free local port), as an
operator runs it; the import is the real command in another process. A stream of requests
(pages and API) runs through the import: none may fail, the import may not fail, and afterwards
the pages show the imported change (a rep renamed in the export).
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from attain.appdb.database import session_scope
from attain.appdb.users import create_api_token, get_user
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb
from attain.store.owner import claim_path, read_claim
from attain.web.auth import SESSION_COOKIE, sign_in
from tests.support.appdb import app_engine
from tests.support.web import PASSWORD, Demo, add_role_users

NEW_NAME = "Zelda Renamed-In-Export"
ATTAIN = [sys.executable, "-c", "from attain.cli.main import main; main()"]


@dataclass
class Served:
    """`attain serve` running on a demo store of its own."""

    folder: Path
    store: Path
    url: str
    env: dict[str, str]
    cookie: str
    token: str
    process: subprocess.Popen[bytes] = field(repr=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            with urllib.request.urlopen(url + "/login", timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise AssertionError("attain serve did not answer within 120 s")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """8 reps over 3 quarters (seed 5) imported, the role users, and `attain serve` on it."""
    folder = tmp_path_factory.mktemp("one-writer")
    generate(DemoSpec(reps=8, quarters=3, seed=5), folder / "export")
    store = folder / "store.duckdb"
    backend = connect(str(store))
    try:
        import_files(raw_duckdb(backend), [folder / "export"])
    finally:
        backend.disconnect()
    url = f"sqlite:///{folder / 'attain-app.db'}"
    demo = Demo(folder, store, None, "T001", "R0001", "R0002", ())  # type: ignore[arg-type]
    add_role_users(url, demo)
    with app_engine(url) as engine:
        started = sign_in(engine, "admin@example.com", PASSWORD)
        assert started is not None
        with session_scope(engine) as session:
            user = get_user(session, "admin@example.com")
            token = create_api_token(session, user, "one-writer test")[1]
    env = {**os.environ, "ATTAIN_CONFIG": str(folder / "export" / "attain.toml")}
    port = _free_port()
    command = [*ATTAIN, "serve", "--db", str(store), "--app-db", url, "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process)
        yield Served(folder, store, base, env, started[0], token, process)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _get(served: Served, path: str) -> tuple[int, str]:
    """GET `path` as the admin (cookie for pages, token for the API): status and body."""
    headers = (
        {"Authorization": f"Bearer {served.token}"}
        if path.startswith("/api/")
        else {"Cookie": f"{SESSION_COOKIE}={served.cookie}"}
    )
    request = urllib.request.Request(served.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _renamed_export(served: Served) -> Path:
    """The demo export again with one rep's name changed."""
    export = served.folder / "export-2"
    shutil.copytree(served.folder / "export", export, dirs_exist_ok=True)
    with (export / "reps.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    rows[0]["name"] = NEW_NAME
    with (export / "reps.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return export


def test_the_server_claims_its_store_for_its_owner_only(served: Served) -> None:
    claim = read_claim(served.store)
    assert claim is not None
    assert claim.url == served.url
    assert claim.pid == served.process.pid
    assert stat.S_IMODE(claim_path(served.store).stat().st_mode) == 0o600


def test_the_write_api_takes_only_the_claims_token(served: Served) -> None:
    body = b'{"request": {"paths": ["/nonexistent"]}}'
    for headers in ({}, {"Authorization": f"Bearer {served.token}"}):
        request = urllib.request.Request(
            served.url + "/api/v1/store/imports",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **headers},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401


def test_an_import_while_the_app_answers_requests(served: Served) -> None:
    paths = ["/team", "/reps/R0002", "/api/v1/team-overview", "/api/v1/reps/R0002"]
    failures: list[tuple[str, int, str]] = []
    answered = [0]
    stop = threading.Event()

    def stream() -> None:
        while not stop.is_set():
            for path in paths:
                status, body = _get(served, path)
                answered[0] += 1
                if status != 200:
                    failures.append((path, status, body[:300]))

    readers = [threading.Thread(target=stream) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        time.sleep(1)
        export = _renamed_export(served)
        done = subprocess.run(
            [*ATTAIN, "import", str(export), "--db", str(served.store)],
            env=served.env,
            cwd=served.folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        time.sleep(1)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Import summary" in done.stdout
    assert f"The app serving this store ({served.url}) imported the files." in done.stdout
    assert "Data version 2" in done.stdout
    assert failures == []
    assert answered[0] > len(paths)
    _assert_pages_show(served, NEW_NAME)


def _assert_pages_show(served: Served, text: str) -> None:
    """The team page and the API name `text` once the new version's results are computed
    (until then a page may say its results are coming)."""
    deadline = time.monotonic() + 180
    while True:
        status, page = _get(served, "/team")
        assert status == 200
        if text in page:
            break
        assert time.monotonic() < deadline, "the team page never showed the imported change"
        time.sleep(0.5)
    status, body = _get(served, "/api/v1/team-overview")
    assert status == 200
    assert text in body


def test_an_import_error_is_the_commands_own(served: Served) -> None:
    done = subprocess.run(
        [*ATTAIN, "import", str(served.folder / "no-such-folder"), "--db", str(served.store)],
        env=served.env,
        cwd=served.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "no-such-folder" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_terminated_server_removes_its_claim(served: Served) -> None:
    """Last in this module: SIGTERM (as a service manager stops it) ends `attain serve` with
    its claim removed; uvicorn re-raises the signal after shutting down, which used to end the
    process before the claim could go."""
    assert claim_path(served.store).exists()
    served.process.terminate()
    assert served.process.wait(timeout=60) == 128 + 15
    assert not claim_path(served.store).exists()
