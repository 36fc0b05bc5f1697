"""Local HTTP servers answering the Salesforce and HubSpot endpoints a sync calls.

Responses are shaped after the vendors' published documentation: Salesforce REST API
(query, queryAll and their `nextRecordsUrl` pages, sObject describe, errors as a list of
`{errorCode, message}`, the `Sforce-Limit-Info` header) and HubSpot's CRM v3/v4 API (objects
with `paging.next.after`, search, owners, pipelines, association batch reads, 429 with
`Retry-After`). The vendors' own Python clients talk to them; nothing of Attain's is used here.
The Salesforce server speaks HTTPS (simple-salesforce builds https:// URLs) with a certificate
made for 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Handler = Callable[["Request"], tuple[int, Any, dict[str, str]]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1, written to `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def serve(handler: Handler, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Run `handler` behind a local server in a thread; yields its base URL."""

    class _Http(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            request = Request(
                self.command, url.path, parse_qs(url.query), body, dict(self.headers.items())
            )
            status, payload, headers = handler(request)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for header, value in headers.items():
                self.send_header(header, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Http)
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# Salesforce


def sf_time(text: str) -> dt.datetime:
    """A Salesforce dateTime, as records hold it (`...000+0000`) or SOQL writes it (`...Z`)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeSalesforce:
    """An org: records per object (each with IsDeleted and SystemModstamp where the object has
    them), the fields each object has (its describe), and faults to inject."""

    fields: dict[str, list[str]]
    records: dict[str, list[dict[str, Any]]]
    token: str = "00Dxx0000001gPL!session"
    page_size: int = 2
    api_used: int = 100
    api_total: int = 15000
    refuse_with_limit: int = 0
    """The next this-many queries are refused with REQUEST_LIMIT_EXCEEDED."""
    fail_request: int | None = None
    """The request with this number (1-based, from now) answers 500."""
    log: list[str] = field(default_factory=list)
    _pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __call__(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self.log.append(
            request.path + ("?" + request.query["q"][0] if "q" in request.query else "")
        )
        self.api_used += 1
        limits = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_total}"}
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return (
                401,
                [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}],
                {},
            )
        if self.fail_request is not None:
            self.fail_request -= 1
            if self.fail_request == 0:
                self.fail_request = None
                return (
                    500,
                    [
                        {
                            "errorCode": "UNKNOWN_EXCEPTION",
                            "message": "An unexpected error occurred.",
                        }
                    ],
                    {},
                )
        match = re.fullmatch(r"/services/data/v[\d.]+/(\w+)/?(.*)", request.path)
        assert match, request.path
        resource, rest = match.groups()
        if resource == "sobjects":
            return self._describe(rest.split("/")[0], limits)
        if self.refuse_with_limit:
            self.refuse_with_limit -= 1
            return (
                403,
                [
                    {
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                        "message": "TotalRequests Limit exceeded.",
                    }
                ],
                limits,
            )
        if rest:
            return 200, self._page(rest.strip("/")), limits
        rows = self._run(request.query["q"][0], include_deleted=resource == "queryAll")
        locator = f"01gD0000002HU6KIAW{len(self._pages)}"
        self._pages[locator] = rows
        return 200, self._page(f"{locator}-0", resource), limits

    def _describe(self, name: str, limits: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if name not in self.fields:
            return (
                404,
                [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
                limits,
            )
        described = [{"name": field_name, "type": "string"} for field_name in self.fields[name]]
        return 200, {"name": name, "queryable": True, "fields": described}, limits

    def _page(self, cursor: str, resource: str = "query") -> dict[str, Any]:
        locator, start = cursor.rsplit("-", 1)
        rows, offset = self._pages[locator], int(start)
        end = offset + self.page_size
        page: dict[str, Any] = {
            "totalSize": len(rows),
            "done": end >= len(rows),
            "records": rows[offset:end],
        }
        if end < len(rows):
            page["nextRecordsUrl"] = f"/services/data/v62.0/{resource}/{locator}-{end}"
        return page

    def _run(self, soql: str, include_deleted: bool) -> list[dict[str, Any]]:
        """A SOQL query of the shapes a sync sends: fields, one object, AND-ed conditions."""
        match = re.fullmatch(r"SELECT (.+) FROM (\w+)(?: WHERE (.+))?", soql)
        assert match, soql
        fields, name, where = match.groups()
        names = [name.strip() for name in fields.split(",")]
        for field_name in names:
            assert field_name in self.fields[name], f"{name}.{field_name} does not exist"
        rows = [
            record
            for record in self.records.get(name, [])
            if (include_deleted or not record.get("IsDeleted")) and _holds(record, where)
        ]
        return [
            {
                "attributes": {
                    "type": name,
                    "url": f"/services/data/v62.0/sobjects/{name}/{row['Id']}",
                }
            }
            | {field_name: row.get(field_name) for field_name in names}
            for row in rows
        ]


def _holds(record: dict[str, Any], where: str | None) -> bool:
    for condition in (where or "").split(" AND ") if where else []:
        name, operator, value = re.fullmatch(r"(\w+) (=|>) (.+)", condition).groups()  # type: ignore[union-attr]
        stored = record.get(name)
        if operator == ">":
            if stored is None or sf_time(stored) <= sf_time(value):
                return False
        elif value in ("true", "false"):
            if bool(stored) != (value == "true"):
                return False
        elif stored != value.strip("'"):
            return False
    return True
