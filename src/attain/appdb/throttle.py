"""Sign-in throttling: a growing delay per (account, client address), with no lockout.

The first `throttle_free_failures` wrong passwords cost nothing; the one that reaches that
count sets a delay of `throttle_first_delay_seconds`, and each further one doubles it, up to
`throttle_max_delay_seconds` (1 s, 2 s, 4 s … 15 min by default). While the delay runs the
password is not even checked. Once it has passed, the right password works, so nobody can
lock a colleague out by guessing theirs; a right password clears the count, and so does an
admin (`attain users unlock`). 300 guesses take hours instead of half a minute. Counts
untouched for `FORGET_AFTER` are dropped, so guesses at many made-up e-mails leave no pile.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from attain.appdb.models import SignInThrottle
from attain.appdb.settings import WebSettings

FORGET_AFTER = timedelta(days=1)
"""How long a count of wrong passwords is kept after the last one (then it starts again)."""


def _row(session: Session, email: str, client: str) -> SignInThrottle | None:
    return session.get(SignInThrottle, (email.strip().lower(), client))


def seconds_to_wait(session: Session, email: str, client: str, now: datetime) -> int | None:
    """Whole seconds before `client` may try `email`'s password again; None when it may now."""
    row = _row(session, email, client)
    if row is None or row.next_allowed_at is None or row.next_allowed_at <= now:
        return None
    return max(1, math.ceil((row.next_allowed_at - now).total_seconds()))


def note_failure(
    session: Session, email: str, client: str, settings: WebSettings, now: datetime
) -> SignInThrottle:
    """Count a wrong password from `client` for `email` and set the delay it earns."""
    session.execute(
        delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - FORGET_AFTER)
    )
    row = _row(session, email, client)
    if row is None:
        row = SignInThrottle(email=email.strip().lower(), client=client, failures=0)
        session.add(row)
    row.failures += 1
    row.last_failure_at = now
    beyond = row.failures - settings.throttle_free_failures
    if beyond >= 0:
        delay = settings.throttle_first_delay_seconds * 2.0 ** min(beyond, 60)
        seconds = min(delay, settings.throttle_max_delay_seconds)
        row.next_allowed_at = now + timedelta(seconds=seconds)
    session.flush()
    return row


def clear(session: Session, email: str, client: str | None = None) -> int:
    """Forget the failures for `email` (from `client` only, or from everywhere); how many
    client addresses were delayed or counting."""
    query = delete(SignInThrottle).where(SignInThrottle.email == email.strip().lower())
    if client is not None:
        query = query.where(SignInThrottle.client == client)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
