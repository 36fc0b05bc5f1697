"""Sending e-mail through the organisation's SMTP server (`[email]` in attain.toml).

One place every message goes through: account invitations and password resets (attain.appdb)
and scheduled digests and alerts (attain.workflow) build an `EmailMessage` with
`compose(...)` and hand it to `send(...)`. The password never sits in the TOML file: it is read
from the environment variable that `password_env` names.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from attain.errors import AttainError


class MailError(AttainError):
    """E-mail is not configured, or the SMTP server refused the message."""


class MailSettings(BaseModel):
    """How Attain reaches an SMTP server: `[email]` in attain.toml or ATTAIN_EMAIL__<NAME>."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("", description="SMTP server host name; empty means e-mail is off.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS).")
    tls: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        description="'starttls' upgrades the connection, 'ssl' connects over TLS (port 465), "
        "'none' only for a relay on the same machine or in tests.",
    )
    user: str = Field("", description="SMTP user name; empty sends without signing in.")
    password_env: str = Field(
        "ATTAIN_SMTP_PASSWORD",
        description="Name of the environment variable holding the SMTP password (never the "
        "password itself).",
    )
    sender: str = Field(
        "attain@localhost", description="The From address, e.g. 'Attain <attain@example.com>'."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="The web app's address as users reach it; links in e-mails start with it.",
    )
    timeout_seconds: float = Field(30.0, gt=0, description="Give up on the server after this.")

    @property
    def enabled(self) -> bool:
        """Whether a server is configured at all."""
        return bool(self.host)


@dataclass(frozen=True)
class InlineImage:
    """A picture (e.g. a chart as PNG) shown inside the HTML part as `cid:<cid>`."""

    cid: str
    png: bytes


def compose(
    settings: MailSettings,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    images: Sequence[InlineImage] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A message with a plain-text part and, when given, an HTML part with its inline images."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="attain")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
        html_part = message.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        for image in images:
            html_part.add_related(image.png, "image", "png", cid=f"<{image.cid}>")
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand `message` to the SMTP server, or raise MailError saying why it could not."""
    if not settings.enabled:
        raise MailError("e-mail is not configured: set [email] host in attain.toml")
    password = os.environ.get(settings.password_env, "")
    try:
        with _connect(settings) as smtp:
            if settings.user:
                smtp.login(settings.user, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(
            f"could not send e-mail through {settings.host}:{settings.port}: {error}"
        ) from error


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout_seconds,
            context=ssl.create_default_context(),
        )
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    if settings.tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp
