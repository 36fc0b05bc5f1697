"""A small demo organisation in a DuckDB store, an app database with one user per role, and
one running app shared by the web tests (so core results are computed once per run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from attain.appdb.database import session_scope
from attain.appdb.users import create_api_token, get_user
from attain.web.app import create_app
from attain.web.auth import sign_in
from tests.support import web as web_fixtures
from tests.support.web import PASSWORD, Demo, Users

# The fixtures shared with the other web suite, registered for this folder.
demo = web_fixtures.demo
app_db = web_fixtures.app_db

ROLES = ("admin", "manager", "rep", "marketing")


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
