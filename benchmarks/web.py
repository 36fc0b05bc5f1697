"""The web app under load, as `attain serve` runs it: concurrent-load p50/p95 of the team
overview and a rep page at 50 and 200 concurrent requests, and the first of each page after the
app's background computation of a data version's results (at start, after an import handed to
the app, and after a restart that reads them from the results file).

Usage: python benchmarks/web.py [--store PATH] [--import-from FOLDER] [--concurrency 50 200]
[--client aiohttp|httpx]
The default store is the one `python benchmarks/report.py` builds (1,000 reps, 8 quarters); run
that first. `--import-from` hands an import of that folder (e.g. the export the store was built
from) to the running app with `attain import`, as an operator would. The load generator runs on
the same machine as the server (asyncio with aiohttp's client by default, or httpx's; one
connection per concurrent request, kept alive), so the two share its cores; the machine's load
average is printed with the numbers, and the CPU time per request of the server's process and
of the client. It asserts nothing: speed is measured here, not in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.users import add_user
from attain.metrics.targets import rep_roster
from attain.store import connect
from attain.web.auth import SESSION_COOKIE, sign_in

EMAIL, PASSWORD = "bench@example.com", "timing the pages under load"
ATTAIN = [sys.executable, "-c", "from attain.cli.main import main; main()"]


@dataclass
class Server:
    """`attain serve` on the store, in its own process."""

    store: Path
    app_db: str
    port: int
    log: Path | None = None
    """Where the server's own output goes (default nowhere)."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start it; seconds until it answers."""
        started = time.perf_counter()
        command = [*ATTAIN, "serve", "--db", str(self.store), "--app-db", self.app_db]
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)], stdout=output, stderr=output
        )
        while True:
            try:
                httpx.get(self.url + "/login", timeout=5)
                return time.perf_counter() - started
            except httpx.HTTPError:
                if self.process.poll() is not None:
                    raise SystemExit("attain serve stopped; run it by hand to see why") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=300)


def wait_for_results(server: Server, cookie: str) -> float:
    """Seconds until the app's background computation of the current data version is done."""
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: cookie}) as client:
        while client.get("/api/v1/results", timeout=600).json()["computing"]:
            time.sleep(0.2)
    return time.perf_counter() - started


def first_load(server: Server, cookie: str, path: str) -> float:
    """Seconds of the first GET of `path` (it must answer 200 with the page itself)."""
    with httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: cookie}) as client:
        started = time.perf_counter()
        response = client.get(path, timeout=600)
        seconds = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    assert 'data-testid="results-steps"' not in response.text, "results still coming"
    return seconds


Timings = tuple[list[float], dict[str, int]]
"""Seconds of each request, and how many failed by status or error."""


async def _load_httpx(url: str, cookie: str, path: str, concurrency: int, total: int) -> Timings:
    """Seconds of each of `total` GETs of `path`, `concurrency` in flight at a time, and how
    many failed (an error status or a broken connection), with httpx's AsyncClient."""
    # A connection idle past uvicorn's keep-alive timeout (5 s) is closed by the server; reusing
    # it as the server closes it fails (a browser retries, httpx does not), so the client drops
    # idle connections first.
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=4.0
    )
    timings: list[float] = []
    failed: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        base_url=url, cookies={SESSION_COOKIE: cookie}, limits=limits, timeout=600
    ) as client:

        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    if response.status_code != 200:
                        failed[str(response.status_code)] = (
                            failed.get(str(response.status_code), 0) + 1
                        )
                except httpx.HTTPError as error:
                    failed[type(error).__name__] = failed.get(type(error).__name__, 0) + 1
                timings.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(total)))
    return sorted(timings), failed


async def _load_aiohttp(url: str, cookie: str, path: str, concurrency: int, total: int) -> Timings:
    """As `_load_httpx`, with aiohttp's client: it spends a third or less of httpx's CPU time
    per request (0.4-2 ms against 6-9 ms here), which leaves the server, on the same machine,
    more of it."""
    import aiohttp  # the benchmarks' client (the dev extra), not a dependency of Attain

    # Idle connections dropped before uvicorn's keep-alive timeout, as with httpx.
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=4.0)
    timings: list[float] = []
    failed: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(
        url,
        connector=connector,
        headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
        timeout=aiohttp.ClientTimeout(total=600),
    ) as client:

        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    async with client.get(path) as response:
                        await response.read()
                        if response.status != 200:
                            failed[str(response.status)] = failed.get(str(response.status), 0) + 1
                except aiohttp.ClientError as error:
                    failed[type(error).__name__] = failed.get(type(error).__name__, 0) + 1
                timings.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(total)))
    return sorted(timings), failed


CLIENTS = {"aiohttp": _load_aiohttp, "httpx": _load_httpx}
"""The load generators `--client` picks from."""


def percentile(values: list[float], share: float) -> float:
    return values[max(0, round(share * len(values)) - 1)]


def prepared_app_db(folder: Path) -> tuple[str, str]:
    """An app database with one admin, and a signed-in session's cookie."""
    url = f"sqlite:///{folder / 'attain-app.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        add_user(session, EMAIL, "Benchmark", "admin", PASSWORD)
    started = sign_in(engine, EMAIL, PASSWORD)
    assert started is not None
    engine.dispose()
    return url, started[0]


