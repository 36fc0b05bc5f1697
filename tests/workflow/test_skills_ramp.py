"""The skills matrix (scores with who and when, on SQLite and PostgreSQL), skills suggested by
findings, recommended training, and new-hire ramp curves against the cohort median."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine

from attain.access import NotFound, coaching_visibility
from attain.appdb.database import session_scope
from attain.appdb.models import Role, Skill, User
from attain.appdb.users import add_user
from attain.diagnosis.finding import Finding
from attain.errors import InputError
from attain.workflow.ramp import add_months, completed_months, month_since_hire, ramp_table
from attain.workflow.settings import WorkflowSettings
from attain.workflow.skills import (
    SkillSuggestion,
    recommend_training,
    set_score,
    skills_matrix,
    suggest_skills,
)


def people(engine: Engine) -> dict[str, User]:
    with session_scope(engine) as session:
        found = {
            "boss": add_user(
                session, "boss@x.com", "Boss", Role.MANAGER, "long enough to pass", teams=["t1"]
            ),
            "ada": add_user(
                session, "ada@x.com", "Ada", Role.REP, "long enough to pass", rep_id="ada"
            ),
        }
        session.flush()
        for user in found.values():
            _ = user.team_ids
            session.expunge(user)
    return found


def test_the_newest_score_is_in_force_with_who_gave_it_and_when(engine: Engine) -> None:
    boss = people(engine)["boss"]
    with session_scope(engine, user_id=boss.id) as session:
        set_score(session, "ada", "closing", 2, by=boss, at=datetime(2026, 10, 1, tzinfo=UTC))
        set_score(
            session,
            "ada",
            "closing",
            4,
            by=boss,
            note="better",
            at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        set_score(session, "ada", Skill.CRM_USE, 1, by=boss, at=datetime(2026, 10, 1, tzinfo=UTC))
        set_score(session, "bo", "discovery", 3, by=boss, at=datetime(2026, 10, 1, tzinfo=UTC))
        with pytest.raises(InputError, match="1 \\(weak\\) to 5"):
            set_score(session, "ada", "closing", 6, by=boss)
        with pytest.raises(InputError, match="a skill is one of"):
            set_score(session, "ada", "juggling", 3, by=boss)
    with session_scope(engine) as session:
        rows = skills_matrix(session)
    assert [row.rep_id for row in rows] == ["ada", "bo"]
    ada = rows[0].scores
    assert list(ada) == [Skill.CLOSING, Skill.CRM_USE]  # in the matrix's skill order
    closing = ada[Skill.CLOSING]
    assert (closing.score, closing.scored_by, closing.note) == (4, "boss@x.com", "better")
    assert closing.scored_at == datetime(2026, 11, 1, tzinfo=UTC)


def test_a_rep_sees_only_their_own_scores(engine: Engine) -> None:
    found = people(engine)
    boss = found["boss"]
    with session_scope(engine, user_id=boss.id) as session:
        set_score(session, "ada", "closing", 2, by=boss)
        set_score(session, "bo", "closing", 3, by=boss)
    scope = coaching_visibility(found["ada"], {"ada": "t1", "bo": "t1"})
    with session_scope(engine) as session:
        assert [row.rep_id for row in skills_matrix(session, scope=scope)] == ["ada"]
        with pytest.raises(NotFound):
            set_score(session, "bo", "closing", 5, by=found["ada"], scope=scope)


def finding(cause: str, stake: float, rep: str = "ada") -> Finding:
    return Finding("rep", rep, cause, "medium", stake, "", {}, "", (), ())  # type: ignore[arg-type]


def test_findings_suggest_the_skills_behind_their_causes_largest_stake_first() -> None:
    found = suggest_skills(
        [
            finding("follow_up", 500),
            finding("product_mix", 800),
            finding("coaching", 900),  # the manager's to fix: no skill
            finding("stage_leakage", 100, rep="bo"),  # another rep's
        ],
        "ada",
    )
    assert [(s.skill.value, s.causes, s.bookings_at_stake) for s in found] == [
        ("product_knowledge", ("product_mix",), 800),
        ("negotiation", ("product_mix",), 800),
        ("closing", ("follow_up",), 500),  # equal stakes in the matrix's skill order
        ("crm_use", ("follow_up",), 500),
    ]


def test_training_goes_to_the_weakest_skills_suggested_ones_first_among_equals() -> None:
    suggestions = [
        SkillSuggestion(Skill.CRM_USE, ("follow_up",), 500),
        SkillSuggestion(Skill.NEGOTIATION, ("product_mix",), 300),
    ]
    scores = {Skill.CLOSING: 2, Skill.CRM_USE: 2, Skill.DISCOVERY: 3, Skill.PROSPECTING: 4}
    two = recommend_training(scores, suggestions)
    assert [(t.skill, t.score) for t in two] == [(Skill.CRM_USE, 2), (Skill.CLOSING, 2)]
    assert two[0].reason == "scored 2 of 5; findings: follow_up"
    more = recommend_training(scores, suggestions, WorkflowSettings(training_max_skills=5))
    assert [t.skill.value for t in more] == ["crm_use", "closing", "discovery", "negotiation"]
    assert more[-1].reason == "not scored yet; findings: product_mix"


def test_months_since_hire_run_from_the_hire_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert month_since_hire(date(2026, 1, 15), date(2026, 2, 14)) == 1
    assert month_since_hire(date(2026, 1, 15), date(2026, 2, 15)) == 2
    assert month_since_hire(date(2026, 1, 15), date(2026, 1, 14)) == 0
    assert completed_months(date(2026, 1, 15), date(2026, 4, 14)) == 3
    assert completed_months(date(2026, 1, 15), date(2026, 4, 13)) == 2


def daily(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rep_id": [r[0] for r in rows],
            "day": pd.to_datetime([r[1] for r in rows]),
            "value": [r[2] for r in rows],
        }
    )


def test_ramp_against_the_quarters_cohort_and_all_reps_when_it_is_small() -> None:
    hires = {
        "ada": date(2026, 1, 15),
        "bo": date(2026, 1, 20),
        "cy": date(2026, 2, 1),
        "dee": date(2026, 4, 1),  # alone in Q2: compared with everyone
    }
    bookings = daily(
        ("ada", "2026-01-20", 100),  # months from the 15th: 100, 100, 100 → 300
        ("ada", "2026-02-20", 100),
        ("ada", "2026-03-20", 100),
        ("bo", "2026-03-01", 50),  # months from the 20th: 0, 50, 50 → 100
        ("bo", "2026-04-01", 50),
        ("cy", "2026-02-10", 200),  # months from the 1st: 200, 200, 200 → 600
        ("cy", "2026-03-10", 200),
        ("cy", "2026-04-10", 200),
        ("ada", "2026-04-29", 999),  # ada's 4th month, not complete on 2026-04-30
    )
    activities = daily(("ada", "2026-01-16", 10), ("bo", "2026-01-21", 4), ("cy", "2026-02-02", 6))
    rows = {row.rep_id: row for row in ramp_table(hires, bookings, activities, date(2026, 4, 30))}
    assert list(rows) == ["bo", "dee", "ada", "cy"]  # behind first, then by hire date
    ada, bo, dee = rows["ada"], rows["bo"], rows["dee"]
    assert ada.cohort == "2026-Q1" and len(ada.months) == 3
    assert [m.bookings for m in ada.months] == [100, 100, 100]
    # Cohort medians of month 1: bookings (100, 0, 200) → 100; activities (10, 4, 6) → 6.
    first = ada.months[0]
    assert (first.cohort_median_bookings, first.cohort_median_activities) == (100, 6)
    # Month 3: cumulative (300, 100, 600) → median 300; bo's 100 < 0.8 × 300 = 240.
    assert bo.months[-1].cohort_median_cumulative_bookings == 300
    assert bo.behind and not ada.behind and not rows["cy"].behind
    assert (
        bo.reason == "100 booked in 3 month(s) since hire against a cohort median of 300 (2026-Q1)"
    )
    # Dee, one month in, against all four reps' month 1: (100, 0, 200, 0) → median 50.
    assert dee.cohort == "all reps" and len(dee.months) == 1
    assert dee.months[0].cohort_median_cumulative_bookings == 50
    assert dee.months[0].cohort_median_activities == 5  # (10, 4, 6, 0)
    assert dee.behind
