"""Free text is limited where it is stored, so the command line keeps the web app's limits
(attain.appdb.limits; docs/web.md, Security)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select

from attain.appdb.database import session_scope
from attain.appdb.models import CoachingSession, Role
from attain.appdb.users import add_user
from attain.errors import InputError
from attain.plan.overrides import set_override
from attain.workflow.actions import AgreedAction
from attain.workflow.coaching import log_session
from attain.workflow.programs import start_program
from attain.workflow.skills import set_score

HELD = datetime(2026, 11, 2, 15, tzinfo=UTC)


def test_every_stored_free_text_has_a_limit(engine: Engine) -> None:
    with session_scope(engine) as session:
        boss = add_user(session, "boss@x.com", "Boss", Role.MANAGER, "long enough to pass")
        cases = [
            (lambda: log_session(session, rep_id="ada", coach=boss, kind="one_on_one",
                                 held_at=HELD, duration_minutes=30, topics=["t" * 201]),
             "a topic may be at most 200 characters, not 201"),
            (lambda: log_session(session, rep_id="ada", coach=boss, kind="one_on_one",
                                 held_at=HELD, duration_minutes=30, notes="n" * 10_001),
             "the notes may be at most 10,000 characters, not 10,001"),
            (lambda: log_session(session, rep_id="ada", coach=boss, kind="one_on_one",
                                 held_at=HELD, duration_minutes=30,
                                 actions=[AgreedAction("Call", "o" * 201, None)]),
             "an action's owner may be at most 200 characters"),
            (lambda: start_program(session, rep_id="ada", start=date(2026, 11, 2), weeks=4,
                                   goal="g" * 1_001, by=boss),
             "a program's goal may be at most 1,000 characters"),
            (lambda: set_score(session, "ada", "closing", 3, by=boss, note="s" * 2_001),
             "a skill score's note may be at most 2,000 characters"),
            (lambda: set_override(session, "stage_probability", "Proposal", "0.3", "r" * 2_001,
                                  boss),
             "the reason may be at most 2,000 characters"),
        ]  # fmt: skip
        for call, message in cases:
            with pytest.raises(InputError, match=message):
                call()
        assert session.scalar(select(func.count()).select_from(CoachingSession)) == 0
