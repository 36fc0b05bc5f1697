"""Results ready when the user arrives (issue #23 part 4): the pages' heavy results are kept in
a results file beside the store, keyed by data version, so a restart computes none of them;
with `background` (as `attain serve` runs) they are computed after start and after writes, and
a page whose result is still coming says what is ready and reloads instead of waiting blank.

Each test runs the app in-process over its own copy of the demo store, so counts of
computations are this test's alone.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from attain.web.app import create_app
from attain.web.services import Services
from tests.support.web import Demo, Users

AS_OF = "2026-11-13"
HEAVY = ("data_through", "roster", "report", "diagnosis", "funnel", "forecast", "plan")
"""Results every page needs, and the costly ones the background computes."""


def _store_copy(demo: Demo, tmp_path: Path) -> Path:
    store = tmp_path / "store.duckdb"
    shutil.copy(demo.store, store)
    return store


def _visit(client: TestClient, users: Users, demo: Demo) -> None:
    """The team page, a rep page and the rep's plan, each answering 200."""
    for path in ("/team", f"/reps/{demo.own_rep}"):
        response = client.get(path, headers=users.page("admin"))
        assert response.status_code == 200, response.text[:300]
        assert 'data-testid="results-steps"' not in response.text
    plan = client.get(f"/api/v1/reps/{demo.own_rep}/plan", headers=users.api("admin"))
    assert plan.status_code == 200, plan.text[:300]


def _services(client: TestClient) -> Services:
    found: Services = client.app.state.services  # type: ignore[attr-defined]
    return found


def test_a_restart_computes_nothing_it_kept(
    demo: Demo, app_db: str, users: Users, tmp_path: Path
) -> None:
    store = _store_copy(demo, tmp_path)
    computed = []
    for background in (False, True):  # the restart as `attain serve` runs it
        app = create_app(demo.settings, store=str(store), app_db=app_db, background=background)
        with TestClient(app, follow_redirects=False) as client:
            if background:  # only the rep pages' parts, which the file does not keep
                steps = _wait_until_computed(client, users)["steps"]
                assert [step["kind"] for step in steps] == ["rep_pages"]  # type: ignore[attr-defined]
            _visit(client, users, demo)
            kinds = _services(client).computed
            computed.append({kind: kinds[kind] for kind in HEAVY if kinds[kind]})
    assert {"report", "forecast", "plan", "data_through"} <= set(computed[0])
    assert computed[1] == {}
    assert (store.parent / "store.duckdb.results" / "results.sqlite").exists()


def _wait_until_computed(client: TestClient, users: Users) -> dict[str, object]:
    deadline = time.monotonic() + 300
    while True:
        progress = client.get("/api/v1/results", headers=users.api("rep")).json()
        if not progress["computing"]:
            return dict(progress)
        assert time.monotonic() < deadline, progress
        time.sleep(0.2)


def test_results_are_computed_in_the_background_before_anyone_asks(
    demo: Demo, app_db: str, users: Users, tmp_path: Path
) -> None:
    store = _store_copy(demo, tmp_path)
    app = create_app(demo.settings, store=str(store), app_db=app_db, background=True)
    with TestClient(app, follow_redirects=False) as client:
        progress = _wait_until_computed(client, users)
        assert [step["state"] for step in progress["steps"]] == ["ready"] * 6  # type: ignore[attr-defined]
        services = _services(client)
        # The plan reused the page's forecast: one forecast in all, none of the plan's own.
        assert services.computed["forecast"] == 1
        _visit(client, users, demo)
        assert {kind: services.computed[kind] for kind in ("report", "forecast", "plan")} == {
            "report": 1,
            "forecast": 1,
            "plan": 1,
        }
        # Every rep page's charts were built in the background, once each.
        assert services.computed["rep_page_parts"] == len(services.roster())


def test_a_page_says_what_is_ready_and_what_is_coming(
    demo: Demo, app_db: str, users: Users, tmp_path: Path
) -> None:
    store = _store_copy(demo, tmp_path)
    app = create_app(demo.settings, store=str(store), app_db=app_db)
    with TestClient(app, follow_redirects=False) as client:
        services = _services(client)
        services.data_through()
        # A write holds the store, so the background computation started now waits for it.
        held, release = threading.Event(), threading.Event()

        def write() -> None:
            with services.writing():
                held.set()
                release.wait(60)

        writer = threading.Thread(target=write)
        writer.start()
        held.wait(60)
        services.background = True
        assert services.warm() is not None
        try:
            page = client.get("/team", headers=users.page("manager"))
            assert page.status_code == 200
            assert page.headers["refresh"] == "3"
            assert 'data-testid="results-steps"' in page.text
            assert "performance report: being computed" in page.text
            assert "forecast: coming" in page.text
            progress = client.get("/api/v1/results", headers=users.api("rep")).json()
            assert progress["computing"] is True
        finally:
            release.set()
            writer.join(60)
        _wait_until_computed(client, users)
        page = client.get("/team", headers=users.page("manager"))
        assert 'data-testid="results-steps"' not in page.text
        assert "New data" not in page.text
