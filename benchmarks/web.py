"""The web app on a large store: the first (uncached) load of the team overview and of a rep
page, then p50/p95 of warm requests, through an in-process client signed in as an admin.

Usage: python benchmarks/web.py [--store PATH] [--as-of 2026-11-13] [--requests 100]
The default store is the one `python benchmarks/report.py` builds (1,000 reps, 8 quarters); run
that first. It asserts nothing: speed is measured here, not in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from attain.appdb.database import make_engine, session_scope, upgrade
from attain.appdb.users import add_user
from attain.config import load_settings
from attain.metrics.targets import rep_roster
from attain.store import connect
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE, sign_in

EMAIL, PASSWORD = "bench@example.com", "timing the pages twice"


def timed(client: TestClient, path: str) -> float:
    """Seconds one GET of `path` took; it must answer 200."""
    start = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/attain-bench-report/store.duckdb"))
    parser.add_argument("--as-of", default="2026-11-13")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    if not args.store.exists():
        raise SystemExit(f"no store {args.store}: run python benchmarks/report.py first")
    backend = connect(str(args.store), read_only=True)
    rep = str(rep_roster(backend)["rep_id"].iloc[0])
    backend.disconnect()
    gc.freeze()  # as `attain serve` does (attain.cli.main)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'attain-app.db'}"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            add_user(session, EMAIL, "Benchmark", "admin", PASSWORD)
        started = sign_in(engine, EMAIL, PASSWORD)
        assert started is not None
        app = create_app(load_settings(), store=str(args.store), app_db=url)
        with TestClient(app) as client:
            client.cookies.set(SESSION_COOKIE, started[0])
            pages = {
                "/team": f"/team?as_of={args.as_of}",
                "/api/v1/team-overview": f"/api/v1/team-overview?as_of={args.as_of}",
                "/reps/{rep_id}": f"/reps/{rep}?as_of={args.as_of}",
            }
            table = Table(title=f"Attain web app on {args.store} as of {args.as_of}")
            for header in ("request", "first load s", "warm p50 ms", "warm p95 ms"):
                table.add_column(header, justify="left" if header == "request" else "right")
            for name, path in pages.items():
                first = timed(client, path)
                warm = sorted(timed(client, path) for _ in range(args.requests))
                p95 = warm[max(0, round(0.95 * len(warm)) - 1)]
                table.add_row(
                    name,
                    f"{first:.2f}",
                    f"{statistics.median(warm) * 1000:.1f}",
                    f"{p95 * 1000:.1f}",
                )
    Console().print(table)
    Console().print(
        f"[dim]{args.requests} warm requests each; a first load computes what the "
        "page needs (the next page reuses what it shares)[/]"
    )


if __name__ == "__main__":
    main()
