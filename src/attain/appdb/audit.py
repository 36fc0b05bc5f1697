"""The audit log: every change to the app database, who made it, the row before and after.

Sessions from `attain.appdb.database` (`session_scope`, `session_factory`) are
`AuditedSession`s: each flush writes one `audit_log` row per created, updated or deleted
object, credited to `session.info["user_id"]`. Services therefore only set who acts; they
call `record` themselves for events that change no row (a sign-in, an export). Bulk
statements (`session.execute(update(...))`) bypass the ORM and so the log: services use
objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Mapper, Session, UOWTransaction

from attain.appdb.models import AuditEntry, Base, utcnow

_PENDING = "attain_audit_pending"


class AuditedSession(Session):
    """A session that logs every change it flushes to `audit_log`."""


def record(
    session: Session,
    user_id: int | None,
    action: str,
    table: str,
    record_id: object,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEntry:
    """Add one audit entry, e.g. `record(s, user.id, "sign_in", "users", user.id, None, None)`.

    `before` and `after` are the record's values as plain mappings; they are stored as JSON.
    """
    entry = AuditEntry(
        at=utcnow(),
        user_id=user_id,
        action=action,
        table_name=table,
        record_id=str(record_id),
        before=_to_json(before),
        after=_to_json(after),
    )
    session.add(entry)
    return entry


def acting_user(session: Session) -> int | None:
    """Who the session's changes are credited to (set by `session_scope(..., user_id=)`)."""
    user_id = session.info.get("user_id")
    return user_id if isinstance(user_id, int) else None


def values(obj: Base) -> dict[str, Any]:
    """The object's column values as JSON-ready data, without the columns kept out of the log."""
    mapper = inspect(type(obj))
    excluded = type(obj).__audit_exclude__
    return {
        attr.key: _jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in excluded
    }


@dataclass
class _Change:
    action: str
    obj: Base
    before: dict[str, Any] | None


@event.listens_for(AuditedSession, "before_flush")
def _collect_changes(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Note what this flush will change while the database still holds the old rows."""
    changes = [_Change("create", obj, None) for obj in session.new if _audited(obj)]
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes.append(_Change("update", obj, _stored_values(session, obj)))
    changes.extend(_Change("delete", obj, values(obj)) for obj in session.deleted if _audited(obj))
    session.info[_PENDING] = changes


@event.listens_for(AuditedSession, "after_flush")
def _write_changes(session: Session, _context: UOWTransaction) -> None:
    """Write the noted changes, now that new rows have their ids, in the same transaction."""
    changes: list[_Change] = session.info.pop(_PENDING, [])
    rows = []
    for change in changes:
        after = None if change.action == "delete" else _values_after(change)
        if change.action == "update" and after == change.before:
            continue  # only columns kept out of the log changed
        rows.append(
            {
                "at": utcnow(),
                "user_id": acting_user(session),
                "action": change.action,
                "table_name": change.obj.__tablename__,
                "record_id": _record_id(change.obj),
                "before": _to_json(change.before),
                "after": _to_json(after),
            }
        )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


@event.listens_for(AuditedSession, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _audited(obj: object) -> bool:
    return isinstance(obj, Base) and type(obj).__audited__


def _stored_values(session: Session, obj: Base) -> dict[str, Any] | None:
    """The row as the database holds it before this flush (the object may be half-loaded)."""
    mapper: Mapper[Any] = inspect(type(obj))
    identity = mapper.primary_key_from_instance(obj)
    query = select(*(attr.columns[0] for attr in mapper.column_attrs)).where(
        *(column == value for column, value in zip(mapper.primary_key, identity, strict=True))
    )
    row = session.connection().execute(query).mappings().one_or_none()
    if row is None:
        return None
    excluded = type(obj).__audit_exclude__
    return {
        attr.key: _jsonable(row[attr.columns[0].key])
        for attr in mapper.column_attrs
        if attr.key not in excluded
    }


def _values_after(change: _Change) -> dict[str, Any]:
    if change.before is None:
        return values(change.obj)
    after = dict(change.before)
    state = inspect(change.obj)
    for key in after:
        added = state.attrs[key].history.added
        if added:
            after[key] = _jsonable(added[0])
    return after


def _record_id(obj: Base) -> str:
    identity = inspect(type(obj)).primary_key_from_instance(obj)
    return "/".join(str(part) for part in identity)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return value


def _to_json(data: Mapping[str, Any] | None) -> str | None:
    if data is None:
        return None
    return json.dumps({key: _jsonable(value) for key, value in data.items()}, sort_keys=True)
