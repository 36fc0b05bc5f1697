"""Forecast-call accuracy of 2026-Q4 over the hand-built history (history_support.py).

At the end of week 1 (version 2): open deals expected in Q4 are D2 200 (no category:
pipeline), D3 350 commit, D7 700 best case, D8 800 pipeline and D9 900 omitted; D4 was won for
420. So commit call = 420 + 350 = 770, best case = 770 + 700 = 1,470, pipeline = 1,470 + 1,000
= 2,470. Week 2 (version 3) adds D10's 1,000 won: 1,770, 2,470, 3,470. Actual: 1,420.
Team A at week 1: D3 commit 350, D2 and D8 pipeline 1,000, nothing best case (D7 went to r3's
team B), D4 won 420.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from attain.forecast.settings import ForecastSettings
from attain.history.calls import forecast_calls
from attain.metrics.periods import quarter_of
from attain.store import connect

Q4 = quarter_of(date(2026, 10, 1))


@pytest.fixture(scope="module")
def backend(history_db: str) -> Iterator[Any]:
    opened = connect(history_db, read_only=True)
    yield opened
    opened.disconnect()


def test_weekly_calls_match_the_hand_computation(backend: Any) -> None:
    result = forecast_calls(backend, Q4, zone="UTC", through=date(2026, 10, 21))
    assert result.actual == 1420.0
    rows = [
        (w.as_of, w.won, w.commit_call, w.best_case_call, w.pipeline_call, w.attain_p50)
        for w in result.weeks
    ]
    assert rows == [
        (date(2026, 10, 7), 420.0, 770.0, 1470.0, 2470.0, None),
        (date(2026, 10, 14), 1420.0, 1770.0, 2470.0, 3470.0, None),
        (date(2026, 10, 21), 1420.0, 1770.0, 2470.0, 3470.0, None),
    ]
    assert result.p50_source is None
    assert not result.complete  # the weeks through October 21 of a quarter ending in December


def test_only_weeks_that_ended_are_called(backend: Any) -> None:
    result = forecast_calls(backend, Q4, zone="UTC", through=date(2026, 10, 13))
    assert [w.week for w in result.weeks] == [1]


def test_a_team_s_calls_count_the_deals_it_owned_that_week(backend: Any) -> None:
    week = forecast_calls(backend, Q4, zone="UTC", team_id="A", through=date(2026, 10, 7))
    first = week.weeks[0]
    assert (first.won, first.commit, first.best_case, first.pipeline) == (420.0, 350.0, 0.0, 1000.0)
    assert week.actual == 1420.0  # D4 and D10, both r1's


def test_attain_s_p50_stands_beside_each_week_and_says_how_it_was_made(backend: Any) -> None:
    settings = ForecastSettings(backtest_simulations=200)
    result = forecast_calls(
        backend, Q4, zone="UTC", forecast_settings=settings, through=date(2026, 10, 14)
    )
    assert [w.attain_p50 is not None for w in result.weeks] == [True, True]
    assert result.p50_source is not None and "censored at that day" in result.p50_source
