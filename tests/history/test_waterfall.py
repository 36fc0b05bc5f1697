"""The pipeline waterfall of 2026-Q4 over the hand-built history (history_support.py).

Company, week 1 (Oct 1–7, version 1 → 2), by hand:

    start   D1 100 + D3 300 + D4 400 + D5 500 + D6 600 + D7 700 + D9 900 = 3,500 (7 deals)
    + created    D8 800          + pulled in  D2 200
    ± resized    D3 +50, D4 +20 (won at 420, booked at its final amount) = +70
    − pushed out D1 100          − lost D5 500    − won D4 420    − deleted D6 600
    = end   D2 200 + D3 350 + D7 700 + D8 800 + D9 900 = 2,950 (5 deals)

Week 2 (version 2 → 3): D10 created and won between the versions: + 1,000 created, − 1,000 won.
Week 3: nothing moves. Team A leaves out r3's D9 and sees D7 leave to r3: week 1 starts at
2,600 (6 deals) and ends at 1,350 (D2, D3, D8) after − 700 reassigned out.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from history_support import build_store, deal, write_history

from attain.errors import InputError
from attain.history.states import NO_HISTORY
from attain.history.waterfall import Movement, Waterfall, pipeline_waterfall
from attain.metrics.periods import Period, quarter_of
from attain.store import connect, raw_duckdb

Q4 = quarter_of(date(2026, 10, 1))
THROUGH = date(2026, 10, 21)


@pytest.fixture(scope="module")
def backend(history_db: str) -> Iterator[Any]:
    opened = connect(history_db, read_only=True)
    yield opened
    opened.disconnect()


def bars(result: Waterfall, week: int) -> dict[str, tuple[int, float]]:
    """The week's non-empty bars as movement -> (deals, money)."""
    found = result.weeks[week - 1]
    return {bar.movement.value: (bar.deals, bar.amount) for bar in found.bars if bar.deals}


def test_company_waterfall_matches_the_hand_computation(backend: Any) -> None:
    result = pipeline_waterfall(backend, Q4, through=THROUGH)
    assert [(w.week, w.start, w.end) for w in result.weeks] == [
        (1, date(2026, 10, 1), date(2026, 10, 7)),
        (2, date(2026, 10, 8), date(2026, 10, 14)),
        (3, date(2026, 10, 15), date(2026, 10, 21)),
    ]
    first = result.weeks[0]
    assert (first.start_deals, first.start_amount) == (7, 3500.0)
    assert bars(result, 1) == {
        "created": (1, 800.0),
        "pulled_in": (1, 200.0),
        "resized": (2, 70.0),
        "pushed_out": (1, -100.0),
        "lost": (1, -500.0),
        "won": (1, -420.0),
        "deleted": (1, -600.0),
    }
    assert (first.end_deals, first.end_amount) == (5, 2950.0)
    assert bars(result, 2) == {"created": (1, 1000.0), "won": (1, -1000.0)}
    assert bars(result, 3) == {}


def test_each_bar_names_the_deals_behind_it(backend: Any) -> None:
    week = pipeline_waterfall(backend, Q4, through=THROUGH).weeks[0]
    behind = {bar.movement: [(d.opportunity_id, d.amount) for d in bar.moved] for bar in week.bars}
    assert behind[Movement.RESIZED] == [("D3", 50.0), ("D4", 20.0)]
    assert behind[Movement.WON] == [("D4", -420.0)]
    assert behind[Movement.DELETED] == [("D6", -600.0)]


def test_a_team_loses_the_deal_reassigned_to_another_team(backend: Any) -> None:
    result = pipeline_waterfall(backend, Q4, team_id="A", through=THROUGH)
    first = result.weeks[0]
    assert (first.start_deals, first.start_amount) == (6, 2600.0)
    assert bars(result, 1)["reassigned_out"] == (1, -700.0)
    assert (first.end_deals, first.end_amount) == (3, 1350.0)
    rep = pipeline_waterfall(backend, Q4, rep_id="r3", through=THROUGH).weeks[0]
    assert (rep.start_amount, rep.end_amount) == (900.0, 1600.0)
    assert [(b.movement, b.amount) for b in rep.bars if b.deals] == [
        (Movement.REASSIGNED_IN, 700.0)
    ]


