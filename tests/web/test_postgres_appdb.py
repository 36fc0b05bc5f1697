"""The web app on a PostgreSQL app database: signing in, a page, and an API token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from attain.appdb.database import session_scope
from attain.appdb.users import create_api_token, get_user
from attain.web.app import create_app
from attain.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.support.appdb import PostgresUnavailable, fresh_database, postgres_url
from tests.support.web import PASSWORD, Demo, add_role_users

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_client(demo: Demo) -> Iterator[TestClient]:
    """The app over the demo store with its app database on PostgreSQL."""
    try:
        server = postgres_url()
    except PostgresUnavailable as error:
        pytest.fail(f"no PostgreSQL for the tests: {error}", pytrace=False)
    with fresh_database(server, "web") as url:
        add_role_users(url, demo)
        app = create_app(demo.settings, store=str(demo.store), app_db=url)
        with TestClient(app, follow_redirects=False) as client:
            yield client


def test_signing_in_and_opening_the_team_page_on_postgresql(pg_client: TestClient) -> None:
    pg_client.get("/login")
    token = pg_client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    response = pg_client.post(
        "/login",
        data={"email": "manager@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert SESSION_COOKIE in pg_client.cookies
    page = pg_client.get("/team?as_of=2026-11-13")
    assert page.status_code == 200
    assert 'data-testid="reps-table"' in page.text


def test_an_api_token_works_on_postgresql(pg_client: TestClient) -> None:
    engine = pg_client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        _, secret = create_api_token(session, get_user(session, "rep@example.com"), "pg")
    response = pg_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json()["role"] == "rep"
