"""Forecast-call accuracy: what the CRM's forecast categories said each week of a period,
against what closed in it, beside Attain's P50 as of the same week.

At the end of each week, from the deals' history as it stood then, for the open deals expected
to close in the period: the money in commit, best case and pipeline (an open deal without a
category counts as pipeline; `closed` as commit; `omitted` not at all), plus what had already
closed won in the period. The CRM's calls add up as Salesforce's forecast does:
commit call = won + commit; best-case call = that + best case; pipeline call = that +
pipeline. The actual is what the latest data version says closed won in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from attain.forecast.forecast import COMPANY, forecast_period
from attain.forecast.history import load_history as load_deal_history
from attain.forecast.settings import ForecastSettings
from attain.history.states import History, is_won, load_history
from attain.history.waterfall import (
    ONE_DAY,
    check_period,
    midnight,
    pipeline_states,
    week_starts,
)
from attain.metrics.periods import Period
from attain.store.currency import CurrencySettings
from attain.store.handle import Store

COMMIT_CATEGORIES = frozenset({"commit", "closed"})
EXCLUDED_CATEGORIES = frozenset({"omitted"})

P50_SOURCE = (
    "Attain's P50 is the forecast as of each week's last day (attain.forecast), censored at that "
    "day: deals created, closed, entering a stage or deleted later are unseen, and owners, "
    "teams and open deals' amounts are those of that week (from the history)"
)
"""What Attain's P50 beside the calls is and what it cannot see."""


@dataclass(frozen=True)
class CallWeek:
    """The CRM's calls at the end of one week of the period, and Attain's P50 then."""

    week: int
    as_of: date
    """The week's last day; the calls are as the history stood at its end."""
    won: float
    commit: float
    best_case: float
    pipeline: float
    commit_call: float
    best_case_call: float
    pipeline_call: float
    attain_p50: float | None
    """None when the P50 was not asked for."""


@dataclass(frozen=True)
class CallAccuracy:
    """The period's weekly calls against what actually closed won in it."""

    period: Period
    team_id: str | None
    rep_id: str | None
    currency: str | None
    actual: float
    complete: bool
    """Whether the period had ended by the last day read; else `actual` is only won so far."""
    weeks: list[CallWeek]
    p50_source: str | None
    """How Attain's P50 was made (None when not asked for)."""


def forecast_calls(
    backend: Store,
    period: Period,
    *,
    zone: str,
    forecast_settings: ForecastSettings | None = None,
    team_id: str | None = None,
    rep_id: str | None = None,
    through: date | None = None,
    currency: CurrencySettings | None = None,
) -> CallAccuracy:
    """The calls at the end of each week of `period` that ended by `through` (default today),
    against the period's won total; with `forecast_settings`, Attain's P50 beside each week
    (`backtest_simulations` runs each)."""
    check_period(period)
    last = min(through or date.today(), period.end)
    # The actual reads the latest rows, so there is no upper bound.
    history = load_history(
        backend, currency=currency, conversion_day=last, first=midnight(period.start)
    )
    weeks = calls(history, period, team_id=team_id, rep_id=rep_id, through=last)
    source = None
    if forecast_settings is not None:
        deals = load_deal_history(backend)
        weeks = [
            _with_p50(week, deals, period, zone, forecast_settings, team_id, rep_id)
            for week in weeks
        ]
        source = P50_SOURCE
    actual = won_in(history, None, period, team_id=team_id, rep_id=rep_id)
    complete = last >= period.end
    return CallAccuracy(period, team_id, rep_id, history.currency, actual, complete, weeks, source)


def calls(
    history: History,
    period: Period,
    *,
    team_id: str | None = None,
    rep_id: str | None = None,
    through: date,
) -> list[CallWeek]:
    """The CRM's calls at the end of each week of `period` whose last day is by `through`."""
    found = []
    for number, start in enumerate(week_starts(period, through), start=1):
        last = min(start + timedelta(days=6), period.end)
        if last > through:
            break
        moment = midnight(last + ONE_DAY)
        states = pipeline_states(history, moment, period, team_id, rep_id)
        open_ = states[states["in_pipeline"]]
        category = open_["forecast_category"].fillna("pipeline").astype(str)
        commit = float(open_.loc[category.isin(COMMIT_CATEGORIES), "amount"].sum())
        excluded = category.isin(COMMIT_CATEGORIES | EXCLUDED_CATEGORIES)
        best_case = float(open_.loc[category == "best_case", "amount"].sum())
        pipeline = float(open_.loc[~excluded & (category != "best_case"), "amount"].sum())
        won = won_in(history, moment, period, team_id=team_id, rep_id=rep_id)
        found.append(
            CallWeek(
                week=number,
                as_of=last,
                won=won,
                commit=commit,
                best_case=best_case,
                pipeline=pipeline,
                commit_call=won + commit,
                best_case_call=won + commit + best_case,
                pipeline_call=won + commit + best_case + pipeline,
                attain_p50=None,
            )
        )
    return found


def won_in(
    history: History,
    moment: pd.Timestamp | None,
    period: Period,
    *,
    team_id: str | None = None,
    rep_id: str | None = None,
) -> float:
    """Money won in `period` as the history stood at `moment` (None: the latest version), of
    deals the team or rep owned then."""
    latest = pd.Timestamp.max  # after every row's start: the rows still in force
    states = pipeline_states(history, latest if moment is None else moment, period, team_id, rep_id)
    closed_day = states["closed_at"].map(lambda at: None if pd.isna(at) else at.date())
    inside = closed_day.map(lambda day: day is not None and period.contains(day)).astype(bool)
    return float(states.loc[is_won(states) & inside & states["in_scope"], "amount"].sum())


def _with_p50(
    week: CallWeek,
    deals: Any,
    period: Period,
    zone: str,
    settings: ForecastSettings,
    team_id: str | None,
    rep_id: str | None,
) -> CallWeek:
    result = forecast_period(
        deals,
        period,
        week.as_of,
        targets={},
        names={},
        zone=zone,
        settings=settings,
        simulations=settings.backtest_simulations,
    )
    scope, id = ("rep", rep_id) if rep_id else ("team", team_id) if team_id else (COMPANY, COMPANY)
    try:
        p50: float | None = result.row(scope, id or COMPANY).p50
    except KeyError:
        p50 = None
    return CallWeek(**{**vars(week), "attain_p50": p50})
