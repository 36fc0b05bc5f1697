"""A forecast for a past day cannot see anything that happened after it (issue 6).

The history is rewritten after the as-of moment in every way a CRM can change (outcomes
flipped, amounts changed, deals added, stage entries added and moved) and the forecast and its
backtest point must not change at all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from forecast_support import demo_history

from attain.forecast.backtest import quarter_models
from attain.forecast.forecast import forecast_period, week_as_of
from attain.forecast.history import DealHistory, known_at
from attain.forecast.settings import ForecastSettings
from attain.forecast.win_model import TIME_LEFT, WinModel
from attain.metrics.periods import quarter_of

AS_OF = date(2026, 8, 14)
MOMENT = pd.Timestamp("2026-08-15")
SETTINGS = ForecastSettings(simulations=300, backtest_simulations=300)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> DealHistory:
    return demo_history(tmp_path_factory.mktemp("leak"), reps=12, quarters=5, seed=4)


def rewrite_the_future(history: DealHistory) -> DealHistory:
    """Every fact dated after MOMENT changed; everything before it untouched."""
    deals = history.deals.copy()
    later = deals["closed_at"] > MOMENT
    assert later.sum() > 50
    deals.loc[later, "is_won"] = ~deals.loc[later, "is_won"].astype(bool)
    deals.loc[later, "amount"] = deals.loc[later, "amount"] * 3 + 1
    deals.loc[later, "closed_at"] = deals.loc[later, "closed_at"] + pd.Timedelta(days=3)
    extra = deals.loc[deals["created_at"] > MOMENT].head(40).copy()
    assert len(extra) == 40
    extra["opportunity_id"] = "new-" + extra["opportunity_id"]
    stages = history.stages.copy()
    after = stages["entered_at"] > MOMENT
    stages.loc[after, "stage"] = "Negotiation"
    stages.loc[after, "amount"] = 1.0
    moved = stages.loc[stages["entered_at"] <= MOMENT].head(30).copy()
    moved["entered_at"] = MOMENT + pd.Timedelta(days=2)
    return replace(
        history,
        deals=pd.concat([deals, extra], ignore_index=True),
        stages=pd.concat([stages, moved], ignore_index=True).sort_values("entered_at"),
    )


def forecast(history: DealHistory) -> list[tuple[str, str, float, float, float, float]]:
    result = forecast_period(
        history,
        quarter_of(AS_OF),
        AS_OF,
        targets={},
        names={},
        zone="UTC",
        settings=SETTINGS,
        simulations=300,
    )
    return [(r.scope, r.id, r.p10, r.p50, r.p90, r.weighted_pipeline) for r in result.rows]


def test_rewriting_everything_after_the_as_of_day_changes_nothing(history: DealHistory) -> None:
    original = forecast(history)
    assert any(p50 > 0 for _, _, _, p50, _, _ in original)
    assert forecast(rewrite_the_future(history)) == original


def test_a_quarter_model_reused_across_weeks_sees_nothing_after_its_first_week(
    history: DealHistory,
) -> None:
    """The backtest's one model per quarter (fitted at week 2's end, reused at week 6, both
    before the rewrite): its windows ended by week 2, and neither it nor week 6's forecast with
    it changes when everything after MOMENT does."""
    period = quarter_of(AS_OF)
    models = quarter_models(history, period, (2, 6), "UTC", SETTINGS, least_examples=0)
    again = quarter_models(
        rewrite_the_future(history), period, (2, 6), "UTC", SETTINGS, least_examples=0
    )
    first = pd.Timestamp(week_as_of(period, 2)) + pd.Timedelta(days=1)
    assert models[2].time_left is not None and models[6].time_left is not None
    assert models[2].time_left - models[6].time_left == 28  # four weeks less left
    assert all(end <= first for model in models.values() for end in model.ends)
    trained = models[6].model
    assert trained is not None and TIME_LEFT in trained.plan.names
    for week in (2, 6):
        assert np.array_equal(models[week].ratios, again[week].ratios)
        assert models[week].spread == again[week].spread

    def rows(known: DealHistory, model: WinModel) -> list[tuple[str, str, float, float]]:
        result = forecast_period(
            known,
            period,
            week_as_of(period, 6),
            targets={},
            names={},
            zone="UTC",
            settings=SETTINGS,
            simulations=300,
            win_model=model,
        )
        return [(r.scope, r.id, r.p50, r.expected_open) for r in result.rows]

    assert rows(rewrite_the_future(history), again[6]) == rows(history, models[6])


def test_the_rewrite_is_visible_to_a_later_forecast(history: DealHistory) -> None:
    """Guards the test above: the rewrite does change what a later day knows."""
    later = known_at(rewrite_the_future(history), pd.Timestamp("2026-11-01"))
    assert not np.array_equal(
        known_at(history, pd.Timestamp("2026-11-01")).deals["is_won"].fillna(False).to_numpy(),
        later.deals["is_won"].fillna(False).to_numpy()[: len(history.deals)],
    )


def test_known_at_reopens_later_closes_and_drops_later_deals(history: DealHistory) -> None:
    known = known_at(history, MOMENT)
    assert known.deals["created_at"].max() <= MOMENT
    assert known.deals["closed_at"].max() <= MOMENT
    reopened = known.deals["closed_at"].isna()
    assert known.deals.loc[reopened, "is_won"].isna().all()
    assert known.deals.loc[reopened, "amount"].isna().all()
    assert known.stages["entered_at"].max() <= MOMENT
