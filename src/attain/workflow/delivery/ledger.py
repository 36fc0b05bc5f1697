"""What was sent, under one-time keys, and which process may send (a lease), in the app
database.

A message is claimed before it is sent: its key is inserted into `deliveries`, whose unique
constraint lets exactly one claim win, whichever process or thread tries. A claim that ends in
failure is released for a later run; a sent one never again. The lease row names the one
process that sends; it renews the lease on each run and another process takes it only after
it lapses.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from attain.appdb.database import session_scope
from attain.appdb.delivery import Channel, Delivery, DeliveryStatus, SenderLease, SigningKey

LEASE = "delivery"
"""The lease's name: the one job that sends digests and alerts."""


def take_lease(engine: Engine, holder: str, now: datetime, seconds: int) -> bool:
    """Whether `holder` holds the sender lease until `now + seconds` (taken when free or lapsed,
    renewed when already its own)."""
    until = now + timedelta(seconds=seconds)
    with session_scope(engine) as session:
        taken = session.execute(
            update(SenderLease)
            .where(
                SenderLease.name == LEASE,
                (SenderLease.holder == holder) | (SenderLease.expires_at < now),
            )
            .values(holder=holder, expires_at=until)
        )
        if getattr(taken, "rowcount", 0):
            return True
        if session.get(SenderLease, LEASE) is not None:
            return False
    try:
        with session_scope(engine) as session:
            session.add(SenderLease(name=LEASE, holder=holder, expires_at=until))
    except IntegrityError:
        return False  # another process created it first
    return True


def release_lease(engine: Engine, holder: str) -> None:
    """Give the lease up (at shutdown) so another process need not wait for it to lapse."""
    with session_scope(engine) as session:
        lease = session.get(SenderLease, LEASE)
        if lease is not None and lease.holder == holder:
            session.delete(lease)


def claim(
    engine: Engine, key: str, user_id: int, what: str, channel: Channel, subject: str
) -> int | None:
    """The id of the delivery claimed under `key`, or None when it was sent (or is being sent)
    already. A failed earlier attempt is claimed again."""
    with session_scope(engine) as session:
        found = session.scalars(select(Delivery).where(Delivery.key == key)).one_or_none()
        if found is not None:
            if found.status is not DeliveryStatus.FAILED:
                return None
            found.status, found.attempts = DeliveryStatus.SENDING, found.attempts + 1
            return found.id
    try:
        with session_scope(engine) as session:
            row = Delivery(
                key=key,
                user_id=user_id,
                what=what,
                channel=channel,
                subject=subject,
                status=DeliveryStatus.SENDING,
                attempts=1,
                detail="",
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None  # claimed by another sender a moment ago


def finish(engine: Engine, delivery_id: int, now: datetime, error: str | None = None) -> None:
    """Record how the claimed delivery went: sent at `now`, or failed with `error`."""
    with session_scope(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        if error is None:
            row.status, row.sent_at, row.detail = DeliveryStatus.SENT, now, ""
        else:
            row.status, row.detail = DeliveryStatus.FAILED, error[:2000]


def history(engine: Engine, user_id: int | None = None, limit: int = 50) -> list[Delivery]:
    """The latest deliveries (of one user), newest first."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Delivery.user_id == user_id)
    with session_scope(engine) as session:
        return list(session.scalars(query))


def signing_key(engine: Engine, name: str) -> bytes:
    """The random key `name`, made on first use and shared through the app database."""
    with session_scope(engine) as session:
        found = session.get(SigningKey, name)
        if found is not None:
            return found.secret.encode()
    try:
        with session_scope(engine) as session:
            session.add(SigningKey(name=name, secret=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # made by another process a moment ago
    with session_scope(engine) as session:
        made = session.get(SigningKey, name)
        assert made is not None
        return made.secret.encode()
