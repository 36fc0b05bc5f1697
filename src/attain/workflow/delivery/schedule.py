"""When a weekly digest is next due: `weekday` at `hour:minute` on the user's own clock.

The time is found in the user's IANA time zone and turned into UTC, so Monday 08:00 stays
08:00 local across daylight-saving changes; a wall time that a spring-forward skips is sent at
the first minute that exists after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.appdb.delivery import Channel, DigestSchedule
from attain.errors import InputError

DEFAULT_WEEKDAY = 0
"""Monday: the week's pipeline before the week's first meetings."""
DEFAULT_HOUR = 8
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or InputError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InputError(
            f"unknown time zone {name!r}: use an IANA name like Europe/Paris"
        ) from error


def next_run(weekday: int, hour: int, minute: int, time_zone: str, after: datetime) -> datetime:
    """The first `weekday hour:minute` in `time_zone` strictly after `after`, in UTC."""
    tz = zone(time_zone)
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    for _ in range(3):
        # fold=0 and a round trip through UTC: a skipped wall time moves forward, a repeated
        # one is its first occurrence.
        wall = datetime.combine(day, time(hour, minute), tzinfo=tz)
        due = wall.astimezone(UTC)
        if due > after.astimezone(UTC):
            return due
        day += timedelta(days=7)
    raise AssertionError("a weekly time is always found within two weeks")


def parse_weekday(text: str) -> int:
    """0 (Monday) to 6 from a day's name or its first three letters, any case."""
    asked = text.strip().lower()
    for number, name in enumerate(WEEKDAYS):
        if len(asked) >= 3 and name.lower().startswith(asked):
            return number
    raise InputError(f"weekday {text!r}: give a day's name such as Monday")


def parse_clock(text: str) -> tuple[int, int]:
    """(hour, minute) from 'HH:MM'."""
    try:
        parsed = datetime.strptime(text.strip(), "%H:%M")
    except ValueError as error:
        raise InputError(f"time {text!r}: give a time of day as HH:MM, e.g. 08:00") from error
    return parsed.hour, parsed.minute


def slot_label(due: datetime, time_zone: str) -> str:
    """The ISO week of a due time on the user's clock (e.g. '2026-W49'): the period part of
    a scheduled digest's one-time key."""
    year, week, _ = due.astimezone(zone(time_zone)).isocalendar()
    return f"{year}-W{week:02d}"


def set_schedule(
    session: Session,
    user_id: int,
    channel: Channel,
    *,
    now: datetime,
    weekday: int = DEFAULT_WEEKDAY,
    hour: int = DEFAULT_HOUR,
    minute: int = 0,
    time_zone: str = "UTC",
    webhook_url: str = "",
    enabled: bool = True,
) -> DigestSchedule:
    """Create or change the user's digest schedule on `channel`; its next run is computed
    from `now`."""
    _check(weekday, hour, minute, channel, webhook_url)
    found = session.scalars(
        select(DigestSchedule).where(
            DigestSchedule.user_id == user_id, DigestSchedule.channel == channel
        )
    ).one_or_none()
    schedule = found or DigestSchedule(user_id=user_id, channel=channel)
    schedule.weekday, schedule.hour, schedule.minute = weekday, hour, minute
    schedule.time_zone, schedule.webhook_url, schedule.enabled = time_zone, webhook_url, enabled
    schedule.next_run_at = next_run(weekday, hour, minute, time_zone, now) if enabled else None
    if found is None:
        session.add(schedule)
    session.flush()
    return schedule


def user_schedules(session: Session, user_id: int) -> list[DigestSchedule]:
    """The user's digest schedules, e-mail first."""
    rows = session.scalars(select(DigestSchedule).where(DigestSchedule.user_id == user_id))
    order = list(Channel)
    return sorted(rows, key=lambda s: order.index(s.channel))


def due_schedules(session: Session, now: datetime) -> list[DigestSchedule]:
    """The enabled schedules whose time has come, oldest first."""
    return list(
        session.scalars(
            select(DigestSchedule)
            .where(DigestSchedule.enabled, DigestSchedule.next_run_at <= now)
            .order_by(DigestSchedule.next_run_at, DigestSchedule.id)
        )
    )


def _check(weekday: int, hour: int, minute: int, channel: Channel, webhook_url: str) -> None:
    if not 0 <= weekday <= 6 or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        raise InputError("a schedule needs a weekday 0-6 (Monday 0), an hour 0-23, a minute 0-59")
    check_webhook(channel, webhook_url)


def check_webhook(channel: Channel, webhook_url: str) -> None:
    """InputError unless a chat channel has an https:// webhook address (plain http only to
    this machine, for a local relay or a test receiver)."""
    if channel is Channel.EMAIL:
        return
    local = webhook_url.startswith(("http://127.0.0.1", "http://localhost"))
    if not (webhook_url.startswith("https://") or local):
        raise InputError(f"{channel} needs the webhook's https:// address")
