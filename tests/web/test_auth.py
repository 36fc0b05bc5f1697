"""Signing in and out, session cookies, CSRF protection and API tokens."""

from __future__ import annotations

from fastapi.testclient import TestClient

from attain.appdb.database import session_scope
from attain.appdb.models import ApiToken
from attain.appdb.users import create_api_token, get_user, revoke_api_token, token_hash
from attain.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.support.web import PASSWORD, Users


def login_form(client: TestClient) -> str:
    """Open the sign-in form and return its CSRF token (also set as a cookie)."""
    client.cookies.clear()
    response = client.get("/login")
    assert response.status_code == 200
    token = client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    assert token and f'value="{token}"' in response.text
    return token


def test_signing_in_sets_an_httponly_samesite_session_cookie_and_redirects(
    client: TestClient,
) -> None:
    token = login_form(client)
    response = client.post(
        "/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/team"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in the test; https adds it
    client.cookies.clear()


def test_the_session_cookie_is_secure_over_https(client: TestClient) -> None:
    https = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    https.get("/login")
    token = https.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    response = https.post(
        "/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token},
    )
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: TestClient,
) -> None:
    token = login_form(client)
    wrong = client.post(
        "/login", data={"email": "admin@example.com", "password": "nope", "csrf_token": token}
    )
    unknown = client.post(
        "/login", data={"email": "who@example.com", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.text
    assert SESSION_COOKIE not in client.cookies


def test_a_login_post_without_the_forms_csrf_token_is_refused(client: TestClient) -> None:
    login_form(client)
    response = client.post(
        "/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": "x"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_next_only_redirects_within_the_site(client: TestClient) -> None:
    token = login_form(client)
    response = client.post(
        "/login",
        data={
            "email": "admin@example.com",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/team"
    client.cookies.clear()


def test_signing_out_needs_the_sessions_csrf_token_and_ends_the_session(
    client: TestClient, users: Users
) -> None:
    token = login_form(client)
    client.post(
        "/login",
        data={"email": "manager@example.com", "password": PASSWORD, "csrf_token": token},
    )
    page = client.get("/team")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]

    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/team").status_code == 200  # still signed in

    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/team").status_code == 303  # the old cookie no longer works
    client.cookies.clear()


def test_htmx_requests_carry_the_csrf_token_in_a_header(client: TestClient) -> None:
    token = login_form(client)
    client.post(
        "/login", data={"email": "rep@example.com", "password": PASSWORD, "csrf_token": token}
    )
    page = client.get("/team")
    csrf = page.text.split('"X-CSRF-Token": "')[1].split('"')[0]
    assert client.post("/logout", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 303
    client.cookies.clear()


def test_an_api_token_authenticates_and_stops_working_when_revoked(
    client: TestClient, users: Users
) -> None:
    me = client.get("/api/v1/me", headers=users.api("manager"))
    assert me.status_code == 200
    assert me.json()["role"] == "manager"

    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer attain_made_up"})
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.headers["www-authenticate"] == "Bearer"

    # A token of its own: revoking the session-wide one would turn every later test's
    # marketing requests into 401s (the access matrix, when it runs after this file).
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        secret = create_api_token(session, get_user(session, users.emails["marketing"]), "revoke")[
            1
        ]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with session_scope(engine) as session:
        token = session.query(ApiToken).filter_by(token_hash=token_hash(secret)).one()
        revoke_api_token(session, token)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_api_accepts_the_browser_session_for_csv_links(
    client: TestClient, users: Users
) -> None:
    response = client.get("/api/v1/team-overview?format=csv", headers=users.page("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("rep_id,")
