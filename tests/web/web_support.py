"""Types and helpers shared by the web tests (conftest.py builds the fixtures)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appdb_support import app_engine
from starlette.routing import Mount, Route

from attain.appdb.database import session_scope
from attain.appdb.users import add_user
from attain.config import Settings
from attain.web.auth import SESSION_COOKIE

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
