"""Single sign-on with OpenID Connect (authorization code flow with PKCE) for the issuers in
`[web.oidc.<name>]`; docs/web.md, Single sign-on.

Authlib's OAuth 2 client builds the authorization URL and exchanges the code; the ID token is
verified with joserfc (Authlib's JOSE library) against the issuer's published keys: its
signature, `iss` equal to the configured issuer, `aud` our client id, the `nonce` we sent, and
its expiry. What identifies a person is (`iss`, `sub`), never the `email` claim, which some
issuers let users change. The state, nonce and PKCE verifier of a sign-in under way travel in a
short-lived HttpOnly cookie, so any worker can finish it.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from attain.appdb.settings import OidcIssuer
from attain.errors import InputError

FLOW_COOKIE = "attain_sso"
FLOW_SECONDS = 600
"""How long a sign-in at the issuer may take before its state is forgotten."""
DISCOVERY_SECONDS = 3600.0
"""How long an issuer's discovery document and keys are reused before being read again."""
HTTP_TIMEOUT = 10.0

_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


class SsoFailed(InputError):
    """The issuer's answer could not be trusted or used; the message says why."""


@dataclass(frozen=True)
class Identity:
    """Who the issuer vouched for: its `iss` and the stable `sub` it gives that person."""

    issuer: str
    subject: str
    email: str | None


@dataclass(frozen=True)
class Flow:
    """A sign-in under way: what the callback checks, and what it is for (`purpose`: 'sign_in',
    'link' for a signed-in user, or 'invite' with the invitation's `invite` secret)."""

    name: str
    state: str
    nonce: str
    verifier: str
    purpose: str
    invite: str = ""

    def cookie(self) -> str:
        """The flow as the cookie's value."""
        return json.dumps(self.__dict__, separators=(",", ":"))

    @classmethod
    def from_cookie(cls, value: str | None) -> Flow | None:
        """The flow a cookie holds, or None for a missing or malformed one."""
        try:
            data = json.loads(value or "")
            return cls(**{key: str(data[key]) for key in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError):
            return None


def discovery(issuer: OidcIssuer) -> dict[str, Any]:
    """The issuer's /.well-known/openid-configuration (cached for `DISCOVERY_SECONDS`)."""
    cached = _discovered.get(issuer.issuer)
    if cached is not None and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    url = issuer.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        document = httpx.get(url, timeout=HTTP_TIMEOUT).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as error:
        raise SsoFailed(f"could not read {url}: {error}") from error
    if document.get("issuer") != issuer.issuer:
        raise SsoFailed(f"{url} names issuer {document.get('issuer')!r}, not {issuer.issuer!r}")
    _discovered[issuer.issuer] = (time.monotonic(), document)
    return dict(document)


def _client(issuer: OidcIssuer, redirect_uri: str) -> OAuth2Client:
    return OAuth2Client(
        client_id=issuer.client_id,
        client_secret=os.environ.get(issuer.client_secret_env, ""),
        scope=issuer.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT,
    )


def start(
    name: str, issuer: OidcIssuer, redirect_uri: str, purpose: str, invite: str = ""
) -> tuple[str, Flow]:
    """The issuer's authorization URL to send the browser to, and the flow to keep."""
    endpoint = discovery(issuer)["authorization_endpoint"]
    nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    with _client(issuer, redirect_uri) as client:
        url, state = client.create_authorization_url(endpoint, nonce=nonce, code_verifier=verifier)
    return url, Flow(name, state, nonce, verifier, purpose, invite)


def finish(issuer: OidcIssuer, flow: Flow, redirect_uri: str, state: str, code: str) -> Identity:
    """Exchange the callback's `code` and verify the ID token; SsoFailed otherwise."""
    if not secrets.compare_digest(state, flow.state):
        raise SsoFailed("the sign-in's state does not match; start again")
    document = discovery(issuer)
    try:
        with _client(issuer, redirect_uri) as client:
            token = client.fetch_token(
                document["token_endpoint"], code=code, code_verifier=flow.verifier
            )
        keys = httpx.get(document["jwks_uri"], timeout=HTTP_TIMEOUT).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as error:
        raise SsoFailed(f"the issuer did not complete the sign-in: {error}") from error
    except Exception as error:  # Authlib's OAuth errors have no common public base
        raise SsoFailed(f"the issuer refused the sign-in: {error}") from error
    return verified_identity(issuer, str(token.get("id_token", "")), keys, flow.nonce)


def verified_identity(
    issuer: OidcIssuer, id_token: str, keys: dict[str, Any], nonce: str
) -> Identity:
    """The identity of a signed ID token after every check OpenID Connect Core 3.1.3.7 asks
    of a client: signature by one of the issuer's keys, issuer, audience, nonce, expiry."""
    try:
        decoded = jwt.decode(id_token, KeySet.import_key_set(keys))  # type: ignore[arg-type]
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer.issuer},
            aud={"essential": True, "value": issuer.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as error:
        raise SsoFailed(f"the ID token could not be trusted: {error}") from error
    claims = decoded.claims
    email = claims.get("email")
    return Identity(str(claims["iss"]), str(claims["sub"]), str(email) if email else None)
