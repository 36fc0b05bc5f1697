"""The agenda's ranking and length, and coverage against cadence and need, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from attain.appdb.models import ActionItem, ActionStatus, CoachingKind
from attain.diagnosis.finding import Finding
from attain.workflow.agenda import STANDING_QUESTIONS, GoalProgress, build_agenda
from attain.workflow.coaching import CoachingRecord
from attain.workflow.coverage import CoachedRep, coverage_table
from attain.workflow.settings import WorkflowSettings

AS_OF = date(2026, 11, 13)


def finding(cause: str, severity: str, stake: float, evidence: dict | None = None) -> Finding:
    return Finding(
        "rep",
        "ada",
        cause,
        severity,
        stake,
        "",
        evidence or {},
        "why",  # type: ignore[arg-type]
        (),
        (f"{cause} question?",),
    )


def test_high_findings_then_overdue_actions_then_medium_findings_then_goals() -> None:
    follow = {
        "overdue": 57,
        "owed": 323,
        "overdue_share": 0.18,
        "peer_overdue_share": 0.02,
        "gone_dark_deals": 4,
    }
    action = ActionItem(
        id=7,
        title="Call back",
        owner="Ada",
        rep_id="ada",
        due_date=AS_OF - timedelta(days=4),
        status=ActionStatus.OPEN,
    )
    goal = GoalProgress(
        3, "ada", "meetings", 40, "", date(2026, 10, 1), date(2026, 12, 31), actual=5, expected=20
    )
    agenda = build_agenda(
        "ada",
        AS_OF,
        [
            finding("product_mix", "low", 1),
            finding("follow_up", "medium", 500, follow),
            finding("coaching", "high", 100),
        ],
        [action],
        [goal],
    )
    assert [item.source for item in agenda.items] == [
        "finding:coaching",
        "action:7",
        "finding:follow_up",
        "goal:3",
        "finding:product_mix",
    ]
    assert agenda.items[2].question.startswith("57 of your 323 follow-ups")
    assert "18%" in agenda.items[2].question and "peers 2%" in agenda.items[2].question
    assert agenda.items[0].question == "coaching question?"  # evidence lacks the numbers


def test_standing_questions_fill_up_to_three_and_no_more_than_six_are_asked() -> None:
    alone = build_agenda("ada", AS_OF, [])
    assert [item.question for item in alone.items] == list(STANDING_QUESTIONS)
    many = build_agenda("ada", AS_OF, [finding("product_mix", "low", n) for n in range(9)])
    assert len(many.items) == 6
    assert [item.weight for item in many.items] == [8, 7, 6, 5, 4, 3]


def session(rep: str, kind: CoachingKind, days_ago: int, minutes: int) -> CoachingRecord:
    held = datetime(2026, 11, 13, tzinfo=UTC) - timedelta(days=days_ago)
    return CoachingRecord("store", f"{rep}{days_ago}{kind}", rep, kind, held, minutes, (), "", None)


def test_coverage_flags_missing_shadowing_and_late_one_on_ones_and_weighs_need() -> None:
    reps = [
        CoachedRep("ada", "Ada", "t1", date(2020, 1, 1), "performer"),
        CoachedRep("bo", "Bo", "t1", date(2026, 9, 1), "new"),  # new hire: weight 2
        CoachedRep("cy", "Cy", "t1", date(2020, 1, 1), "under_performer"),  # weight 2
    ]
    records = [
        session("ada", CoachingKind.ONE_ON_ONE, 10, 100),
        session("ada", CoachingKind.SHADOWING, 100, 100),  # in the 12 months, not the window
        session("ada", CoachingKind.SHADOWING, 300, 60),  # outside the 90-day window
        session("ada", CoachingKind.SHADOWING, 400, 60),  # outside the 12 months
        session("bo", CoachingKind.ONE_ON_ONE, 22, 200),
        session("cy", CoachingKind.SHADOWING, 30, 100),
        session("cy", CoachingKind.SHADOWING, 60, 100),
    ]
    rows = {row.rep_id: row for row in coverage_table(reps, records, AS_OF, WorkflowSettings())}
    ada, bo, cy = rows["ada"], rows["bo"], rows["cy"]
    assert (ada.shadows_12_months, ada.days_since_one_on_one, ada.overdue) == (2, 10, False)
    assert bo.overdue and bo.reasons == (
        "shadowed 0 times in 12 months (needs 2)",
        "last one-on-one 22 days ago (cadence 14 days)",
    )
    assert cy.reasons == ("no one-on-one on record",)
    # 100 + 200 + 200 = 500 minutes in the 90-day window, weights 1, 2, 2: fair 100, 200, 200
    assert (ada.minutes, ada.fair_minutes, ada.minutes_ratio) == (100, 100, 1.0)
    assert (bo.need, bo.fair_minutes, bo.minutes_ratio) == ("new_hire", 200, 1.0)
    assert (cy.need, cy.minutes_ratio, cy.under_coached) == ("under_performer", 1.0, False)


def test_a_rep_below_half_their_fair_share_is_under_coached() -> None:
    reps = [
        CoachedRep("ada", "Ada", "t1", date(2020, 1, 1), "performer"),
        CoachedRep("cy", "Cy", "t1", date(2020, 1, 1), "under_performer"),
    ]
    records = [
        session("ada", CoachingKind.ONE_ON_ONE, 5, 250),
        session("cy", CoachingKind.ONE_ON_ONE, 5, 50),
    ]
    rows = {row.rep_id: row for row in coverage_table(reps, records, AS_OF)}
    # 300 minutes, weights 1 and 2: fair shares 100 and 200; Cy got 50 = 0.25 of 200
    assert rows["cy"].minutes_ratio == 0.25 and rows["cy"].under_coached
    assert rows["ada"].minutes_ratio == 2.5 and not rows["ada"].under_coached
