"""A manager's coaching calendar as an iCalendar feed (RFC 5545), for Google or Outlook.

The feed holds, for the reps the user may coach:

- **the one-on-one cadence**: per rep, an all-day event on the day the next one-on-one is due
  (`one_on_one_cadence_days` after the last one, or today when none is on record or it is
  overdue), repeating every cadence;
- **the shadowing plan**: per rep, the next shadowing session due (`365 ÷ shadowing_per_year`
  days after the last one, or today when the rep is short of the year's sessions), repeating
  at that interval;
- **pairing sessions**: every proposed or met pairing of two reps at its planned time.

Calendar apps subscribe to `/calendar/<token>.ics` without signing in, so the URL's random
token is the only secret: only its SHA-256 is stored, and making a new one ends the old URL.
Event UIDs are stable (`one-on-one-R0001@attain`), so a refreshed feed moves events rather
than duplicating them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vRecur
from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.appdb.models import CalendarFeed, CoachingKind, Pairing, PairingStatus, User
from attain.workflow.coaching import CoachingRecord
from attain.workflow.coverage import YEAR_DAYS, CoachedRep
from attain.workflow.settings import WorkflowSettings

PRODID = "-//Attain//coaching calendar//EN"
UID_DOMAIN = "attain"
PAIRING_MINUTES = 60
"""Length of a pairing session's event."""


@dataclass(frozen=True)
class PlannedEvent:
    """One event of the feed: all-day (a `date`) or timed (a `datetime`), maybe repeating."""

    uid: str
    kind: str
    """'one_on_one', 'shadowing' or 'pairing'."""
    summary: str
    start: date | datetime
    every_days: int | None = None
    description: str = ""


def _last(records: Sequence[CoachingRecord], kind: CoachingKind) -> date | None:
    days = [record.held_at.astimezone(UTC).date() for record in records if record.kind is kind]
    return max(days) if days else None


def _next_due(last: date | None, every: int, today: date) -> date:
    """`every` days after the last session, or today when none is on record or it is overdue."""
    return max(today, last + timedelta(days=every)) if last else today


def cadence_events(
    reps: Sequence[CoachedRep],
    records: Sequence[CoachingRecord],
    today: date,
    settings: WorkflowSettings,
) -> list[PlannedEvent]:
    """The next one-on-one and shadowing session due for each rep, repeating (pure)."""
    by_rep: dict[str, list[CoachingRecord]] = {}
    for record in records:
        by_rep.setdefault(record.rep_id, []).append(record)
    cadence = settings.one_on_one_cadence_days
    shadow_every = YEAR_DAYS // settings.shadowing_per_year if settings.shadowing_per_year else None
    events = []
    for rep in reps:
        mine = by_rep.get(rep.rep_id, [])
        last = _last(mine, CoachingKind.ONE_ON_ONE)
        due = _next_due(last, cadence, today)
        events.append(
            PlannedEvent(
                uid=f"one-on-one-{rep.rep_id}@{UID_DOMAIN}",
                kind="one_on_one",
                summary=f"One-on-one with {rep.name}",
                start=due,
                every_days=cadence,
                description=f"Last one-on-one: {last or 'none on record'}; every {cadence} days.",
            )
        )
        if shadow_every is None:
            continue
        shadowed = _last(mine, CoachingKind.SHADOWING)
        next_shadow = _next_due(shadowed, shadow_every, today)
        events.append(
            PlannedEvent(
                uid=f"shadowing-{rep.rep_id}@{UID_DOMAIN}",
                kind="shadowing",
                summary=f"Shadow {rep.name}",
                start=next_shadow,
                every_days=shadow_every,
                description=f"Last shadowing session: {shadowed or 'none on record'}; "
                f"{settings.shadowing_per_year} a year.",
            )
        )
    return events


def pairing_events(pairings: Sequence[Pairing], names: Mapping[str, str]) -> list[PlannedEvent]:
    """One timed event per proposed or met pairing (pure)."""
    return [
        PlannedEvent(
            uid=f"pairing-{pairing.id}@{UID_DOMAIN}",
            kind="pairing",
            summary=f"Pairing: {names.get(pairing.learner_rep_id, pairing.learner_rep_id)} "
            f"learns from {names.get(pairing.peer_rep_id, pairing.peer_rep_id)}",
            start=pairing.planned_at.astimezone(UTC),
            description=f"Gap: {pairing.gap_kind} {pairing.gap}; status {pairing.status.value}.",
        )
        for pairing in pairings
        if pairing.status is not PairingStatus.DROPPED
    ]


def render_feed(name: str, events: Sequence[PlannedEvent], stamp: datetime) -> bytes:
    """The events as an iCalendar document (pure)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Attain coaching: {name}")
    for planned in events:
        event = Event()
        event.add("uid", planned.uid)
        event.add("dtstamp", stamp)
        event.add("summary", planned.summary)
        event.add("categories", [planned.kind])
        event.add("dtstart", planned.start)
        if isinstance(planned.start, datetime):
            event.add("dtend", planned.start + timedelta(minutes=PAIRING_MINUTES))
        else:
            event.add("dtend", planned.start + timedelta(days=1))
        if planned.every_days:
            event.add("rrule", vRecur(freq="DAILY", interval=planned.every_days))
        if planned.description:
            event.add("description", planned.description)
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document


# The feed's secret.


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(session: Session, user: User) -> str:
    """A new secret for the user's feed URL; the old one stops working."""
    token = secrets.token_urlsafe(32)
    feed = session.get(CalendarFeed, user.id)
    if feed is None:
        session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    else:
        feed.token_hash = _hash(token)
        feed.created_at = datetime.now(UTC)
    session.flush()
    return token


def feed_user(session: Session, token: str) -> User | None:
    """The active user whose feed the token opens; None for an unknown or old token."""
    found = session.scalars(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == _hash(token))
    ).first()
    return found if found is not None and found.is_active else None


def has_feed(session: Session, user: User) -> bool:
    """Whether the user has made a feed URL."""
    return session.get(CalendarFeed, user.id) is not None
