"""Signed unsubscribe links: a token names the user and what to stop; the web route that
receives it turns the schedule off (a digest) or drops the subscription (an alert) without
signing in, as mail clients' one-click unsubscribe (RFC 8058) expects."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import Engine, delete, update

from attain.appdb.database import session_scope
from attain.appdb.delivery import AlertSubscription, Channel, DigestSchedule
from attain.workflow.delivery.ledger import signing_key

KEY_NAME = "unsubscribe"
DIGEST = "digest"


@dataclass(frozen=True)
class Unsubscribe:
    """What a link stops: the user's digest on a channel, or one kind of alert there."""

    user_id: int
    what: str
    """'digest' or an alert kind."""
    channel: Channel


def token(engine: Engine, stop: Unsubscribe) -> str:
    """The signed token of `stop`, safe in a URL path."""
    body = f"{stop.user_id}:{stop.what}:{stop.channel.value}".encode()
    mac = hmac.new(signing_key(engine, KEY_NAME), body, hashlib.sha256).digest()[:16]
    return f"{_b64(body)}.{_b64(mac)}"


def read(engine: Engine, sent: str) -> Unsubscribe | None:
    """What the token stops, or None when it is not one Attain signed."""
    try:
        body_text, mac_text = sent.split(".", 1)
        body = base64.urlsafe_b64decode(body_text + "=" * (-len(body_text) % 4))
        mac = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
        expected = hmac.new(signing_key(engine, KEY_NAME), body, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, expected):
            return None
        user, what, channel = body.decode().split(":")
        return Unsubscribe(int(user), what, Channel(channel))
    except ValueError:
        return None


def apply(engine: Engine, stop: Unsubscribe) -> int:
    """Stop what the token names; the number of schedules or subscriptions changed."""
    with session_scope(engine, user_id=stop.user_id) as session:
        if stop.what == DIGEST:
            done = session.execute(
                update(DigestSchedule)
                .where(
                    DigestSchedule.user_id == stop.user_id, DigestSchedule.channel == stop.channel
                )
                .values(enabled=False, next_run_at=None)
            )
        else:
            done = session.execute(
                delete(AlertSubscription).where(
                    AlertSubscription.user_id == stop.user_id,
                    AlertSubscription.kind == stop.what,
                    AlertSubscription.channel == stop.channel,
                )
            )
        return int(getattr(done, "rowcount", 0))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
