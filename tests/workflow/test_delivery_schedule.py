"""When a weekly digest is due (#25), on the user's own clock through daylight-saving changes,
and how a webhook's answers are retried; no database needed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from attain.appdb.delivery import Channel
from attain.errors import InputError
from attain.workflow.delivery.channels import DeliveryError, post_webhook
from attain.workflow.delivery.schedule import (
    check_webhook,
    next_run,
    parse_clock,
    parse_weekday,
    slot_label,
)
from attain.workflow.delivery.settings import DeliverySettings
from tests.support.webhooks import webhook_server


@pytest.mark.parametrize(
    ("after", "due"),
    [
        # Paris is UTC+2 in summer time (until 25 October 2026), UTC+1 after it.
        (datetime(2026, 10, 20, 12, 0, tzinfo=UTC), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 18, 12, 0, tzinfo=UTC), datetime(2026, 10, 19, 6, 0, tzinfo=UTC)),
        # Summer time starts on 29 March 2026: Monday the 30th 08:00 is 06:00 UTC.
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
        # Exactly at the due time: the next one, a week later.
        (datetime(2026, 3, 30, 6, 0, tzinfo=UTC), datetime(2026, 4, 6, 6, 0, tzinfo=UTC)),
    ],
)
def test_monday_0800_in_paris_stays_0800_local_across_daylight_saving(
    after: datetime, due: datetime
) -> None:
    assert next_run(0, 8, 0, "Europe/Paris", after) == due


def test_a_monday_morning_in_tokyo_is_still_sunday_in_utc() -> None:
    due = next_run(0, 8, 0, "Asia/Tokyo", datetime(2026, 11, 14, 0, 0, tzinfo=UTC))
    assert due == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)
    assert slot_label(due, "Asia/Tokyo") == "2026-W47"  # the Monday's week, on her clock


def test_days_times_zones_and_webhooks_are_checked() -> None:
    assert parse_weekday("tue") == 1 and parse_weekday("Sunday") == 6
    assert parse_clock("07:30") == (7, 30)
    for bad in (lambda: parse_weekday("mo"), lambda: parse_clock("7h30")):
        with pytest.raises(InputError):
            bad()
    with pytest.raises(InputError, match="IANA"):
        next_run(0, 8, 0, "Mars/Olympus", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(InputError, match="https://"):
        check_webhook(Channel.SLACK, "http://hooks.example.com/x")
    check_webhook(Channel.TEAMS, "https://example.webhook.office.com/x")
    check_webhook(Channel.EMAIL, "")


def test_a_webhook_is_tried_again_after_its_retry_after_and_gives_up_on_a_long_one() -> None:
    waits: list[float] = []
    settings = DeliverySettings(webhook_attempts=3, max_retry_wait_seconds=30)
    with webhook_server() as hooks:
        hooks.throttle(2, retry_after="7")
        post_webhook(hooks.url("slack"), {"text": "hi"}, settings, sleep=waits.append)
        assert waits == [7.0, 7.0] and hooks.delivered("slack") == [{"text": "hi"}]
        hooks.throttle(1, retry_after="3600")
        with pytest.raises(DeliveryError, match="asked to wait 3600 s"):
            post_webhook(hooks.url("teams"), {"text": "hi"}, settings, sleep=waits.append)
        with pytest.raises(DeliveryError, match="answered 404"):
            post_webhook(hooks.url("nowhere"), {"text": "hi"}, settings, sleep=waits.append)
    assert waits == [7.0, 7.0]  # neither the long wait nor a 404 was waited for
