"""An import or CRM sync handed to the app that owns the store (attain.store.owner), and its
answer.

`attain import` sends what it was asked (`ImportRequest`: the files' absolute paths, which the
app reads itself on the same machine, and the options) to the app's local write API with the
claim's token; the app runs the same `import_files` between its reads and answers the
`ImportResult`, so the command prints the same summary and exits as if it had written itself.
Errors travel as their kind and one line, and are raised again here as the same class.

`attain sync` hands over the same way (`SyncRequest`): the app signs in to the CRM with its own
settings and the secrets in its own environment, as its scheduled syncs do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter

from attain.errors import AttainError, ConfigError, InputError, RejectedRowsError, StoreError
from attain.ingest.connectors.snapshot import Merged
from attain.ingest.connectors.sync import Fetched, SyncResult
from attain.ingest.importer import ImportResult, Progress, import_files
from attain.ingest.readers import ReadOptions
from attain.store.owner import ServerClaim

IMPORTS_PATH = "/api/v1/store/imports"
"""The app's local write API for imports (only the claim's token may call it)."""
SYNCS_PATH = "/api/v1/store/syncs"
"""The same for CRM syncs."""

ERROR_KINDS: dict[str, type[AttainError]] = {
    cls.__name__: cls
    for cls in (AttainError, ConfigError, InputError, StoreError, RejectedRowsError)
}
"""The errors an import can raise, by the name they travel under."""

RESULT = TypeAdapter(ImportResult)


class ImportRequest(BaseModel):
    """What `attain import` was asked, as the app runs it (paths absolute)."""

    model_config = ConfigDict(extra="forbid")

    paths: list[Path]
    preset: str = "generic"
    strict: bool = False
    rejects: Path | None = None
    encoding: str | None = None
    date_format: str | None = None
    column_map: Path | None = None
    taken_at: datetime | None = None
    partial: bool = False

    def absolute(self) -> ImportRequest:
        """The same request with every path absolute, as another process reads it."""
        return self.model_copy(
            update={
                "paths": [path.resolve() for path in self.paths],
                "rejects": self.rejects.resolve() if self.rejects else None,
                "column_map": self.column_map.resolve() if self.column_map else None,
            }
        )

    def run(
        self,
        store: Any,
        *,
        memory_limit: str | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import what was asked into `store`: the one call behind `attain import` in its own
        process and in the app that serves the store."""
        return import_files(
            store,
            self.paths,
            preset_name=self.preset,
            strict=self.strict,
            rejects_path=self.rejects,
            options=ReadOptions(
                encoding=self.encoding,
                date_format=self.date_format,
                column_map=self.column_map,
            ),
            taken_at=self.taken_at,
            partial=self.partial,
            memory_limit=memory_limit,
            progress=progress,
        )


class SyncRequest(BaseModel):
    """What `attain sync` was asked (the rejects path absolute)."""

    model_config = ConfigDict(extra="forbid")

    crm: str
    full: bool = False
    rejects: Path | None = None


def sync_to_json(result: SyncResult) -> dict[str, Any]:
    """What the command prints of a sync, as JSON (the records read stay in the app)."""
    return {
        "crm": result.crm,
        "full": result.full,
        "began": result.began.isoformat(),
        "since": result.since.isoformat() if result.since else None,
        "calls": result.fetched.calls,
        "notes": result.fetched.notes,
        "merged": asdict(result.merged),
        "imported": result_to_json(result.imported),
    }


def sync_from_json(data: dict[str, Any]) -> SyncResult:
    """The sync's outcome read back from `sync_to_json`'s JSON."""
    since = data["since"]
    return SyncResult(
        crm=str(data["crm"]),
        full=bool(data["full"]),
        began=datetime.fromisoformat(data["began"]),
        since=datetime.fromisoformat(since) if since else None,
        fetched=Fetched([], list(data["notes"]), int(data["calls"])),
        merged=Merged(**data["merged"]),
        imported=result_from_json(data["imported"]),
    )


def result_to_json(result: ImportResult) -> dict[str, Any]:
    """The import's outcome as JSON."""
    data: dict[str, Any] = RESULT.dump_python(result, mode="json")
    return data


def result_from_json(data: Any) -> ImportResult:
    """The import's outcome read back from `result_to_json`'s JSON."""
    return RESULT.validate_python(data)


def error_kind(error: AttainError) -> str:
    """The name `error` travels under: its own class, or the nearest one the client knows."""
    for cls in type(error).__mro__:
        if cls.__name__ in ERROR_KINDS:
            return cls.__name__
    return AttainError.__name__


def hand_import(claim: ServerClaim, request: ImportRequest, timeout: float = 3600) -> ImportResult:
    """Run `request` in the app that holds `claim`; its error raised again here as its own
    class (StoreError when the app cannot be reached or answers something else)."""
    return result_from_json(_post(claim, IMPORTS_PATH, request, timeout))


def hand_sync(claim: ServerClaim, request: SyncRequest, timeout: float = 3600) -> SyncResult:
    """Run the sync `request` in the app that holds `claim` (errors as `hand_import`)."""
    answer: dict[str, Any] = _post(claim, SYNCS_PATH, request, timeout)
    return sync_from_json(answer)


def _post(claim: ServerClaim, path: str, request: BaseModel, timeout: float) -> Any:
    """POST `request` to the app's write API at `path`; the answer's `result`."""
    body = json.dumps({"request": request.model_dump(mode="json")}).encode()
    sent = urllib.request.Request(
        claim.url.rstrip("/") + path,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {claim.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as answer:
            return json.loads(answer.read())["result"]
    except urllib.error.HTTPError as error:
        raise _raised(error) from None
    except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
        raise StoreError(
            f"the app serving this store (at {claim.url}) did not answer: {error}; "
            "stop `attain serve` to write the store directly"
        ) from None


def _raised(error: urllib.error.HTTPError) -> AttainError:
    """The AttainError a problem answer of the write API stands for."""
    try:
        problem = json.loads(error.read())
        kind, detail = str(problem.get("kind", "")), str(problem["detail"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return StoreError(f"the app serving this store refused the write (HTTP {error.code})")
    return ERROR_KINDS.get(kind, StoreError)(detail)