@pytest.mark.parametrize("scope", [{}, {"team_id": "A"}, {"team_id": "B"}, {"rep_id": "r1"}])
def test_start_plus_movements_is_the_end_and_the_next_start(backend: Any, scope: Any) -> None:
    weeks = pipeline_waterfall(backend, Q4, through=date(2026, 12, 31), **scope).weeks
    assert len(weeks) == 14  # 13 whole weeks and Dec 31
    for week in weeks:
        moved = sum(bar.amount for bar in week.bars)
        assert week.start_amount + moved == week.end_amount
        assert sum(sum(d.amount for d in bar.moved) for bar in week.bars) == moved
    for before, after in itertools.pairwise(weeks):
        assert (before.end_deals, before.end_amount) == (after.start_deals, after.start_amount)


def test_deal_counts_add_up_too(backend: Any) -> None:
    for week in pipeline_waterfall(backend, Q4, through=THROUGH).weeks:
        entering = {Movement.CREATED, Movement.PULLED_IN, Movement.REOPENED, Movement.REASSIGNED_IN}
        leaving = {Movement.PUSHED_OUT, Movement.REASSIGNED_OUT, Movement.LOST, Movement.WON}
        leaving |= {Movement.DELETED}
        came = sum(week.bar(m).deals for m in entering)
        went = sum(week.bar(m).deals for m in leaving)
        assert week.start_deals + came - went == week.end_deals


def test_a_period_not_started_has_no_weeks(backend: Any) -> None:
    with pytest.raises(InputError, match="no week to show"):
        pipeline_waterfall(backend, Q4, through=date(2026, 9, 30))


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (Period(date(1, 1, 1), date(9999, 12, 31)), "at most 400 days"),
        (Period(date(1800, 1, 1), date(1800, 3, 31)), "between 1900 and 2199"),
    ],
)
def test_periods_too_long_or_out_of_range_are_refused(
    backend: Any, period: Period, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        pipeline_waterfall(backend, period)


def test_a_store_without_history_says_so(store: Any) -> None:
    result = pipeline_waterfall(store, Q4, through=THROUGH)
    assert [week.end_amount for week in result.weeks] == [0.0, 0.0, 0.0]
    assert result.notes == [NO_HISTORY]


def test_a_store_with_history_has_no_note(backend: Any) -> None:
    assert pipeline_waterfall(backend, Q4, through=THROUGH).notes == []


def test_amounts_with_cents_add_up_to_the_cent(tmp_path: Path) -> None:
    """Beside the hand-built deals, three of 0.10, 0.20 and 1,234.56 that resize by cents or
    disappear: in floats 0.1 + 0.2 is not 0.3, in the waterfall's cents it is."""
    location = build_store(tmp_path / "store.duckdb")
    backend = connect(location)
    versions = {
        1: {"F1": deal(0.1), "F2": deal(0.2)},
        2: {"F1": deal(0.3), "F2": deal(0.2), "F3": deal(1234.56)},
        3: {"F1": deal(0.7), "F3": deal(1234.57)},
    }
    write_history(raw_duckdb(backend), versions)
    try:
        weeks = pipeline_waterfall(backend, Q4, through=THROUGH).weeks
    finally:
        backend.disconnect()
    cents = [
        (
            round(w.start_amount * 100),
            [round(b.amount * 100) for b in w.bars],
            round(w.end_amount * 100),
        )
        for w in weeks
    ]
    for start, bars, end in cents:
        assert start + sum(bars) == end
    assert [start for start, _, _ in cents][1:] == [end for _, _, end in cents][:-1]
    resized = {d.opportunity_id: d.amount for d in weeks[0].bar(Movement.RESIZED).moved}
    assert resized["F1"] == 0.2 and weeks[0].bar(Movement.RESIZED).amount == 70.2
    deleted = {d.opportunity_id: d.amount for d in weeks[1].bar(Movement.DELETED).moved}
    assert deleted == {"F2": -0.2}
