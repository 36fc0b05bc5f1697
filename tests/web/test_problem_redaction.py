"""Problem bodies never show where the app runs (issue #22 part 6): a store another process
holds (DuckDB's lock error names the store's path, the interpreter and its process id) answers
503 with the file's name only, in the API's problem and on the page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from attain.web.app import create_app
from attain.web.problems import redacted
from tests.support.web import Demo, Users

HOLD = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
    "print('held', flush=True); time.sleep(300)"
)


def test_a_store_held_elsewhere_answers_without_paths_or_process_ids(
    demo: Demo, app_db: str, users: Users, tmp_path: Path
) -> None:
    store = tmp_path / "held" / "store.duckdb"
    store.parent.mkdir()
    shutil.copy(demo.store, store)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        app = create_app(demo.settings, store=str(store), app_db=app_db)
        with TestClient(app, follow_redirects=False) as client:
            api = client.get("/api/v1/team-overview", headers=users.api("admin"))
            page = client.get("/team", headers=users.page("admin"))
    finally:
        holder.kill()
        holder.wait()
    assert api.status_code == 503 and page.status_code == 503
    assert "store.duckdb" in api.json()["detail"]
    for body in (api.text, page.text):
        assert str(store.parent) not in body
        assert sys.executable not in body and Path(sys.executable).name not in body
        assert "PID" not in body and str(holder.pid) not in body


def test_redacted_keeps_what_a_user_can_act_on() -> None:
    assert redacted("as of 2026-11-13: team T001 has 3/4 reps") == (
        "as of 2026-11-13: team T001 has 3/4 reps"
    )
    assert redacted("/srv/attain/data/store.duckdb: cannot open the store") == (
        "store.duckdb: cannot open the store"
    )
    assert redacted("see https://duckdb.org/docs/connect") == "see https://duckdb.org/docs/connect"
