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

import csv
import datetime as dt
import io
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

import jwt
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
            form = self.headers.get("Content-Type", "").startswith("application/x-www-form")
            body: Any = json.loads(raw) if raw and not form else None
            if form:  # an OAuth token request
                body = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
            request = Request(
                self.command, url.path, parse_qs(url.query), body, dict(self.headers.items())
            )
            status, payload, headers = handler(request)
            text = isinstance(payload, str)  # a Bulk API job's CSV results
            data = payload.encode() if text else json.dumps(payload).encode()
            self.send_response(status)
            kind = "text/csv" if text else "application/json;charset=UTF-8"
            self.send_header("Content-Type", kind)
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
    url: str = ""
    """Where the server answers (the instance_url a sign-in returns)."""
    connected_app: tuple[str, str, bytes] | None = None
    """(consumer key, username, public key PEM) the JWT bearer flow accepts."""
    _pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __call__(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self.log.append(
            request.path + ("?" + request.query["q"][0] if "q" in request.query else "")
        )
        self.api_used += 1
        limits = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_total}"}
        if request.path == "/services/oauth2/token":
            return self._token(request.body)
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
        if resource == "jobs":
            return self._bulk(request, rest)
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

    def _token(self, form: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """OAuth 2.0 JWT bearer flow: an RS256 assertion from the connected app's consumer key
        (iss) for its user (sub), for the login audience, signed with the app's key."""
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        assert self.connected_app is not None
        consumer_key, username, public_key = self.connected_app
        try:
            claims = jwt.decode(
                form["assertion"],
                public_key,
                algorithms=["RS256"],
                audience="https://login.salesforce.com",
                issuer=consumer_key,
            )
        except jwt.InvalidTokenError as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}, {}
        if claims["sub"] != username:
            return (
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "user hasn't approved this consumer",
                },
                {},
            )
        answer = {
            "access_token": self.token,
            "instance_url": self.url,
            "token_type": "Bearer",
            "scope": "api",
            "id": f"https://login.salesforce.com/id/00Dxx0000001gPL/{username}",
        }
        return 200, answer, {}

    def _bulk(self, request: Request, rest: str) -> tuple[int, Any, dict[str, str]]:
        """Bulk API 2.0 query jobs: create (POST jobs/query), state (GET jobs/query/<id>, done
        at once), results (GET .../results: CSV pages of maxRecords, Sforce-Locator)."""
        parts = rest.strip("/").split("/")
        if request.method == "POST":
            body = request.body
            rows = self._run(body["query"], include_deleted=body["operation"] == "queryAll")
            job_id = f"750R0000000zlh{len(self._pages):04d}"
            self._pages[job_id] = rows
            name = re.search(r"FROM (\w+)", body["query"]).group(1)  # type: ignore[union-attr]
            job = {
                "id": job_id,
                "operation": body["operation"],
                "object": name,
                "state": "UploadComplete",
                "contentType": "CSV",
                "apiVersion": 62.0,
                "concurrencyMode": "Parallel",
                "lineEnding": "LF",
                "columnDelimiter": "COMMA",
            }
            return 200, job, {}
        job_id = parts[1]
        rows = self._pages[job_id]
        if len(parts) == 2:
            return (
                200,
                {"id": job_id, "state": "JobComplete", "numberRecordsProcessed": len(rows)},
                {},
            )
        start = int(request.query.get("locator", ["0"])[0])
        size = min(int(request.query["maxRecords"][0]), self.page_size)
        page = [
            {k: v for k, v in row.items() if k != "attributes"}
            for row in rows[start : start + size]
        ]
        names = [k for k in (rows[0] if rows else {}) if k != "attributes"]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _bulk_text(v) for k, v in row.items()} for row in page)
        locator = str(start + size) if start + size < len(rows) else "null"
        return (
            200,
            out.getvalue(),
            {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))},
        )

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


