"""Single sign-on with OpenID Connect (#22) against a real OpenID provider run in this process
(oidc-provider-mock: discovery, JWKS, authorize and token endpoints over HTTP, ID tokens signed
with its own RSA key). The provider's authorize form is posted the way a person would pick an
account there, and its redirect is followed back into the app.

Before this change there was no /sso route and no `[web.oidc]` setting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from oidc_provider_mock import run_server_in_thread

from attain.appdb import accounts
from attain.appdb.database import session_scope
from attain.appdb.settings import OidcIssuer
from attain.web import sso
from attain.web.app import create_app
from attain.web.auth import SESSION_COOKIE
from tests.support.web import PASSWORD, Demo, add_role_users


@dataclass
class Running:
    client: TestClient
    issuer: str


@pytest.fixture
def running(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    monkeypatch.setenv("ATTAIN_TEST_OIDC_SECRET", "s3cret")
    # The provider speaks plain HTTP on loopback; Authlib refuses that unless told.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    add_role_users(url, demo)
    with run_server_in_thread() as server:
        issuer = f"http://localhost:{server.server_port}"
        configured = OidcIssuer(
            issuer=issuer,
            client_id="attain",
            client_secret_env="ATTAIN_TEST_OIDC_SECRET",
            label="Test ID",
        )
        web = demo.settings.web.model_copy(update={"oidc": {"test": configured}})
        app = create_app(demo.settings.model_copy(update={"web": web}), str(demo.store), url)
        with TestClient(app, follow_redirects=False) as client:
            yield Running(client, issuer)


def through_provider(running: Running, start: str, subject: str) -> httpx.Response:
    """Start at `start`, choose `subject` at the provider, and come back: the app's answer."""
    to_provider = running.client.get(start)
    assert to_provider.status_code == 303, to_provider.text[:300]
    chosen = httpx.post(to_provider.headers["location"], data={"sub": subject})
    assert chosen.status_code == 302, chosen.text[:300]
    back = httpx.URL(chosen.headers["location"])
    assert back.path == "/sso/test/callback"
    return running.client.get(f"{back.path}?{back.query.decode()}")


def me(running: Running, response: httpx.Response) -> str:
    cookie = response.cookies[SESSION_COOKIE]
    running.client.cookies.clear()
    answer = running.client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    email: str = answer.json()["email"]
    return email


def test_an_invited_user_signs_in_with_the_issuer_and_is_linked_by_subject(
    running: Running,
) -> None:
    engine = running.client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        made = accounts.invite(
            session, None, "sso@example.com", "Sam", "marketing", timedelta(days=1)
        )
    assert "Test ID" in running.client.get(f"/invite/{made.secret}").text
    accepted = through_provider(running, f"/sso/test?invite={made.secret}", "sam-at-idp")
    assert accepted.status_code == 303, accepted.text[:300]
    assert me(running, accepted) == "sso@example.com"
    again = through_provider(running, "/sso/test", "sam-at-idp")
    assert again.status_code == 303 and me(running, again) == "sso@example.com"
    with session_scope(engine) as session:
        (identity,) = accounts.identities_of(session, made.user.id)
        assert (identity.issuer, identity.subject) == (running.issuer, "sam-at-idp")


def test_an_email_claim_alone_never_signs_anyone_in(running: Running) -> None:
    # The provider names this person's e-mail admin@example.com, but no account is linked to
    # their (issuer, subject): refused.
    answer = through_provider(running, "/sso/test", "admin@example.com")
    assert answer.status_code == 400 and "no Attain account is linked" in answer.text
    assert SESSION_COOKIE not in answer.cookies


def test_a_signed_in_user_links_the_issuer_then_signs_in_with_it(running: Running) -> None:
    client = running.client
    form = client.get("/login")
    csrf = form.cookies.get("attain_login_csrf") or client.cookies.get("attain_login_csrf")
    signed = client.post(
        "/login",
        data={"email": "rep@example.com", "password": PASSWORD, "csrf_token": csrf or ""},
    )
    assert signed.status_code == 303
    linked = through_provider(running, "/sso/test?link=true", "rae-at-idp")
    assert linked.status_code == 303 and linked.headers["location"] == "/account#sso"
    client.cookies.clear()
    assert me(running, through_provider(running, "/sso/test", "rae-at-idp")) == "rep@example.com"


def test_a_callback_with_another_state_is_refused(running: Running) -> None:
    to_provider = running.client.get("/sso/test")
    assert to_provider.status_code == 303
    answer = running.client.get("/sso/test/callback?state=forged&code=x")
    assert answer.status_code == 400 and "state does not match" in answer.text


def _signed(key: RSAKey, **claims: object) -> str:
    now = int(time.time())
    body = {"iss": "https://id.example", "aud": "attain", "sub": "s1", "nonce": "n1"}
    body.update({"iat": now, "exp": now + 300})
    body.update(claims)
    return jwt.encode({"alg": "RS256", "kid": key.kid}, body, key)


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"nonce": "other"}, "nonce"),
        ({"aud": "someone-else"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"exp": int(time.time()) - 3600}, "expired"),
    ],
)
def test_an_id_token_is_checked_before_it_is_believed(claims: dict[str, object], why: str) -> None:
    issuer = OidcIssuer(issuer="https://id.example", client_id="attain", client_secret_env="X")
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    keys = {"keys": [key.as_dict(private=False)]}
    good = sso.verified_identity(issuer, _signed(key), keys, "n1")
    assert (good.issuer, good.subject) == ("https://id.example", "s1")
    with pytest.raises(sso.SsoFailed):
        sso.verified_identity(issuer, _signed(key, **claims), keys, "n1")
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(sso.SsoFailed):
        sso.verified_identity(issuer, _signed(stranger), keys, "n1")
