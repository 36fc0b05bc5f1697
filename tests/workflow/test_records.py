"""Coaching sessions and actions in the app database: one transaction, audited, merged with
the store's sessions, and never shown to another rep. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select

from attain.access import NotFound, coaching_visibility
from attain.appdb.database import session_scope
from attain.appdb.models import (
    ActionItem,
    ActionStatus,
    AuditEntry,
    CoachingKind,
    CoachingSession,
    Role,
    User,
)
from attain.appdb.users import add_user
from attain.errors import InputError
from attain.workflow.actions import AgreedAction, list_actions, parse_action, set_status
from attain.workflow.alignment import add_meeting_action, meeting_actions
from attain.workflow.coaching import CoachingRecord, app_records, log_session, merged

TEAMS = {"ada": "t1", "bo": "t1", "cy": "t2"}
HELD = datetime(2026, 11, 2, 15, tzinfo=UTC)


def users(engine: Engine) -> dict[str, User]:
    with session_scope(engine) as session:
        found = {
            "boss": add_user(
                session, "boss@x.com", "Boss", Role.MANAGER, "long enough to pass", teams=["t1"]
            ),
            "ada": add_user(
                session, "ada@x.com", "Ada", Role.REP, "long enough to pass", rep_id="ada"
            ),
            "bo": add_user(session, "bo@x.com", "Bo", Role.REP, "long enough to pass", rep_id="bo"),
            "mkt": add_user(session, "m@x.com", "Mia", Role.MARKETING, "long enough to pass"),
        }
        session.flush()
        for user in found.values():
            _ = user.team_ids
            session.expunge(user)
    return found


def log(engine: Engine, coach: User, rep: str, *actions: AgreedAction) -> int:
    with session_scope(engine, user_id=coach.id) as session:
        record, _ = log_session(
            session,
            rep_id=rep,
            coach=coach,
            kind="one_on_one",
            held_at=HELD,
            duration_minutes=30,
            topics=["pipeline", "forecast"],
            notes="good week",
            actions=actions,
        )
        return record.id


def test_a_session_and_its_actions_are_stored_together_and_audited(engine: Engine) -> None:
    people = users(engine)
    boss = people["boss"]
    session_id = log(
        engine,
        boss,
        "ada",
        AgreedAction("Call back the five dark deals", "Ada", date(2026, 11, 9)),
        parse_action("Send the pricing deck|Boss|2026-11-06"),
    )
    with session_scope(engine) as session:
        stored = session.get(CoachingSession, session_id)
        assert stored is not None
        assert (stored.kind, stored.duration_minutes, stored.topics) == (
            CoachingKind.ONE_ON_ONE,
            30,
            "pipeline; forecast",
        )
        actions = list_actions(session, rep_id="ada")
        assert [(a.title, a.owner, a.due_date, a.source) for a in actions] == [
            ("Send the pricing deck", "Boss", date(2026, 11, 6), f"coaching_session:{session_id}"),
            (
                "Call back the five dark deals",
                "Ada",
                date(2026, 11, 9),
                f"coaching_session:{session_id}",
            ),
        ]
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        logged = [(e.table_name, e.action, e.user_id) for e in entries if e.user_id == boss.id]
        assert logged == [
            ("coaching_sessions", "create", boss.id),
            ("action_items", "create", boss.id),
            ("action_items", "create", boss.id),
        ]
        assert json.loads(entries[-1].after or "{}")["rep_id"] == "ada"


def test_an_invalid_action_stores_nothing(engine: Engine) -> None:
    boss = users(engine)["boss"]
    with pytest.raises(InputError, match="needs an owner"):
        log(engine, boss, "ada", AgreedAction("Do it", "", None))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(CoachingSession)) == 0
        assert session.scalar(select(func.count()).select_from(ActionItem)) == 0


def test_a_rep_sees_their_own_records_and_never_another_reps(engine: Engine) -> None:
    people = users(engine)
    log(engine, people["boss"], "ada", AgreedAction("Ada's action", "Ada", date(2026, 11, 9)))
    log(engine, people["boss"], "bo", AgreedAction("Bo's action", "Bo", date(2026, 11, 9)))
    log(engine, people["boss"], "cy", AgreedAction("Cy's action", "Cy", date(2026, 11, 9)))
    with session_scope(engine) as session:
        ada = coaching_visibility(people["ada"], TEAMS)
        assert {r.rep_id for r in app_records(session, scope=ada)} == {"ada"}
        assert {a.rep_id for a in list_actions(session, scope=ada)} == {"ada"}
        assert app_records(session, ["bo"], scope=ada) == []
        boss = coaching_visibility(people["boss"], TEAMS)
        assert {r.rep_id for r in app_records(session, scope=boss)} == {"ada", "bo"}
        assert {r.rep_id for r in app_records(session)} == {"ada", "bo", "cy"}
        bo_action = list_actions(session, rep_id="bo")[0].id
    with session_scope(engine, user_id=people["ada"].id) as session:
        with pytest.raises(NotFound):
            set_status(session, bo_action, ActionStatus.DONE, scope=ada)
        with pytest.raises(NotFound):
            log_session(
                session,
                rep_id="bo",
                coach=people["ada"],
                kind="one_on_one",
                held_at=HELD,
                duration_minutes=10,
                scope=ada,
            )


def test_marketing_sees_no_coaching_records(engine: Engine) -> None:
    from attain.access import Forbidden

    with pytest.raises(Forbidden):
        coaching_visibility(users(engine)["mkt"], TEAMS)


def test_done_actions_leave_the_overdue_report(engine: Engine) -> None:
    boss = users(engine)["boss"]
    with session_scope(engine, user_id=boss.id) as session:
        late = add_meeting_action(
            session, date(2026, 11, 3), AgreedAction("Fix lead scoring", "Mia", date(2026, 11, 10))
        )
        add_meeting_action(
            session, date(2026, 11, 3), AgreedAction("New SLA", "Sam", date(2026, 12, 1))
        )
        late_id = late.id
    with session_scope(engine) as session:
        overdue = meeting_actions(session, overdue_on=date(2026, 11, 13))
        assert [(a.title, a.source) for a in overdue] == [
            ("Fix lead scoring", "alignment_meeting:2026-11-03")
        ]
        assert len(meeting_actions(session)) == 2
    with session_scope(engine, user_id=boss.id) as session:
        done = set_status(session, late_id, ActionStatus.DONE)
        assert done.completed_at is not None
    with session_scope(engine) as session:
        assert meeting_actions(session, overdue_on=date(2026, 11, 13)) == []


def test_imported_and_logged_sessions_are_listed_together_newest_first() -> None:
    def record(origin: str, day: int) -> CoachingRecord:
        return CoachingRecord(
            origin,  # type: ignore[arg-type]
            str(day),
            "ada",
            CoachingKind.ONE_ON_ONE,
            datetime(2026, 11, day, tzinfo=UTC),
            30,
            (),
            "",
            None,
        )

    found = merged([record("store", 1), record("store", 5)], [record("app", 3)])
    assert [(r.origin, r.held_at.day) for r in found] == [("store", 5), ("app", 3), ("store", 1)]
