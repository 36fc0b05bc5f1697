"""Settings of signing in: `[web]` in attain.toml or ATTAIN_WEB__<NAME>."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

from pydantic import BaseModel, ConfigDict, Field


class OidcIssuer(BaseModel):
    """One OpenID Connect issuer people may sign in with: `[web.oidc.<name>]` (docs/web.md,
    Single sign-on). Only issuers configured here are offered or accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(
        ...,
        description="The issuer URL; its /.well-known/openid-configuration is read, and every "
        "ID token's `iss` must equal it (e.g. https://accounts.google.com).",
    )
    client_id: str = Field(..., description="The client id Attain was registered with there.")
    client_secret_env: str = Field(
        ...,
        description="Name of the environment variable holding the client secret (never the "
        "secret itself).",
    )
    label: str = Field("", description="The button's text, e.g. 'Google Workspace'.")
    scope: str = Field("openid email profile", description="Scopes asked for.")


class WebSettings(BaseModel):
    """The password policy, sign-in throttling, which proxies' forwarded headers to trust, how
    long e-mailed links work, and the single sign-on issuers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_password_length: int = Field(
        15,
        ge=8,
        description="Shortest password accepted when it is the only factor (NIST SP 800-63B-4: "
        "15; 8 is its floor where single sign-on or a second factor also guards the account).",
    )
    throttle_free_failures: int = Field(
        5,
        ge=1,
        description="Wrong passwords for one account from one client address before signing "
        "in there is delayed.",
    )
    throttle_first_delay_seconds: float = Field(
        1.0,
        gt=0,
        description="The first delay after the free failures; each further failure doubles it.",
    )
    throttle_max_delay_seconds: float = Field(
        900.0,
        gt=0,
        description="The longest delay (15 minutes): there is no lockout, only a wait, so no "
        "one can lock a colleague out by guessing their password.",
    )
    trusted_proxies: list[IPv4Network | IPv6Network] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies (e.g. ['127.0.0.1', "
        "'10.0.0.0/8']) whose X-Forwarded-For names the client; requests from anywhere else "
        "are throttled by their own address. Default: none.",
    )
    invitation_hours: float = Field(
        72.0,
        gt=0,
        description="How long an invitation link works; after that the inviter sends a new one.",
    )
    password_reset_minutes: float = Field(
        60.0,
        gt=0,
        description="How long a password-reset link works.",
    )
    oidc: dict[str, OidcIssuer] = Field(
        default_factory=dict,
        description="Single sign-on issuers by a short name used in URLs ([web.oidc.google] "
        "...); none by default, so only passwords are offered.",
    )
