"""Plans of the hand-built organisation in plan_support, every number counted by hand.

ada: target 100 000, booked 40 000, open O10 50 000 at Proposal (stage win rate 0.5) → 25 000
expected; remaining 35 000. Deals 35 000 ÷ 10 000 = 3.5; win rate in the period 0.4 × 2/3;
opportunities 3.5 ÷ (0.4 × 2/3) = 13.125, a week 13.125 ÷ 6 = 2.1875; meetings a week
2.1875 ÷ 0.5 = 4.375; first contacts a week 4.375 ÷ 2 = 2.1875. Best weeks 2, 1, 1: every
activity needs 2.1875 × the best week, so the plan is not feasible.
cy: no history, team t1's rates (ada's): 50 000 ÷ 10 000 = 5 deals → 18.75 opportunities,
3.125 a week, 6.25 meetings, 3.125 contacts; compared with the team's best weeks.
dee: 45 000 booked of 30 000: nothing needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from plan_support import AS_OF, TARGETS, build_store

from attain.forecast.forecast import Overrides
from attain.forecast.history import load_history
from attain.metrics.periods import Period, quarter_of
from attain.plan.plan import (
    PipelineValue,
    RepPlan,
    activity_plan,
    pipeline_from_stages,
    rep_plan,
)
from attain.plan.rates import RateBook, Rates, StageConversion, load_rates
from attain.plan.settings import PlanSettings
from attain.store import connect

SETTINGS = PlanSettings(history_quarters=1)
PERIOD = quarter_of(AS_OF)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    store = build_store(tmp_path_factory.mktemp("plan_org"))
    found = connect(str(store), read_only=True)
    yield found
    found.disconnect()


@pytest.fixture(scope="module")
def book(backend: Any) -> RateBook:
    return load_rates(backend, AS_OF, SETTINGS)


def plans(backend: Any, book: RateBook, overrides: Overrides | None = None) -> dict[str, RepPlan]:
    pipeline = pipeline_from_stages(
        load_history(backend), PERIOD, AS_OF, zone="UTC", overrides=overrides
    )
    return {
        plan.rep_id: plan
        for plan in activity_plan(book, pipeline, TARGETS, PERIOD, AS_OF, SETTINGS)
    }


def test_rates_are_counted_over_the_last_completed_quarter(book: RateBook) -> None:
    ada = book.reps["ada"]
    assert book.window == Period(
        PERIOD.start.replace(month=1), PERIOD.start.replace(month=3, day=31)
    )
    assert book.funnel == ("Prospecting", "Proposal")
    assert (ada.closed, ada.won, ada.win_rate, ada.average_won) == (10, 4, 0.4, 10_000)
    assert ada.median_cycle_days == 14
    assert ada.share_closing_within(42) == pytest.approx(2 / 3)
    assert ada.stages == (
        StageConversion("Prospecting", 10, 8),
        StageConversion("Proposal", 8, 4),
    )
    assert (ada.meetings, ada.opportunities, ada.contacts, ada.weeks) == (24, 12, 12, 12)
    assert ada.opportunities_per_meeting == 0.5
    assert ada.meetings_per_contact == 2
    assert dict(ada.best_week) == {"meetings": 2, "opportunities": 1, "contacts": 1}
    assert book.recent["ada"]["meetings"] == 1.0  # 2 meetings in the last 14 days


def test_a_rep_with_enough_history_gets_a_plan_from_their_own_rates(
    backend: Any, book: RateBook
) -> None:
    ada = plans(backend, book)["ada"]
    assert (ada.booked, ada.open_deals, ada.expected_open) == (40_000, 1, 25_000)
    assert (ada.gap, ada.remaining_gap, ada.weeks_left) == (60_000, 35_000, 6)
    assert ada.rates_source == "rep" and not ada.thin
    assert ada.win_rate_in_period == pytest.approx(0.4 * 2 / 3)
    assert ada.deals_needed == pytest.approx(3.5)
    assert ada.opportunities_needed == pytest.approx(13.125)
    assert ada.pipeline_needed == pytest.approx(131_250)
    assert ada.weekly_opportunities == pytest.approx(2.1875)
    assert ada.weekly_meetings == pytest.approx(4.375)
    assert ada.weekly_contacts == pytest.approx(2.1875)
    assert ada.requirement("meetings").best_week == 2
    assert ada.requirement("meetings").recent_per_week == 1
    assert ada.feasibility_ratio == pytest.approx(2.1875)
    assert ada.feasible is False
    # ada is the whole of team t1's record: no benchmark lever, so add pipeline
    assert ada.best_lever is not None and ada.best_lever.name == "add_pipeline"
    assert ada.best_lever.pipeline_per_week == pytest.approx(131_250 / 6)
    assert ada.notes == ()


def test_a_rep_with_no_history_uses_the_teams_rates_and_says_so(
    backend: Any, book: RateBook
) -> None:
    cy = plans(backend, book)["cy"]
    assert cy.thin and cy.rates_source == "team t1" and cy.closed_deals == 0
    assert cy.remaining_gap == 50_000
    assert cy.deals_needed == pytest.approx(5)
    assert cy.opportunities_needed == pytest.approx(18.75)
    assert cy.weekly_opportunities == pytest.approx(3.125)
    assert cy.weekly_meetings == pytest.approx(6.25)
    assert cy.weekly_contacts == pytest.approx(3.125)
    assert cy.requirement("meetings").best_week == 2  # the team's best week
    assert cy.feasibility_ratio == pytest.approx(3.125)
    assert any(
        "too few to trust the rep's own rates: the team t1's are used" in n for n in cy.notes
    )
    assert any("no past weeks of the rep's own" in note for note in cy.notes)


def test_a_rep_above_target_needs_no_activity(backend: Any, book: RateBook) -> None:
    dee = plans(backend, book)["dee"]
    assert dee.gap == -15_000 and dee.remaining_gap == 0
    assert dee.deals_needed == dee.opportunities_needed == 0
    assert (dee.weekly_opportunities, dee.weekly_meetings, dee.weekly_contacts) == (0, 0, 0)
    assert dee.feasible is True
    assert dee.best_lever is None
    assert any(
        note.startswith("already above target: 45,000 booked of 30,000") for note in dee.notes
    )


def test_a_stage_probability_override_changes_the_pipelines_expected_value(
    backend: Any, book: RateBook
) -> None:
    ada = plans(backend, book, Overrides(stage_probability={"Proposal": 0.8}))["ada"]
    assert ada.expected_open == pytest.approx(40_000)
    assert ada.remaining_gap == pytest.approx(20_000)
    assert ada.weekly_meetings == pytest.approx(20_000 / 10_000 / (0.4 * 2 / 3) / 6 / 0.5)
    [shown] = ada.overridden
    assert (shown.kind, shown.target_id, shown.value, shown.computed, shown.deals) == (
        "stage_probability",
        "Proposal",
        "0.8",
        0.5,
        1,
    )


def test_a_commit_category_counts_the_deal_as_won_and_omitted_as_lost(
    backend: Any, book: RateBook
) -> None:
    committed = plans(backend, book, Overrides(forecast_category={"O10": "commit"}))["ada"]
    assert committed.expected_open == 50_000 and committed.remaining_gap == 10_000
    omitted = Overrides(stage_probability={"Proposal": 0.8}, forecast_category={"O10": "omitted"})
    assert plans(backend, book, omitted)["ada"].expected_open == 0  # the deal's own wins


def _rates(
    *, won_amount: float, stages: tuple[StageConversion, ...], meetings: int, closed: int = 20
) -> Rates:
    """20 closed, 10 won (win rate 0.5), cycles of 7 days, 10 opportunities."""
    return Rates(
        closed=closed,
        won=10,
        won_amount=won_amount,
        cycle_days=(7.0,) * 10,
        stages=stages,
        meetings=meetings,
        opportunities=10,
        contacts=meetings,
        weeks=10,
        best_week={"meetings": 4.0, "opportunities": 2.0, "contacts": 4.0},
    )


def _book(rep: Rates, team: Rates) -> RateBook:
    window = Period(PERIOD.start.replace(month=1), PERIOD.start.replace(month=3, day=31))
    return RateBook(
        window=window,
        funnel=("Discovery", "Proposal"),
        reps={"eve": rep},
        teams={"t9": team},
        company=team,
        rep_teams={"eve": "t9"},
        recent={},
        recent_days=14,
    )


def test_the_best_lever_is_the_one_that_saves_the_most_meetings() -> None:
    """eve converts 40% at Proposal against the team's 60% (factor 1.5), averages 10 000 won
    against 12 000 (1.2) and opens 0.5 opportunities a meeting against 0.625 (1.25)."""
    eve = _rates(
        won_amount=100_000,
        stages=(StageConversion("Discovery", 10, 8), StageConversion("Proposal", 10, 4)),
        meetings=20,
    )
    team = _rates(
        won_amount=120_000,
        stages=(StageConversion("Discovery", 10, 8), StageConversion("Proposal", 10, 6)),
        meetings=16,
    )
    plan = rep_plan(
        "eve",
        "Eve",
        _book(eve, team),
        pipeline=_pipeline(0.0),
        target=60_000,
        period=PERIOD,
        as_of=AS_OF,
        settings=SETTINGS,
    )
    # 60 000 ÷ 10 000 = 6 deals ÷ (0.5 × 35/42) = 14.4 opportunities, 2.4 a week, 4.8 meetings
    assert plan.weekly_meetings == pytest.approx(4.8)
    levers = {lever.name: lever for lever in plan.levers}
    assert set(levers) == {"win_rate", "deal_size", "add_pipeline"}
    assert levers["win_rate"].factor == pytest.approx(1.5)
    assert levers["win_rate"].stage == "Proposal"
    assert levers["win_rate"].weekly_meetings_after == pytest.approx(3.2)
    assert levers["deal_size"].factor == pytest.approx(1.2)
    assert levers["deal_size"].weekly_meetings_after == pytest.approx(4.0)
    assert levers["add_pipeline"].factor == pytest.approx(1.25)
    assert levers["add_pipeline"].weekly_meetings_after == pytest.approx(3.84)
    assert plan.best_lever == levers["win_rate"]


def test_the_win_rate_lever_also_lifts_the_open_deals_before_the_leaky_stage() -> None:
    """eve's open deals expect 6 000 at Discovery (worth 20 000) and 12 000 at Proposal (worth
    30 000): 42 000 remains, 3.36 meetings a week. Converting 1.5 times better at Proposal
    lifts both stages by half, 3 000 + 6 000, leaving 33 000: 3.36 × 33/42 ÷ 1.5 = 1.76."""
    eve = _rates(
        won_amount=100_000,
        stages=(StageConversion("Discovery", 10, 8), StageConversion("Proposal", 10, 4)),
        meetings=20,
    )
    team = _rates(
        won_amount=100_000,
        stages=(StageConversion("Discovery", 10, 8), StageConversion("Proposal", 10, 6)),
        meetings=20,
    )
    pipeline = PipelineValue(
        0.0,
        2,
        50_000,
        18_000,
        "test",
        expected_by_stage={"Discovery": 6_000, "Proposal": 12_000},
        value_by_stage={"Discovery": 20_000, "Proposal": 30_000},
    )
    plan = rep_plan("eve", "Eve", _book(eve, team), pipeline, 60_000, PERIOD, AS_OF, SETTINGS)
    assert plan.weekly_meetings == pytest.approx(3.36)
    assert plan.best_lever is not None and plan.best_lever.name == "win_rate"
    assert plan.best_lever.weekly_meetings_after == pytest.approx(1.76)
    assert plan.best_lever.factor == pytest.approx(1.5 * 42 / 33)


def test_a_cycle_longer_than_the_time_left_leaves_only_the_open_pipeline() -> None:
    slow = Rates(20, 10, 100_000, (50.0,) * 10, (), 20, 10, 20, 10, {"meetings": 4.0})
    plan = rep_plan(
        "eve", "Eve", _book(slow, slow), _pipeline(0.0), 60_000, PERIOD, AS_OF, SETTINGS
    )
    assert plan.share_won_in_period == 0
    assert plan.weekly_meetings is None and plan.feasible is False
    assert any("no deal created from now on can be won" in note for note in plan.notes)


def _pipeline(expected: float) -> PipelineValue:
    return PipelineValue(0.0, 0, 0.0, expected, "test")
