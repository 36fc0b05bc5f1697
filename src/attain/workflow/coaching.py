"""Coaching sessions: log one with the actions agreed in it, and list a rep's sessions from
both places they live.

Sessions imported from the CRM (the analytic store's `coaching_sessions`) and sessions logged
in Attain (the app database) appear together, each marked by `origin`. The store's kinds
(`one_on_one`, `shadow`, `training`, `program`) are read as the app's
(`one_on_one`, `shadowing`, `training`, `program_check_in`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.access import Visibility, check_rep, sees
from attain.appdb import limits
from attain.appdb.limits import checked_text
from attain.appdb.models import ActionItem, CoachingKind, CoachingSession, User
from attain.errors import InputError, one_of
from attain.store.handle import Store
from attain.workflow.actions import AgreedAction, new_action

Origin = Literal["store", "app"]

STORE_KINDS: dict[str, CoachingKind] = {
    "one_on_one": CoachingKind.ONE_ON_ONE,
    "shadow": CoachingKind.SHADOWING,
    "training": CoachingKind.TRAINING,
    "program": CoachingKind.PROGRAM_CHECK_IN,
}
"""The analytic store's coaching kinds as the app database's."""


@dataclass(frozen=True)
class CoachingRecord:
    """One coaching session, imported (`store`) or logged in Attain (`app`)."""

    origin: Origin
    id: str
    rep_id: str
    kind: CoachingKind
    held_at: datetime
    """When it took place, in UTC."""
    duration_minutes: int | None
    topics: tuple[str, ...]
    notes: str
    coach: str | None
    """The coach: a CRM rep id for imported sessions, a user's e-mail for logged ones."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "origin": self.origin,
            "id": self.id,
            "rep_id": self.rep_id,
            "kind": self.kind.value,
            "held_at": self.held_at.isoformat(),
            "duration_minutes": self.duration_minutes,
            "topics": list(self.topics),
            "notes": self.notes,
            "coach": self.coach,
        }


def split_topics(text: str | None) -> tuple[str, ...]:
    """'a; b,c' → ('a', 'b', 'c'): topics separated by ';' or ','."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.replace(",", ";").split(";") if part.strip())


def log_session(
    session: Session,
    *,
    rep_id: str,
    coach: User,
    kind: CoachingKind | str,
    held_at: datetime,
    duration_minutes: int,
    topics: Sequence[str] = (),
    notes: str = "",
    actions: Sequence[AgreedAction] = (),
    scope: Visibility | None = None,
) -> tuple[CoachingSession, list[ActionItem]]:
    """Record a session and the actions agreed in it, in the session's transaction (so both or
    neither are stored) and in the audit log, credited to whoever the session acts for.

    Each action's source is `coaching_session:<id>`. A naive `held_at` is taken as UTC.
    """
    rep_id = check_rep(scope, rep_id.strip())
    if not rep_id:
        raise InputError("name the rep coached (--rep)")
    kind = one_of(CoachingKind, kind, "a coaching kind")
    if duration_minutes <= 0:
        raise InputError(f"a session lasts a positive number of minutes, not {duration_minutes}")
    if held_at.tzinfo is None:
        held_at = held_at.replace(tzinfo=UTC)
    topics = [checked_text(topic, "a topic", limits.NAME) for topic in topics]
    if len(topics) > limits.TOPICS:
        raise InputError(f"a session has at most {limits.TOPICS} topics, not {len(topics)}")
    notes = checked_text(notes, "the notes", limits.NOTES)
    record = CoachingSession(
        rep_id=rep_id,
        coach_user_id=coach.id,
        kind=kind,
        held_at=held_at,
        duration_minutes=duration_minutes,
        topics="; ".join(topic.strip() for topic in topics if topic.strip()),
        notes=notes.strip(),
        created_by=coach.id,
    )
    items = []
    for action in actions:  # validate every action before anything is written
        items.append(new_action(action, rep_id=rep_id, source="coaching_session:"))
    session.add(record)
    session.flush()
    for item in items:
        item.source = f"coaching_session:{record.id}"
        item.created_by = coach.id
        session.add(item)
    session.flush()
    return record, items


def app_records(
    session: Session, rep_ids: Collection[str] | None = None, scope: Visibility | None = None
) -> list[CoachingRecord]:
    """Sessions logged in Attain, for `rep_ids` (default: every rep the scope sees)."""
    query = select(CoachingSession, User.email).join(User, User.id == CoachingSession.coach_user_id)
    if rep_ids is not None:
        query = query.where(CoachingSession.rep_id.in_(sorted(rep_ids)))
    if scope is not None and not scope.all_reps:
        query = query.where(CoachingSession.rep_id.in_(sorted(scope.rep_ids)))
    return [
        CoachingRecord(
            origin="app",
            id=str(row.id),
            rep_id=row.rep_id,
            kind=row.kind,
            held_at=row.held_at,
            duration_minutes=row.duration_minutes,
            topics=split_topics(row.topics),
            notes=row.notes,
            coach=email,
        )
        for row, email in session.execute(query)
        if sees(scope, row.rep_id)
    ]


def store_records(
    backend: Store,
    rep_ids: Collection[str] | None = None,
    until: date | None = None,
    scope: Visibility | None = None,
) -> list[CoachingRecord]:
    """Sessions imported into the analytic store (before `until` when given)."""
    if backend is None:
        return []
    table = backend.table("coaching_sessions")
    if rep_ids is not None:
        table = table.filter(table.rep_id.isin(sorted(rep_ids)))
    if until is not None:
        table = table.filter(table.occurred_at < datetime.combine(until, time.min))
    frame: pd.DataFrame = backend.execute(
        table.select(
            "session_id", "rep_id", "coach_rep_id", "kind", "occurred_at", "duration_min", "topics"
        )
    )
    records = []
    for row in frame.to_dict("records"):
        rep = str(row["rep_id"])
        if not sees(scope, rep) or str(row["kind"]) not in STORE_KINDS:
            continue
        held = pd.Timestamp(row["occurred_at"]).to_pydatetime()
        records.append(
            CoachingRecord(
                origin="store",
                id=str(row["session_id"]),
                rep_id=rep,
                kind=STORE_KINDS[str(row["kind"])],
                held_at=held.replace(tzinfo=UTC) if held.tzinfo is None else held.astimezone(UTC),
                duration_minutes=_optional_int(row["duration_min"]),
                topics=split_topics(_optional_text(row["topics"])),
                notes="",
                coach=_optional_text(row["coach_rep_id"]),
            )
        )
    return records


def _optional_int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def merged(*sources: Sequence[CoachingRecord]) -> list[CoachingRecord]:
    """Records of every source, newest first."""
    every = [record for source in sources for record in source]
    return sorted(every, key=lambda r: (r.held_at, r.origin, r.id), reverse=True)


def rep_sessions(
    session: Session, backend: Store, rep_id: str, scope: Visibility | None = None
) -> list[CoachingRecord]:
    """A rep's coaching sessions, imported and logged, newest first (NotFound outside the
    scope: a rep never sees another rep's sessions)."""
    check_rep(scope, rep_id)
    return merged(store_records(backend, [rep_id]), app_records(session, [rep_id]))
