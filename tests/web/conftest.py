"""A small demo organisation in a DuckDB store, an app database with one user per role, and
one running app shared by the web tests (so core results are computed once per run)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "appdb"))

from web_support import PASSWORD, Demo, Users, add_role_users

from attain.appdb.database import session_scope
from attain.appdb.users import create_api_token, get_user
from attain.config import load_settings
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.metrics.targets import rep_roster
from attain.store import connect, raw_duckdb
from attain.web.app import create_app
from attain.web.auth import sign_in

ROLES = ("admin", "manager", "rep", "marketing")

COMP_PLAN = """name = "Web tests"
[base_rates]
priority = 0.10
standard = 0.05
loss_leader = 0.02
[[accelerators]]
above = 1.0
multiplier = 2
"""
"""The compensation plan the web app's payouts use (the `comp_plan` setting)."""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """12 reps over 4 quarters (seed 3), imported into a DuckDB store."""
    folder = tmp_path_factory.mktemp("web-demo")
    generate(DemoSpec(reps=12, quarters=4, seed=3), folder)
    store = folder / "store.duckdb"
    backend = connect(str(store))
    try:
        import_files(raw_duckdb(backend), [folder])
        roster = rep_roster(backend)
    finally:
        backend.disconnect()
    sellers = roster[roster["role"] == "rep"].sort_values("rep_id")
    team = str(sellers["team_id"].iloc[0])
    own = str(sellers[sellers["team_id"] == team]["rep_id"].iloc[0])
    other = str(sellers[sellers["team_id"] != team]["rep_id"].iloc[0])
    plan = folder / "plan.toml"
    plan.write_text(COMP_PLAN)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTAIN_CONFIG", str(folder / "attain.toml"))
        patch.setenv("ATTAIN_WORKFLOW__COMP_PLAN", str(plan))
        settings = load_settings()
    teams = tuple(sorted(str(t) for t in roster["team_id"].dropna().unique()))
    return Demo(folder, store, settings, team, own, other, teams)


@pytest.fixture(scope="session")
def app_db(tmp_path_factory: pytest.TempPathFactory, demo: Demo) -> str:
    """A SQLite app database with the role users."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web-appdb') / 'attain-app.db'}"
    add_role_users(url, demo)
    return url


@pytest.fixture(scope="session")
def client(demo: Demo, app_db: str) -> Iterator[TestClient]:
    """The app over the demo store, running (lifespan started) for the whole session."""
    app = create_app(demo.settings, store=str(demo.store), app_db=app_db)
    with TestClient(app, follow_redirects=False) as running:
        yield running


@pytest.fixture(scope="session")
def users(client: TestClient, app_db: str) -> Users:
    """A signed-in session and an API token per role."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    emails = {role: f"{role}@example.com" for role in ROLES}
    cookies, tokens, csrf = {}, {}, {}
    for role, email in emails.items():
        started = sign_in(engine, email, PASSWORD)
        assert started is not None
        cookies[role], csrf[role] = started
        with session_scope(engine) as session:
            tokens[role] = create_api_token(session, get_user(session, email), "tests")[1]
    return Users(emails, cookies, tokens, csrf)
