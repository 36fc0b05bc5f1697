"""Intensive programs: started, checked in weekly, reviewed against an equal window before
it with a Mann–Whitney U test. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from attain.appdb.database import session_scope
from attain.appdb.models import CoachingKind, Role, User
from attain.appdb.users import add_user
from attain.errors import InputError
from attain.store import connect, raw_duckdb
from attain.workflow.programs import (
    check_in,
    compare_metric,
    overall_verdict,
    review_program,
    start_program,
    weekly_values,
)

START = date(2026, 10, 5)  # a Monday; 4 weeks end on 2026-11-01
BEFORE = [2, 1, 3, 0]  # meetings a week in the 4 weeks before (no ties: the exact test)
DURING = [5, 6, 8, 7]


@pytest.fixture
def store() -> Iterator[Any]:
    """Ada's meetings: BEFORE a week from 2026-09-07, DURING a week from the start."""
    backend = connect(":memory:")
    con = raw_duckdb(backend)
    con.execute("INSERT INTO reps (rep_id, name, role) VALUES ('ada', 'Ada', 'rep')")
    rows = []
    for first, counts in ((START - timedelta(weeks=4), BEFORE), (START, DURING)):
        for week, count in enumerate(counts):
            for n in range(count):
                when = datetime.combine(
                    first + timedelta(weeks=week, days=n % 5), datetime.min.time()
                )
                rows.append((f"a{len(rows)}", "ada", "meeting", when + timedelta(hours=10)))
    con.executemany(
        "INSERT INTO activities (activity_id, rep_id, type, occurred_at) VALUES (?, ?, ?, ?)", rows
    )
    yield backend
    backend.disconnect()


def boss(engine: Engine) -> User:
    with session_scope(engine) as session:
        user = add_user(
            session, "boss@x.com", "Boss", Role.MANAGER, "long enough to pass", teams=["t1"]
        )
        session.flush()
        _ = user.team_ids
        session.expunge(user)
    return user


def test_weeks_that_all_rank_above_the_weeks_before_are_an_improvement() -> None:
    # Every program week beats every week before: U = 4 × 4 = 16, and the exact two-sided
    # p-value is 2 of the C(8, 4) = 70 equally likely orderings: 2/70 = 0.0286 < 0.05.
    result = compare_metric("meetings", BEFORE, DURING)
    assert (result.u_statistic, result.verdict) == (16.0, "improved")
    assert result.p_value == pytest.approx(2 / 70)
    assert (result.before_mean, result.after_mean) == (1.5, 6.5)
    assert compare_metric("meetings", DURING, BEFORE).verdict == "worse"


def test_interleaved_weeks_are_no_change() -> None:
    # 1 3 5 7 against 2 4 6 8: U = 10 of 16, far from significant.
    result = compare_metric("bookings", [1, 3, 5, 7], [2, 4, 6, 8])
    assert result.u_statistic == 10.0 and result.p_value is not None and result.p_value > 0.5
    assert result.verdict == "no_change"


def test_weeks_without_a_value_are_left_out_and_too_few_weeks_is_no_change() -> None:
    result = compare_metric("win_rate", [None, 0.5, None], [1.0, None, None])
    assert result.before == (0.5,) and result.after == (1.0,)
    assert (result.verdict, result.p_value) == ("no_change", None)
    assert result.note == "fewer than 2 weeks with a value"


def test_the_verdict_is_the_majority_of_the_metrics() -> None:
    up = compare_metric("a", BEFORE, DURING)
    down = compare_metric("b", DURING, BEFORE)
    flat = compare_metric("c", [1, 1], [1, 1])
    assert overall_verdict([up, flat]) == "improved"
    assert overall_verdict([up, down]) == "no_change"
    assert overall_verdict([down, flat]) == "worse"


def test_daily_values_are_summed_into_weeks_from_the_first_day() -> None:
    import pandas as pd

    daily = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-10-05", "2026-10-11", "2026-10-12", "2026-10-30"]),
            "value": [1.0, 2.0, 4.0, 8.0],
        }
    )
    assert weekly_values(daily, START, 3) == [3.0, 4.0, 0.0]


def test_a_program_with_weekly_check_ins_is_reviewed_against_the_weeks_before(
    engine: Engine, store: Any
) -> None:
    coach = boss(engine)
    with session_scope(engine, user_id=coach.id) as session:
        program = start_program(
            session,
            rep_id="ada",
            start=START,
            weeks=4,
            goal="Twice the meetings",
            metrics="meetings,win_rate",
            by=coach,
        )
        program_id = program.id
        for week in range(4):
            check_in(
                session,
                program_id,
                coach=coach,
                held_at=datetime(2026, 10, 9, 16, tzinfo=UTC) + timedelta(weeks=week),
                duration_minutes=20,
                notes=f"week {week + 1}",
            )
        with pytest.raises(InputError, match="outside it"):
            check_in(
                session,
                program_id,
                coach=coach,
                held_at=datetime(2026, 11, 2, tzinfo=UTC),
                duration_minutes=20,
            )
    with session_scope(engine) as session:
        halfway = review_program(session, store, program_id, date(2026, 10, 18))
        assert (halfway.weeks_done, halfway.before_start) == (2, date(2026, 9, 21))
        assert halfway.comparisons[0].before == (3.0, 0.0)
        assert halfway.comparisons[0].after == (5.0, 6.0)
        review = review_program(session, store, program_id, date(2026, 11, 13))
    assert (review.weeks_done, review.before_start, review.end) == (
        4,
        date(2026, 9, 7),
        date(2026, 11, 1),
    )
    assert [r.kind for r in review.check_ins] == [CoachingKind.PROGRAM_CHECK_IN] * 4
    assert review.check_ins[0].topics == (f"program {program_id} week 1",)
    meetings, win_rate = review.comparisons
    assert meetings.before == (2.0, 1.0, 3.0, 0.0) and meetings.after == (5.0, 6.0, 8.0, 7.0)
    assert meetings.verdict == "improved" and meetings.p_value == pytest.approx(2 / 70)
    assert win_rate.verdict == "no_change"  # no deal closed either side
    assert review.verdict == "improved"
    assert review.to_dict()["comparisons"][0]["u_statistic"] == 16.0


def test_a_program_needs_a_goal_weeks_and_known_metrics(engine: Engine) -> None:
    coach = boss(engine)
    with session_scope(engine, user_id=coach.id) as session:
        with pytest.raises(InputError, match="at least one week"):
            start_program(session, rep_id="ada", start=START, weeks=0, goal="x")
        with pytest.raises(InputError, match="cannot watch 'happiness'"):
            start_program(
                session, rep_id="ada", start=START, weeks=2, goal="x", metrics="happiness"
            )
        program = start_program(session, rep_id="ada", start=START, weeks=2, goal="x")
        assert program.metrics == "meetings,opportunities_created,win_rate,bookings"
