"""The coaching calendar feed: valid iCalendar with the one-on-one cadence, the shadowing plan
and pairing sessions, behind a secret that a new one replaces. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import Engine

from attain.appdb.database import session_scope
from attain.appdb.models import CoachingKind, Pairing, PairingStatus, Role
from attain.appdb.users import add_user
from attain.workflow.calendar import (
    cadence_events,
    feed_user,
    new_feed_token,
    pairing_events,
    render_feed,
)
from attain.workflow.coaching import CoachingRecord
from attain.workflow.coverage import CoachedRep
from attain.workflow.settings import WorkflowSettings

TODAY = date(2026, 11, 20)


def record(rep: str, kind: CoachingKind, day: date) -> CoachingRecord:
    held = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)
    return CoachingRecord("app", f"{rep}{day}", rep, kind, held, 30, (), "", "boss@x.com")


def test_the_feed_parses_as_icalendar_with_the_expected_events() -> None:
    reps = [CoachedRep("R1", "Ann", "t1", None), CoachedRep("R2", "Ben", "t1", None)]
    records = [
        record("R1", CoachingKind.ONE_ON_ONE, date(2026, 11, 16)),  # next due 11-30
        record("R1", CoachingKind.SHADOWING, date(2026, 9, 1)),  # next due 9-1 + 182 = 3-2
        record("R2", CoachingKind.ONE_ON_ONE, date(2026, 10, 1)),  # overdue: due today
    ]
    pairing = Pairing(
        id=7,
        learner_rep_id="R2",
        peer_rep_id="R1",
        gap_kind="stage",
        gap="Proposal",
        planned_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
        weeks=4,
        status=PairingStatus.PROPOSED,
    )
    dropped = Pairing(
        id=8,
        learner_rep_id="R1",
        peer_rep_id="R2",
        gap_kind="skill",
        gap="closing",
        planned_at=datetime(2026, 11, 26, 14, tzinfo=UTC),
        weeks=4,
        status=PairingStatus.DROPPED,
    )
    events = cadence_events(reps, records, TODAY, WorkflowSettings()) + pairing_events(
        [pairing, dropped], {"R1": "Ann", "R2": "Ben"}
    )
    text = render_feed("Boss", events, datetime(2026, 11, 20, 8, tzinfo=UTC))
    calendar = Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0" and "Attain" in str(calendar["PRODID"])
    found = {
        str(event["UID"]): (str(event["SUMMARY"]), event.decoded("DTSTART"), event.get("RRULE"))
        for event in calendar.walk("VEVENT")
    }
    assert set(found) == {
        "one-on-one-R1@attain",
        "shadowing-R1@attain",
        "one-on-one-R2@attain",
        "shadowing-R2@attain",
        "pairing-7@attain",
    }
    summary, start, rule = found["one-on-one-R1@attain"]
    assert (summary, start) == ("One-on-one with Ann", date(2026, 11, 30))
    assert rule["FREQ"] == ["DAILY"] and rule["INTERVAL"] == [14]
    assert found["one-on-one-R2@attain"][1] == TODAY
    # 365 // 2 = 182 days between shadowing sessions; Ben was never shadowed: due today.
    assert found["shadowing-R1@attain"][1] == date(2026, 9, 1) + timedelta(days=182)
    assert found["shadowing-R2@attain"][1] == TODAY
    summary, start, rule = found["pairing-7@attain"]
    assert summary == "Pairing: Ben learns from Ann"
    assert start == datetime(2026, 11, 25, 14, tzinfo=UTC) and rule is None


def test_a_feed_token_opens_its_users_feed_until_a_new_one_replaces_it(engine: Engine) -> None:
    with session_scope(engine) as session:
        boss = add_user(session, "boss@x.com", "Boss", Role.MANAGER, "long enough to pass")
        session.flush()
        first = new_feed_token(session, boss)
        found = feed_user(session, first)
        assert found is not None and found.id == boss.id
        second = new_feed_token(session, boss)
        assert feed_user(session, first) is None
        assert feed_user(session, second) is not None
        assert feed_user(session, "guessed") is None
        boss.is_active = False
        assert feed_user(session, second) is None
