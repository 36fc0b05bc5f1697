"""The web tests' demo organisation and role users, shared with the browser tests: both
folders' conftest.py import the `demo` and `app_db` fixtures from here, so the two suites
build the same organisation the same way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Mount, Route

from attain.appdb.database import session_scope
from attain.appdb.users import add_user
from attain.config import Settings, load_settings
from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.metrics.targets import rep_roster
from attain.store import connect, raw_duckdb
from attain.web.auth import SESSION_COOKIE
from tests.support.appdb import app_engine

PASSWORD = "correct horse battery"
"""Every test user's password."""


def route_keys(routes: Iterable[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD and static files left out.

    FastAPI 0.16x keeps an included router as one entry holding the router it includes
    (`original_router`, with the include's prefix); those are walked too.
    """
    keys = set()
    for route in routes:
        if isinstance(route, Mount):
            continue
        included = getattr(route, "original_router", None)
        if included is not None:
            extra = route.include_context.prefix
            keys |= route_keys(included.routes, prefix + extra)
            continue
        assert isinstance(route, Route), route
        for method in route.methods or ():
            if method != "HEAD":
                keys.add((method, prefix + route.path))
    return keys


@dataclass(frozen=True)
class Demo:
    """The demo store, its settings, and the reps and teams the test users relate to."""

    folder: Path
    store: Path
    settings: Settings
    team: str
    """The team the manager manages and the rep user belongs to."""
    own_rep: str
    """The rep user's CRM rep (in `team`)."""
    other_rep: str
    """A selling rep in another team."""
    teams: tuple[str, ...]


@dataclass(frozen=True)
class Users:
    """Per role: the e-mail, a session cookie token and an API token secret."""

    emails: dict[str, str]
    cookies: dict[str, str]
    tokens: dict[str, str]
    csrf: dict[str, str]
    """Per role: the CSRF token of the signed-in session."""

    def page(self, role: str | None) -> dict[str, str]:
        """Headers of a browser signed in as `role` (none for None)."""
        return {"Cookie": f"{SESSION_COOKIE}={self.cookies[role]}"} if role else {}

    def api(self, role: str | None) -> dict[str, str]:
        """Headers of a script with `role`'s API token (none for None)."""
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}


def add_role_users(url: str, demo: Demo) -> None:
    """One active user per role in the app database at `url`."""
    with app_engine(url) as engine, session_scope(engine) as session:
        add_user(session, "admin@example.com", "Ada Admin", "admin", PASSWORD)
        add_user(
            session, "manager@example.com", "Max Manager", "manager", PASSWORD, teams=[demo.team]
        )
        add_user(session, "rep@example.com", "Rae Rep", "rep", PASSWORD, rep_id=demo.own_rep)
        add_user(session, "marketing@example.com", "Mo Marketing", "marketing", PASSWORD)


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
