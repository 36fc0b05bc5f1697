"""Sign-in throttling over HTTP (#22 part 3): a growing delay per account and client address,
429 with Retry-After once it applies, no lockout, X-Forwarded-For only from a trusted proxy,
an admin's unlock, and every failure and throttle in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from attain.appdb.database import session_scope
from attain.appdb.models import AuditEntry, SignInThrottle, utcnow
from attain.appdb.settings import WebSettings
from attain.appdb.users import add_user
from attain.cli.main import app as cli
from attain.web.app import create_app
from attain.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, sign_in
from tests.support.web import Demo

EMAIL, PASSWORD = "guarded@example.com", "violet tractor harbour lantern"
PROXY = "10.9.0.1"


@pytest.fixture
def app(demo: Demo, tmp_path: Path) -> Iterator[FastAPI]:
    """The app with its own app database, one user, and a trusted proxy at PROXY."""
    web = WebSettings(trusted_proxies=[PROXY])  # type: ignore[list-item]
    settings = demo.settings.model_copy(update={"web": web})
    app = create_app(settings, store=str(demo.store), app_db=f"sqlite:///{tmp_path}/app.db")
    with TestClient(app):
        with session_scope(app.state.engine) as session:
            add_user(session, EMAIL, "Guarded", "admin", PASSWORD)
        yield app


def from_address(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000), follow_redirects=False)


def attempt(client: TestClient, password: str, forwarded: str | None = None) -> int:
    headers = {"Cookie": f"{LOGIN_CSRF_COOKIE}=tok"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    form = {"email": EMAIL, "password": password, "csrf_token": "tok", "next": "/team"}
    answer = client.post("/login", data=form, headers=headers)
    if answer.status_code == 429:
        assert int(answer.headers["Retry-After"]) >= 1
        assert "try again in" in answer.text
    return answer.status_code


def audit_count(app: FastAPI, action: str) -> int:
    with session_scope(app.state.engine) as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return int(session.scalar(query) or 0)


def test_300_wrong_passwords_are_answered_429_and_logged(app: FastAPI) -> None:
    attacker = from_address(app, "203.0.113.7")
    answers = [attempt(attacker, f"wrong guess number {n}") for n in range(300)]
    assert answers[:6] == [401] * 5 + [429]
    # A guess gets through only when a delay (1 s, 2 s, 4 s …) has passed: a handful in the
    # seconds the test takes, against 300 without throttling.
    failed = answers.count(401)
    assert 5 <= failed <= 10 and answers.count(429) == 300 - failed
    # While the delay runs, even the right password is not checked.
    assert attempt(attacker, PASSWORD) == 429
    assert audit_count(app, "sign_in_failed") == failed
    assert audit_count(app, "sign_in_throttled") == 300 - failed + 1


def test_another_address_is_not_delayed_by_the_first_ones_failures(app: FastAPI) -> None:
    attacker = from_address(app, "203.0.113.7")
    for n in range(8):
        attempt(attacker, f"wrong guess number {n}")
    assert attempt(attacker, PASSWORD) == 429
    assert attempt(from_address(app, "198.51.100.2"), PASSWORD) == 303


def test_the_delay_grows_and_once_past_the_right_password_works(app: FastAPI) -> None:
    attacker = from_address(app, "203.0.113.7")
    delays = []
    for n in range(8):
        assert attempt(attacker, f"wrong guess number {n}") == 401
        with session_scope(app.state.engine) as session:
            row = session.get(SignInThrottle, (EMAIL, "203.0.113.7"))
            assert row is not None
            if row.next_allowed_at is not None:
                delays.append(round((row.next_allowed_at - row.last_failure_at).total_seconds()))
                row.next_allowed_at = utcnow() - timedelta(seconds=1)  # the delay has passed
    assert delays == [1, 2, 4, 8]
    assert attempt(attacker, PASSWORD) == 303
    with session_scope(app.state.engine) as session:
        assert session.get(SignInThrottle, (EMAIL, "203.0.113.7")) is None


def test_the_delay_stops_at_the_maximum(app: FastAPI) -> None:
    attacker = from_address(app, "203.0.113.7")
    for n in range(20):
        attempt(attacker, f"wrong guess number {n}")
        with session_scope(app.state.engine) as session:
            row = session.get(SignInThrottle, (EMAIL, "203.0.113.7"))
            assert row is not None
            if row.next_allowed_at is not None:
                longest = (row.next_allowed_at - row.last_failure_at).total_seconds()
                row.next_allowed_at = utcnow() - timedelta(seconds=1)
    assert longest == 900


def throttled_addresses(app: FastAPI) -> set[str]:
    with session_scope(app.state.engine) as session:
        return set(session.scalars(select(SignInThrottle.client)))


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(app: FastAPI) -> None:
    attempt(from_address(app, "203.0.113.7"), "wrong one", forwarded="192.0.2.50")
    assert throttled_addresses(app) == {"203.0.113.7"}
    proxy = from_address(app, PROXY)
    # A client may write anything at the far end of the header: the proxy's side counts.
    attempt(proxy, "wrong one", forwarded="192.0.2.99, 198.51.100.4")
    assert throttled_addresses(app) == {"203.0.113.7", "198.51.100.4"}
    for n in range(6):
        attempt(proxy, f"wrong guess number {n}", forwarded="198.51.100.4")
    assert attempt(proxy, PASSWORD, forwarded="198.51.100.4") == 429
    assert attempt(proxy, PASSWORD, forwarded="198.51.100.5") == 303


def test_an_admin_clears_a_delay_from_the_command_line(app: FastAPI) -> None:
    attacker = from_address(app, "203.0.113.7")
    for n in range(7):
        attempt(attacker, f"wrong guess number {n}")
    assert attempt(attacker, PASSWORD) == 429
    url = app.state.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["users", "unlock", EMAIL, "--app-db", url])
    assert result.exit_code == 0, result.output
    assert "at 1 address(es)" in result.output
    assert attempt(attacker, PASSWORD) == 303
    assert audit_count(app, "sign_in_unlocked") == 1


def test_behind_a_trusted_proxy_the_origin_is_checked_against_x_forwarded_host(
    app: FastAPI,
) -> None:
    def sign_out_from(address: str) -> int:
        started = sign_in(app.state.engine, EMAIL, PASSWORD)
        assert started is not None
        headers = {
            "Cookie": f"{SESSION_COOKIE}={started[0]}",
            "X-CSRF-Token": started[1],
            "Host": "127.0.0.1:8000",  # a proxy that passes its own upstream as Host
            "X-Forwarded-Host": "attain.example.com",
            "Origin": "https://attain.example.com",
        }
        return from_address(app, address).post("/logout", headers=headers).status_code

    assert sign_out_from(PROXY) == 303
    assert sign_out_from("203.0.113.7") == 403


def test_counts_untouched_for_a_day_are_forgotten(app: FastAPI) -> None:
    attempt(from_address(app, "203.0.113.7"), "wrong one")
    with session_scope(app.state.engine) as session:
        row = session.get(SignInThrottle, (EMAIL, "203.0.113.7"))
        assert row is not None
        row.last_failure_at = utcnow() - timedelta(days=2)
    attempt(from_address(app, "198.51.100.2"), "wrong one")
    assert throttled_addresses(app) == {"198.51.100.2"}
