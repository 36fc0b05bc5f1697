"""The OpenAPI document describes what every JSON API operation answers, field by field: each
success response's JSON schema is an object with its properties (a response model), never a
bare `{}` or an object of unknown keys."""

from __future__ import annotations

from typing import Any

import pytest

from attain.config import Settings
from attain.web.app import create_app
from tests.support.web import route_keys

APP = create_app(Settings())
DOCUMENT = APP.openapi()
"""The document the app serves at /api/v1/openapi.json (it needs no store to build)."""

OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in {"get", "post", "put", "patch", "delete"}
)


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, following a `$ref` into the document's components."""
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = DOCUMENT["components"]["schemas"][name]
    return schema


INTERNAL = {("POST", "/api/v1/store/imports"), ("POST", "/api/v1/store/syncs")}
"""The app's own write API for `attain import` and `attain sync` on the same machine (only the
token of its claim on the store may call it; docs/web.md), deliberately left undocumented."""


def test_every_api_route_is_documented() -> None:
    served = {key for key in route_keys(APP.routes) if key[1].startswith("/api/v1/")}
    assert set(OPERATIONS) == served - {("GET", "/api/v1/openapi.json")} - INTERNAL


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_each_operation_documents_the_fields_it_answers(method: str, path: str) -> None:
    responses = DOCUMENT["paths"][path][method.lower()]["responses"]
    success = [code for code in responses if code.startswith("2")]
    assert success, f"{method} {path} documents no success response"
    for code in success:
        schema = _resolved(responses[code]["content"]["application/json"]["schema"])
        assert schema.get("type") == "object", (method, path, schema)
        assert schema.get("properties"), f"{method} {path} answers an object of unknown fields"
        for name, field in schema["properties"].items():
            # A property's own schema says what it holds (a type, a union or a model), so a
            # client sees that `items` are findings, not just "a list".
            assert field, f"{method} {path}: {name} has an empty schema"
