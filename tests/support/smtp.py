"""A real SMTP server in the test process (aiosmtpd) that keeps what it receives.

`smtp_server()` starts one on a free local port and yields it; `server.settings` are the
`MailSettings` that reach it, `server.messages` the parsed messages received so far, and
`server.wait_for(n)` waits until n have arrived.
"""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from attain.mail import MailSettings


class _Keep:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A running in-process SMTP server and the messages it has received."""

    def __init__(self, controller: Controller, handler: _Keep, port: int) -> None:
        self._controller = controller
        self._handler = handler
        self.settings = MailSettings(
            host="127.0.0.1", port=port, tls="none", sender="Attain <attain@test.example>"
        )

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, parsed."""
        return self._handler.messages

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages, once at least `count` have arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} e-mails came"
            time.sleep(0.05)
        return self.messages


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 for the duration of the block."""
    handler = _Keep()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(controller, handler, port)
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    """The plain-text body of a received message."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the message has no plain-text part"
    return str(body.get_content())


def html_part(message: EmailMessage) -> str:
    """The HTML body of a received message."""
    body = message.get_body(preferencelist=("html",))
    assert body is not None, "the message has no HTML part"
    return str(body.get_content())