def a_rep(store: Path) -> str:
    backend = connect(str(store), read_only=True)
    try:
        roster = rep_roster(backend)
    finally:
        backend.disconnect()
    return str(roster[roster["role"] == "rep"]["rep_id"].iloc[0])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def measure_firsts(
    table: Table, server: Server, cookie: str, pages: dict[str, str], when: str, waited: float
) -> None:
    """Rows: the background computation's time, then the first load of each page."""
    add_row(table, when, "background computation", "", f"{waited:.2f} s")
    for name, path in pages.items():
        add_row(table, when, f"first {name}", "1", f"{first_load(server, cookie, path):.2f} s")


def add_row(table: Table, *cells: str) -> None:
    """A row of the final table, printed at once too (a long run shows its progress)."""
    table.add_row(*cells)
    print(" | ".join(cells), f"(load {os.getloadavg()[0]:.1f})", flush=True)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) process `pid` has used so far (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Load:
    """How the pages are loaded: the client, the concurrency levels and the rounds of each."""

    client: str
    levels: list[int]
    rounds: int


def measure_load(
    table: Table, server: Server, cookie: str, pages: dict[str, str], load: Load
) -> None:
    """Rows: p50/p95 of each page at each concurrency, `rounds` × concurrency requests, and
    the CPU time per request of the server (its own process's, so other work on a shared
    machine does not count; one process serves on one core at a time) and of the client."""
    assert server.process is not None
    run = CLIENTS[load.client]
    for concurrency in load.levels:
        for name, path in pages.items():
            total = concurrency * load.rounds
            cpu, own = cpu_seconds(server.process.pid), time.process_time()
            started = time.perf_counter()
            timings, failed = asyncio.run(run(server.url, cookie, path, concurrency, total))
            wall = time.perf_counter() - started
            cpu, own = cpu_seconds(server.process.pid) - cpu, time.process_time() - own
            add_row(
                table,
                "warm",
                name,
                str(concurrency),
                f"{percentile(timings, 0.5) * 1000:.0f} ms",
                f"{percentile(timings, 0.95) * 1000:.0f} ms",
                f"{total / wall:.1f}/s",
                ", ".join(f"{n} {kind}" for kind, n in failed.items()) or "0",
                f"{cpu / total * 1000:.1f} ms",
                f"{own / total * 1000:.1f} ms",
            )


def hand_import(store: Path, folder: Path) -> float:
    """Seconds `attain import FOLDER` takes, handed to the running app."""
    started = time.perf_counter()
    done = subprocess.run(
        [*ATTAIN, "import", str(folder), "--db", str(store)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported the files" in done.stdout, done.stdout
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/attain-bench-report/store.duckdb"))
    parser.add_argument("--import-from", type=Path, default=None)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--rounds", type=int, default=3, help="Requests per level: rounds × N.")
    parser.add_argument("--server-log", type=Path, default=None, help="The server's output.")
    parser.add_argument(
        "--client", choices=sorted(CLIENTS), default="aiohttp", help="The load generator."
    )
    parser.add_argument(
        "--no-restart", action="store_true", help="Leave out the restart and its rows."
    )
    args = parser.parse_args()
    if not args.store.exists():
        raise SystemExit(f"no store {args.store}: run python benchmarks/report.py first")
    pages = {"/team": "/team", "rep page": f"/reps/{a_rep(args.store)}"}
    table = Table(title=f"attain serve on {args.store}; load from {args.client}")
    print(f"load generator: {args.client} client, on this machine", flush=True)
    headers = ("when", "request", "concurrent", "p50 / time", "p95", "throughput", "failed")
    for header in (*headers, "server CPU", "client CPU"):
        table.add_column(header, justify="left" if header in ("when", "request") else "right")
    with tempfile.TemporaryDirectory() as folder:
        app_db, cookie = prepared_app_db(Path(folder))
        server = Server(args.store, app_db, _free_port(), args.server_log)
        try:
            add_row(table, "start", "until it answers", "", f"{server.start():.2f} s")
            measure_firsts(table, server, cookie, pages, "start", wait_for_results(server, cookie))
            loading = Load(args.client, args.concurrency, args.rounds)
            measure_load(table, server, cookie, pages, loading)
            if args.import_from is not None:
                seconds = hand_import(args.store, args.import_from)
                add_row(table, "import", "attain import (handed over)", "", f"{seconds:.2f} s")
                waited = wait_for_results(server, cookie)
                measure_firsts(table, server, cookie, pages, "after import", waited)
            if not args.no_restart:
                server.stop()
                add_row(table, "restart", "until it answers", "", f"{server.start():.2f} s")
                waited = wait_for_results(server, cookie)
                measure_firsts(table, server, cookie, pages, "restart", waited)
        finally:
            server.stop()
    Console().print(table)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    Console().print(f"[dim]{os.cpu_count()} CPUs; load average (1, 5, 15 min) now: {load}[/]")


if __name__ == "__main__":
    main()
