"""Accounts on the web (#22): invitations e-mailed through a real SMTP server and followed,
password changes and resets, API tokens listed and revoked, disabling and enabling.

Each test runs its own app (with [email] pointing at the test's SMTP server) over the demo
store and a fresh app database holding one user per role, so no test disturbs the shared one.
Before this change none of these routes existed (every request here was a 404).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from attain.appdb.database import session_scope
from attain.appdb.users import create_api_token, get_user
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE
from tests.support.smtp import SmtpServer, smtp_server, text_part
from tests.support.web import PASSWORD, Demo, add_role_users

NEW_PASSWORD = "violet kettle marching anchor"


@dataclass
class Running:
    client: TestClient
    smtp: SmtpServer
    tokens: dict[str, str]
    """An API token per role."""


@pytest.fixture
def running(demo: Demo, tmp_path: Path) -> Iterator[Running]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    add_role_users(url, demo)
    with smtp_server() as smtp:
        settings = demo.settings.model_copy(update={"email": smtp.settings})
        app = create_app(settings, store=str(demo.store), app_db=url)
        with TestClient(app, follow_redirects=False) as client:
            engine = client.app.state.engine  # type: ignore[attr-defined]
            tokens = {}
            with session_scope(engine) as session:
                for role in ("admin", "manager", "rep", "marketing"):
                    user = get_user(session, f"{role}@example.com")
                    tokens[role] = create_api_token(session, user, f"{role} script")[1]
            yield Running(client, smtp, tokens)


def bearer(running: Running, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {running.tokens[role]}"}


def sign_in(client: TestClient, email: str, password: str) -> str:
    """The session cookie of a browser sign-in through the login form."""
    client.cookies.clear()
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf.group(1)}
    )
    assert response.status_code == 303, response.text[:300]
    cookie = response.cookies[SESSION_COOKIE]
    client.cookies.clear()
    return cookie


def page(client: TestClient, path: str, cookie: str) -> str:
    response = client.get(path, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert response.status_code == 200, (path, response.status_code)
    return response.text


def link(text: str, kind: str) -> str:
    found = re.search(rf"http://\S+(/{kind}/\S+)", text)
    assert found is not None, text
    return found.group(1)


def test_an_admin_invites_and_the_link_sets_a_password_and_signs_in_once(
    running: Running,
) -> None:
    client = running.client
    body = {"email": "nia@example.com", "name": "Nia New", "role": "marketing"}
    answer = client.post("/api/v1/invitations", json=body, headers=bearer(running, "admin"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["account"]["active"] is False
    (message,) = running.smtp.wait_for(1)
    assert message["To"] == "nia@example.com" and "Ada Admin invited you" in text_part(message)
    path = link(text_part(message), "invite")
    assert path.split("/")[-1] not in answer.text
    assert "Welcome, Nia New" in client.get(path).text
    weak = client.post(path, data={"password": "password"})
    assert weak.status_code == 400 and "at least 15 characters" in weak.text
    accepted = client.post(path, data={"password": NEW_PASSWORD})
    assert accepted.status_code == 303
    cookie = accepted.cookies[SESSION_COOKIE]
    client.cookies.clear()
    me = client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert me.json()["email"] == "nia@example.com"
    assert client.get(path).status_code == 404
    assert client.post(path, data={"password": "another long passphrase"}).status_code == 404
    assert sign_in(client, "nia@example.com", NEW_PASSWORD)


def test_a_manager_invites_only_reps_of_their_own_teams(running: Running, demo: Demo) -> None:
    client = running.client
    roster = client.app.state.services.roster()  # type: ignore[attr-defined]
    free = sorted(
        rep for rep, entry in roster.items() if entry.team_id == demo.team and rep != demo.own_rep
    )
    other = {"email": "x@example.com", "name": "X", "role": "rep", "rep_id": demo.other_rep}
    refused = client.post("/api/v1/invitations", json=other, headers=bearer(running, "manager"))
    assert refused.status_code == 403
    boss = {"email": "b@example.com", "name": "B", "role": "admin"}
    assert (
        client.post("/api/v1/invitations", json=boss, headers=bearer(running, "manager"))
    ).status_code == 403
    assert free, "the manager's team has another rep"
    own = {"email": "r@example.com", "name": "R", "role": "rep", "rep_id": free[0]}
    made = client.post("/api/v1/invitations", json=own, headers=bearer(running, "manager"))
    assert made.status_code == 201, made.text
    assert [m["To"] for m in running.smtp.wait_for(1)] == ["r@example.com"]
    listed = client.get("/api/v1/users", headers=bearer(running, "manager")).json()["items"]
    assert {a["email"] for a in listed} == {"rep@example.com", "r@example.com"}


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    running: Running,
) -> None:
    client = running.client
    here = sign_in(client, "rep@example.com", PASSWORD)
    elsewhere = sign_in(client, "rep@example.com", PASSWORD)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page(client, "/account", here))
    assert csrf is not None
    headers = {"Cookie": f"{SESSION_COOKIE}={here}"}
    wrong = {"csrf_token": csrf.group(1), "current_password": "nope", "new_password": NEW_PASSWORD}
    refused = client.post("/account/password", data=wrong, headers=headers)
    assert refused.status_code == 400 and "current password is wrong" in refused.text
    right = {**wrong, "current_password": PASSWORD}
    changed = client.post("/account/password", data=right, headers=headers)
    assert changed.status_code == 303
    assert "other sessions were signed out" in page(client, changed.headers["location"], here)
    gone = client.get("/account", headers={"Cookie": f"{SESSION_COOKIE}={elsewhere}"})
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert sign_in(client, "rep@example.com", NEW_PASSWORD)


def test_a_reset_says_the_same_for_any_email_and_its_link_works_once(running: Running) -> None:
    client = running.client
    old = sign_in(client, "manager@example.com", PASSWORD)
    known = client.post("/password/forgot", data={"email": "manager@example.com"})
    unknown = client.post("/password/forgot", data={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    (message,) = running.smtp.wait_for(1)
    assert message["To"] == "manager@example.com"
    path = link(text_part(message), "password/reset")
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 303
    assert client.post(path, data={"password": "a different long passphrase"}).status_code == 404
    gone = client.get("/account", headers={"Cookie": f"{SESSION_COOKIE}={old}"})
    assert gone.status_code == 303
    assert sign_in(client, "manager@example.com", NEW_PASSWORD)
    assert len(running.smtp.messages) == 1


def test_tokens_are_listed_and_revoked_by_their_owner_or_an_admin(running: Running) -> None:
    client = running.client
    mine = client.get("/api/v1/tokens", headers=bearer(running, "rep")).json()["items"]
    assert [t["user_email"] for t in mine] == ["rep@example.com"]
    every = client.get("/api/v1/tokens", headers=bearer(running, "admin")).json()["items"]
    assert len(every) == 4
    admins = next(t["id"] for t in every if t["user_email"] == "admin@example.com")
    refused = client.post(f"/api/v1/tokens/{admins}/revoke", headers=bearer(running, "rep"))
    assert refused.status_code == 404
    own = mine[0]["id"]
    revoked = client.post(f"/api/v1/tokens/{own}/revoke", headers=bearer(running, "rep"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(running, "rep")).status_code == 401
    managers = next(t["id"] for t in every if t["user_email"] == "manager@example.com")
    by_admin = client.post(f"/api/v1/tokens/{managers}/revoke", headers=bearer(running, "admin"))
    assert by_admin.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(running, "manager")).status_code == 401


def test_disable_and_enable_and_a_disabled_email_can_be_invited_again(
    running: Running, demo: Demo
) -> None:
    client = running.client
    accounts = client.get("/api/v1/users", headers=bearer(running, "admin")).json()["items"]
    ids = {a["email"]: a["id"] for a in accounts}
    rep, admin = ids["rep@example.com"], ids["admin@example.com"]
    assert (
        client.post(
            f"/api/v1/users/{admin}/disable", headers=bearer(running, "manager")
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/users/{rep}/disable", headers=bearer(running, "rep")).status_code
        == 403
    )
    disabled = client.post(f"/api/v1/users/{rep}/disable", headers=bearer(running, "manager"))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(running, "rep")).status_code == 401
    enabled = client.post(f"/api/v1/users/{rep}/enable", headers=bearer(running, "manager"))
    assert enabled.json()["active"] is True
    assert client.get("/api/v1/me", headers=bearer(running, "rep")).status_code == 200
    client.post(f"/api/v1/users/{rep}/disable", headers=bearer(running, "admin"))
    again = {"email": "rep@example.com", "name": "Rae", "role": "rep", "rep_id": demo.own_rep}
    invited = client.post("/api/v1/invitations", json=again, headers=bearer(running, "admin"))
    assert invited.status_code == 201 and invited.json()["account"]["id"] == rep
    path = link(text_part(running.smtp.wait_for(1)[0]), "invite")
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 303
    assert sign_in(client, "rep@example.com", NEW_PASSWORD)
