"""Pulse surveys and upward feedback: anonymous answers, one per rep, results and changes hidden
below the minimum of answers, themes only from words several answers share. Runs on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, select

from attain.access import NotFound
from attain.appdb.database import session_scope
from attain.appdb.models import (
    AuditEntry,
    CoachingKind,
    Role,
    SurveyAnswer,
    SurveyRespondent,
    User,
)
from attain.appdb.users import add_user
from attain.errors import InputError
from attain.workflow.coaching import log_session
from attain.workflow.surveys import (
    answer_survey,
    feedback_trend,
    give_feedback,
    open_surveys,
    send_survey,
    sessions_awaiting_feedback,
    team_results,
    team_voice,
    themes,
)

TEAMS = {"r1": "t1", "r2": "t1", "r3": "t1", "r4": "t1", "r5": "t1", "r6": "t1", "x1": "t2"}
PASSWORD = "long enough to pass"


def people(engine: Engine) -> dict[str, User]:
    """A manager of t1 and one rep user per CRM rep."""
    with session_scope(engine) as session:
        made = {
            "boss": add_user(session, "boss@x.com", "Boss", Role.MANAGER, PASSWORD, teams=["t1"])
        }
        for rep in TEAMS:
            made[rep] = add_user(session, f"{rep}@x.com", rep, Role.REP, PASSWORD, rep_id=rep)
        session.flush()
        for user in made.values():
            _ = user.team_ids
            session.expunge(user)
    return made


def test_themes_are_words_several_answers_share() -> None:
    texts = ["More time for deals", "time with you", "Fewer meetings, more time", "tools"]
    assert themes(texts, 2) == [("time", 3)]
    assert themes(["tools tools"], 2) == []  # one answer counts a word once


def test_results_show_at_five_answers_and_stay_hidden_at_four(engine: Engine) -> None:
    users = people(engine)
    with session_scope(engine, users["boss"].id) as session:
        survey = send_survey(session, "t1", "workload", by=users["boss"], known_teams={"t1", "t2"})
        survey_id = survey.id
    answers = [
        (2, "too many meetings"),
        (3, "meetings"),
        (4, "fine"),
        (2, "admin"),
        (1, "meetings"),
    ]
    for rep, (score, words) in zip(["r1", "r2", "r3", "r4"], answers, strict=False):
        with session_scope(engine, users[rep].id) as session:
            answer_survey(session, survey_id, users[rep], score, words, TEAMS)
    with session_scope(engine) as session:
        (hidden,) = team_results(session, "t1")
    assert (hidden.answers, hidden.shown, hidden.mean_score, hidden.scores) == (
        4,
        False,
        None,
        None,
    )
    assert hidden.themes == []
    with session_scope(engine, users["r5"].id) as session:
        answer_survey(session, survey_id, users["r5"], *answers[4], TEAMS)
    with session_scope(engine) as session:
        (shown,) = team_results(session, "t1")
    # (2 + 3 + 4 + 2 + 1) / 5 = 2.4; 'meetings' is in three answers, every other word in one.
    assert (shown.answers, shown.shown, shown.mean_score) == (5, True, pytest.approx(2.4))
    assert shown.scores == {1: 1, 2: 2, 3: 1, 4: 1, 5: 0}
    assert shown.themes == [("meetings", 3)]
    assert "admin" not in str(shown.to_dict()) and "fine" not in str(shown.to_dict())


def test_answers_keep_no_respondent_and_each_rep_answers_once(engine: Engine) -> None:
    users = people(engine)
    with session_scope(engine, users["boss"].id) as session:
        survey_id = send_survey(session, "t1", "needs", by=users["boss"], known_teams={"t1"}).id
    with session_scope(engine, users["r1"].id) as session:
        assert [s.id for s in open_surveys(session, users["r1"], TEAMS)] == [survey_id]
        answer_survey(session, survey_id, users["r1"], 4, "time", TEAMS)
    with session_scope(engine, users["r1"].id) as session:
        assert open_surveys(session, users["r1"], TEAMS) == []
        with pytest.raises(InputError, match=r"answered survey \d+ already"):
            answer_survey(session, survey_id, users["r1"], 5, "", TEAMS)
    with session_scope(engine, users["x1"].id) as session, pytest.raises(NotFound):
        answer_survey(session, survey_id, users["x1"], 5, "", TEAMS)  # another team's rep
    columns = {c["name"] for c in inspect(engine).get_columns("survey_answers")}
    assert columns == {"id", "survey_id", "score", "words"}
    with session_scope(engine) as session:
        assert session.scalars(select(SurveyRespondent.user_id)).all() == [users["r1"].id]
        assert len(session.scalars(select(SurveyAnswer)).all()) == 1
        logged = {e.table_name for e in session.scalars(select(AuditEntry))}
    # The audit log would credit the answer to its author: neither table is logged.
    assert "pulse_surveys" in logged
    assert not logged & {"survey_answers", "survey_respondents"}


def test_a_change_is_shown_only_between_two_shown_surveys(engine: Engine) -> None:
    users = people(engine)
    sent = datetime(2026, 11, 2, 9, tzinfo=UTC)
    rounds = [[2, 2, 3, 3, 2], [3, 4], [4, 4, 4, 3, 4, 4]]  # shown, hidden (2), shown
    for week, scores in enumerate(rounds):
        with session_scope(engine, users["boss"].id) as session:
            survey = send_survey(
                session,
                "t1",
                "goal_clarity",
                by=users["boss"],
                known_teams={"t1"},
                at=sent + timedelta(weeks=week),
            )
            survey_id = survey.id
        for rep, score in zip(["r1", "r2", "r3", "r4", "r5", "r6"], scores, strict=False):
            with session_scope(engine) as session:
                answer_survey(session, survey_id, users[rep], score, "", TEAMS)
    with session_scope(engine) as session:
        first, second, third = team_results(session, "t1")
        lines = team_voice(session, "t1", date(2026, 11, 20))
    assert (first.mean_score, first.change) == (pytest.approx(2.4), None)
    assert (second.shown, second.mean_score, second.change) == (False, None, None)
    # 23 / 6 = 3.83, against 2.4 two weeks before (the hidden survey between is skipped).
    assert third.change == pytest.approx(23 / 6 - 2.4)
    assert lines[0].startswith("Clarity of goals (2026-11-16): 3.8/5 from 6 answers, +1.4")
    assert len(lines) == 2


def test_feedback_is_a_weekly_trend_hidden_below_five_answers(engine: Engine) -> None:
    users = people(engine)
    monday = datetime(2026, 11, 2, 10, tzinfo=UTC)
    sessions = {}
    with session_scope(engine, users["boss"].id) as session:
        for k, rep in enumerate(["r1", "r2", "r3", "r4", "r5", "r6"]):
            week = 0 if k < 5 else 1  # five sessions in the first week, one in the next
            record, _ = log_session(
                session,
                rep_id=rep,
                coach=users["boss"],
                kind=CoachingKind.ONE_ON_ONE,
                held_at=monday + timedelta(weeks=week, days=k % 5),
                duration_minutes=30,
            )
            sessions[rep] = record.id
    words = {"r1": "focused", "r2": "focused", "r3": "rushed", "r4": "clear", "r5": "", "r6": ""}
    for rep, useful in zip(sessions, [True, True, False, True, True, False], strict=True):
        with session_scope(engine) as session:
            assert [s.id for s in sessions_awaiting_feedback(session, users[rep])] == [
                sessions[rep]
            ]
            give_feedback(session, sessions[rep], users[rep], useful, words[rep])
    with session_scope(engine) as session:
        with pytest.raises(InputError, match="already"):
            give_feedback(session, sessions["r1"], users["r1"], True, "again")
        with pytest.raises(NotFound):
            give_feedback(session, sessions["r2"], users["r1"], True, "")  # not r1's session
        with pytest.raises(InputError, match="one word"):
            give_feedback(session, sessions["r6"], users["r6"], True, "two words")
        first, second = feedback_trend(session, users["boss"].id)
    assert (first.week_start, first.answers, first.shown) == (date(2026, 11, 2), 5, True)
    assert first.useful_share == pytest.approx(4 / 5)
    assert first.words == [("focused", 2)]  # 'rushed' and 'clear' are one answer's each
    assert (second.answers, second.shown, second.useful_share) == (1, False, None)