def _bulk_text(value: Any) -> str:
    """A value in a Bulk API CSV result: empty for null, true/false, numbers as JSON writes them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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


# HubSpot


def hs_time(text: str) -> dt.datetime:
    """A HubSpot datetime property or timestamp (`2026-03-02T09:00:00.000Z`)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeHubSpot:
    """A portal: owners, deal pipelines, records per object type (each `{id, properties,
    createdAt, updatedAt, archived[, archivedAt]}`), associations from deals, and faults."""

    owners: list[dict[str, Any]]
    pipelines: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]]
    associations: dict[tuple[str, str], dict[str, list[tuple[str, bool]]]]
    """(from type, to type) -> from id -> [(to id, primary)]."""
    token: str = "pat-na1-11111111-2222-3333-4444-555555555555"
    page_size: int = 2
    rate_limited: int = 0
    """The next this-many requests answer 429 with Retry-After: 1."""
    fail_request: int | None = None
    """The request with this number (1-based, from now) answers 500."""
    log: list[tuple[float, str, int]] = field(default_factory=list)
    """(monotonic time, method and path, status) of each request."""

    def __call__(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        status, payload, headers = self._answer(request)
        self.log.append((_monotonic(), f"{request.method} {request.path}", status))
        return status, payload, headers

    def _answer(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return (
                401,
                _hs_error("Authentication credentials not found.", "INVALID_AUTHENTICATION"),
                {},
            )
        if self.rate_limited:
            self.rate_limited -= 1
            error = _hs_error("You have reached your secondly limit.", "RATE_LIMITS")
            return (
                429,
                error | {"errorType": "RATE_LIMIT", "policyName": "SECONDLY"},
                {"Retry-After": "1"},
            )
        if self.fail_request is not None:
            self.fail_request -= 1
            if self.fail_request == 0:
                self.fail_request = None
                return 500, _hs_error("internal error", "INTERNAL_ERROR"), {}
        path = request.path.rstrip("/")
        if path == "/crm/v3/owners":
            archived = request.query.get("archived", ["false"])[0].lower() == "true"
            owners = [o for o in self.owners if o["archived"] == archived]
            return 200, self._paged(owners, request.query, path), {}
        if path == "/crm/v3/pipelines/deals":
            return 200, {"results": self.pipelines}, {}
        if match := re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", path):
            return 200, self._associated(match.group(1), match.group(2), request.body), {}
        if match := re.fullmatch(r"/crm/v3/objects/(\w+)/batch/read", path):
            return 200, self._batch_read(match.group(1), request.body), {}
        if match := re.fullmatch(r"/crm/v3/objects/(\w+)/search", path):
            return 200, self._search(match.group(1), request.body), {}
        if match := re.fullmatch(r"/crm/v3/objects/(\w+)", path):
            return 200, self._list(match.group(1), request.query, path), {}
        return 404, _hs_error(f"Unknown path {path}", "OBJECT_NOT_FOUND"), {}

    def _paged(
        self, rows: list[dict[str, Any]], query: dict[str, list[str]], path: str
    ) -> dict[str, Any]:
        start = int(query.get("after", ["0"])[0])
        limit = min(int(query.get("limit", ["10"])[0]), self.page_size)
        page: dict[str, Any] = {"results": rows[start : start + limit]}
        if start + limit < len(rows):
            after = str(start + limit)
            page["paging"] = {
                "next": {"after": after, "link": f"https://api.hubapi.com{path}?after={after}"}
            }
        return page

    def _shown(self, record: dict[str, Any], properties: list[str]) -> dict[str, Any]:
        """A record with the asked properties (and the default hs_object_id, createdate and
        last modified date), as the API returns it."""
        shown = {
            "hs_object_id",
            "createdate",
            "hs_lastmodifieddate",
            "lastmodifieddate",
            *properties,
        }
        values = {name: value for name, value in record["properties"].items() if name in shown}
        values.update({name: None for name in properties if name not in values})
        return {key: value for key, value in record.items() if key != "properties"} | {
            "properties": values
        }

    def _list(self, kind: str, query: dict[str, list[str]], path: str) -> dict[str, Any]:
        archived = query.get("archived", ["false"])[0].lower() == "true"
        properties = query.get("properties", [])
        rows = [self._shown(r, properties) for r in self.records[kind] if r["archived"] == archived]
        return self._paged(rows, query, path)

    def _search(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Search with AND-ed GTE filters on datetime properties (all a sync sends)."""
        filters = [f for group in body.get("filterGroups", []) for f in group["filters"]]
        assert all(f["operator"] == "GTE" for f in filters), filters
        rows = [
            self._shown(r, body.get("properties", []))
            for r in self.records[kind]
            if not r["archived"]
            and all(
                r["properties"].get(f["propertyName"])
                and hs_time(r["properties"][f["propertyName"]]).timestamp() * 1000
                >= int(f["value"])
                for f in filters
            )
        ]
        page = self._paged(
            rows, {"after": [body.get("after") or "0"], "limit": [str(body["limit"])]}, ""
        )
        return {"total": len(rows), **page}

    def _batch_read(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Batch read by id, with each property in `propertiesWithHistory` as its list of
        values, newest first (from each record's `history`: property -> [(value, time)])."""
        assert len(body["inputs"]) <= 50, "at most 50 records with property history"
        wanted = {item["id"] for item in body["inputs"]}
        results = []
        for record in self.records[kind]:
            if record["id"] not in wanted or record["archived"]:
                continue
            shown = self._shown(record, body.get("properties", []))
            shown["propertiesWithHistory"] = {
                name: [
                    {
                        "value": value,
                        "timestamp": at,
                        "sourceType": "CRM_UI",
                        "sourceId": "userId:9001",
                    }
                    for value, at in sorted(
                        record.get("history", {}).get(name, []), key=lambda v: v[1], reverse=True
                    )
                ]
                for name in body.get("propertiesWithHistory", [])
            }
            results.append(shown)
        now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        return {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}

    def _associated(self, kind: str, to: str, body: dict[str, Any]) -> dict[str, Any]:
        links = self.associations.get((kind, to), {})
        results = [
            {
                "from": {"id": item["id"]},
                "to": [
                    {
                        "toObjectId": int(target),
                        "associationTypes": [
                            {
                                "category": "HUBSPOT_DEFINED",
                                "typeId": 5 if primary else 341,
                                "label": "Primary" if primary else None,
                            }
                        ],
                    }
                    for target, primary in links[item["id"]]
                ],
            }
            for item in body["inputs"]
            if links.get(item["id"])
        ]
        now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        return {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}


def _hs_error(message: str, category: str) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
        "category": category,
    }


def _monotonic() -> float:
    import time

    return time.monotonic()
