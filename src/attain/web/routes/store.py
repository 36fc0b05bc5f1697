"""The store's one writer: imports handed over by `attain import` while the app serves
(attain.store.owner, attain.ingest.handoff), and where the results of the store's current data
version stand (web.warmup).

The import API is the app's own, local: only the token of the app's claim on its store (in the
claim file beside the store, readable only by the store's owner) may call it, never a user's
token or session, and it is left out of the OpenAPI document.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel

from attain.errors import AttainError
from attain.ingest.handoff import (
    ImportRequest,
    SyncRequest,
    error_kind,
    result_to_json,
    sync_to_json,
)
from attain.web.auth import Unauthenticated
from attain.web.deps import ApiUser, Services, routers
from attain.web.problems import problem
from attain.web.schemas import HandedImport, HandedSync, ResultsProgress

pages, api = routers("store")


def writer_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Let through only calls with the token of the app's claim on its store."""
    expected = getattr(request.app.state, "writer_token", None)
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not expected or not secrets.compare_digest(given.encode(), str(expected).encode()):
        raise Unauthenticated("only `attain import` on this machine may call this")


WriterToken = Annotated[None, Depends(writer_token)]


Handed = TypeVar("Handed", ImportRequest, SyncRequest)


class HandedBody(BaseModel, Generic[Handed]):
    """The body `attain import` or `attain sync` sends: the request it hands over."""

    request: Handed


def _answer_handed(request: Request, run: Callable[[], dict[str, Any]]) -> Any:
    """`{"result": ...}` of work handed over by a command, run as one transaction between reads.

    The work's own error (a missing file, rejected rows with --strict) answers 422 with its
    kind, so the command raises the same error and exits as it would have by itself."""
    try:
        return {"result": run()}
    except AttainError as error:
        return problem(request, 422, str(error), kind=error_kind(error))


@api.post("/store/imports", response_model=HandedImport, include_in_schema=False)
def store_import(
    request: Request, services: Services, _token: WriterToken, body: HandedBody[ImportRequest]
) -> Any:
    """Run an import handed over by `attain import`."""
    return _answer_handed(request, lambda: result_to_json(services.apply_import(body.request)))


@api.post("/store/syncs", response_model=HandedSync, include_in_schema=False)
def store_sync(
    request: Request, services: Services, _token: WriterToken, body: HandedBody[SyncRequest]
) -> Any:
    """Run a CRM sync handed over by `attain sync`."""
    return _answer_handed(request, lambda: sync_to_json(services.apply_sync(body.request)))


@api.get(
    "/results",
    response_model=ResultsProgress,
    summary="Where the results of the store's current data version stand",
)
def results_progress(services: Services, _user: ApiUser) -> Any:
    steps = services.progress()
    return {
        "data_version": services.data_version().import_id,
        "computing": any(step.state in ("coming", "computing") for step in steps),
        "steps": [{"kind": step.kind, "label": step.label, "state": step.state} for step in steps],
    }
