"""A real HTTP server in the test process that answers chat webhooks as Slack and Microsoft
Teams do, and keeps what it receives.

`webhook_server()` starts one on a free local port and yields it. `server.url("slack")` is an
incoming-webhook address answering 200 `ok` (Slack's documented reply); `server.url("teams")` a
Workflows webhook answering 202 Accepted. `server.throttle(n, retry_after)` makes the next `n`
requests answer 429 Too Many Requests with that Retry-After, as both services do when a
webhook is sent too fast. `server.received` holds every request (path, JSON body, time).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request the server got, and what it answered."""

    path: str
    body: Any
    at: float
    status: int


class WebhookServer:
    """The running server, its received requests and the throttling it will apply."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.received: list[Received] = []
        self._throttled = 0
        self._retry_after = "1"
        self._lock = threading.Lock()

    def url(self, kind: str) -> str:
        """A webhook address ('slack' or 'teams'; any other path answers 404)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{kind}/T000/B000/secret"

    def throttle(self, count: int, retry_after: str = "1") -> None:
        """Answer the next `count` requests with 429 and this Retry-After."""
        with self._lock:
            self._throttled, self._retry_after = count, retry_after

    def delivered(self, kind: str) -> list[Any]:
        """The bodies accepted (2xx) on the `kind` webhook, in order."""
        return [r.body for r in self.received if r.path.startswith(f"/{kind}/") and r.status < 300]

    def answer(self, path: str, body: Any) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            throttled = self._throttled > 0
            self._throttled -= 1 if throttled else 0
            retry_after = self._retry_after
        if throttled:
            status, headers, text = 429, {"Retry-After": retry_after}, b"rate_limited"
        elif path.startswith("/slack/"):
            status, headers, text = 200, {"Content-Type": "text/plain"}, b"ok"
        elif path.startswith("/teams/"):
            status, headers, text = 202, {}, b""
        else:
            status, headers, text = 404, {}, b"no_service"
        self.received.append(Received(path, body, time.monotonic(), status))
        return status, headers, text


def _handler(owner: list[WebhookServer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            status, headers, text = owner[0].answer(self.path, body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    return Handler


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    """A Slack- and Teams-like webhook receiver on 127.0.0.1 for the duration of the block."""
    owner: list[WebhookServer] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(owner))
    owner.append(WebhookServer(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield owner[0]
    finally:
        server.shutdown()
        server.server_close()
