"""P(an open deal is won by the end of the period): a calibrated model of the organisation's
own history in windows as long as what remains of the period.

Windows end near each past period's end (± jitter days, the same point of the period) and in
the last jitter days before the forecast (the latest conditions); only windows that ended by the
forecast moment and began after the first recorded close are used, so every label was known
then. Examples are the deals open at each window's start, label = won inside it. The lead
model's machinery trains it (LightGBM or logistic regression, calibrated, with a card measured
on the latest examples); with too little history the examples' rate stands in (0 with none).
Each training window keeps the ratio of the value actually won in it to the value the model
expected; simulations replay one window each (its ratio and its new business together). On top,
every weekly window of the look-back measures how much such ratios move beyond chance (the
spread of their logarithm, less the part that deals won or lost by chance alone give), and runs
spread by that much: a forecast is as unsure as past windows were surprising, not only the few
that sit at period ends. A backtest of many weeks of a large organisation fits one model per
quarter for all of them (`fit_win_models`: the windows of every week's horizon pooled, the time
left as a feature), instead of one per week.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
import pandas as pd

from attain.errors import InputError
from attain.forecast.history import DealHistory
from attain.forecast.snapshots import FEATURES, KEY, keyed_open_at
from attain.leads.measures import roc_auc
from attain.leads.model import Boosting, ModelCard, TrainedModel, train

LABEL = "won_in_window"
TIME_LEFT = "days_left"
"""The feature a model pooled over several horizons (`fit_win_models`) learns the time left
from: the window's length in days (at a forecast, the days from its moment to the period end)."""
STEP_DAYS = 7
"""Days between the ends of consecutive past windows."""
RATIO_FLOOR = 0.05
"""Won ÷ expected ratios are clipped to [RATIO_FLOOR, 1 / RATIO_FLOOR] before taking logs."""
WINDOW_DEALS = 4000
"""Open deals sampled per past window at most: a uniform sample keeps rates and ratios unbiased
and bounds training and scoring on organisations with tens of thousands of open deals."""
WEEKLY_DEALS = 1000
"""Open deals sampled per weekly window at most: these windows only measure how far won ÷
expected moves from week to week, and the part of that spread that chance gives is measured on
the same sample. At 1,000 reps (20,000 open deals a window) the spread came out 0.108 against
0.114 from 4,000, for a quarter of the scoring and fewer features to compute."""
QUICK_FIT_EXAMPLES = 20_000
"""From this many examples the model is boosted with QUICK_BOOSTING; below, as the lead model
is (learning rate 0.03, then a refit on all rows), which costs well under a second at that size
and keeps small organisations' forecasts as they were (demo organisations: 6,000 examples at 20
reps, 75,000 at 200)."""
QUICK_BOOSTING = Boosting(learning_rate=0.1, refit=False)
"""A learning rate of 0.1 (about a third of the trees) and no refit (half the training). At
1,000 reps (80,000 examples) fitting the win model and scoring with it took 2.6 CPU s against
7.4 (with WEEKLY_DEALS), held-out ROC AUC 0.798 against 0.800; the calibration benchmark at
200 reps was unchanged (docs/forecast.md, "Speed at size")."""
MIN_EXAMPLES = 200
"""Fewer examples (or fewer than 20 of either outcome) get the plain rate instead of a model."""
MIN_MODEL_AUC = 0.6
"""A deal model whose held-out ROC AUC is below this ranks deals little better than chance: the
stage rates are used instead (as they are when the model does no better than them)."""
HOLDOUT = 0.2
"""The latest share of the examples (by window start) the model's card is measured on."""


@dataclass(frozen=True)
class WinModel:
    """Win-by-period-end probabilities for open deals, from a model or a plain rate."""

    model: TrainedModel | None
    rate: float
    examples: int
    ends: list[pd.Timestamp]
    ratios: np.ndarray
    """Per training window: value won ÷ value the model expected (1 when nothing expected)."""
    spread: float
    """Standard deviation of log(won ÷ expected) over every weekly window of the look-back,
    beyond what chance alone gives when each deal is won with its probability."""
    stage_rates: dict[str, float] = field(default_factory=dict)
    """P(won in the window) per stage, when the stage rates stand in for the deal model."""
    fallback: str = ""
    """Why the deal model was not used, e.g. 'its ROC AUC 0.55 is below 0.6'; empty if it was."""
    time_left: float | None = None
    """Days from the forecast moment to the period end: the TIME_LEFT of a pooled model."""

    @property
    def card(self) -> ModelCard | None:
        """The trained model's card; None when the plain rate is used."""
        return None if self.model is None else self.model.card

    @property
    def method(self) -> str:
        """ "lightgbm", "logistic_regression", "history rate" or "no history"."""
        if self.model is not None:
            return self.model.card.algorithm
        if self.stage_rates:
            return "stage rates"
        return "history rate" if self.examples else "no history"

    def probabilities(self, snapshot: pd.DataFrame) -> np.ndarray:
        """P(won by the period end) per row of an `open_at` snapshot."""
        if snapshot.empty:
            return np.zeros(0)
        if self.model is None and self.stage_rates:
            rates = snapshot["stage"].astype(str).map(self.stage_rates)
            return rates.fillna(self.rate).to_numpy(dtype=float)
        if self.model is None:
            return np.full(len(snapshot), self.rate)
        if TIME_LEFT in self.model.plan.names:
            return self.model.predict_proba(
                snapshot[FEATURES].assign(**{TIME_LEFT: self.time_left})
            )
        return self.model.predict_proba(snapshot[FEATURES])


def window_ends(
    history: DealHistory,
    moment: pd.Timestamp,
    period_ends: list[pd.Timestamp],
    horizon: timedelta,
    jitter_days: int,
) -> list[pd.Timestamp]:
    """Ends of past windows like the forecast's, a week apart: near each past period end and
    just before `moment`; ended by `moment`, begun after the first recorded close."""
    first = history.first_close
    if first is None or horizon <= timedelta(0):
        return []
    # Shifts stay within a quarter of the window's length, so short windows keep the period
    # end (where quarter-end closes land) in the same place; five windows per past period.
    reach = min(jitter_days, horizon.days // 4)
    shifts = {timedelta(days=round(reach * share)) for share in (-1, -0.5, 0, 0.5, 1)}
    aligned = {end + shift for end in period_ends for shift in shifts}
    usable = [end for end in sorted(aligned) if end <= moment and end - horizon >= first]
    if usable:
        return usable
    recent = {moment - timedelta(days=day) for day in range(0, jitter_days + 1, STEP_DAYS)}
    return [end for end in sorted(recent) if end - horizon >= first]


def weekly_ends(
    history: DealHistory, moment: pd.Timestamp, horizon: timedelta, since: pd.Timestamp
) -> list[pd.Timestamp]:
    """Ends of every window a week apart back from `moment` to `since`, begun after the first
    recorded close."""
    first = history.first_close
    if first is None or horizon <= timedelta(0):
        return []
    ends = pd.date_range(end=moment, start=since, freq=f"{STEP_DAYS}D")
    return [end for end in ends if end - horizon >= first]


def fit_win_model(
    history: DealHistory,
    moment: pd.Timestamp,
    period_ends: list[pd.Timestamp],
    horizon: timedelta,
    *,
    jitter_days: int,
    seed: int,
    meanwhile: Callable[[], None] | None = None,
) -> WinModel:
    """Train on the history known at `moment` (the caller censors it) for this horizon;
    `meanwhile` as fit_win_models runs it."""
    models = fit_win_models(
        history,
        moment,
        period_ends,
        [horizon],
        jitter_days=jitter_days,
        seed=seed,
        meanwhile=meanwhile,
    )
    return models[horizon]


def fit_win_models(
    history: DealHistory,
    moment: pd.Timestamp,
    period_ends: list[pd.Timestamp],
    horizons: Sequence[timedelta],
    *,
    jitter_days: int,
    seed: int,
    meanwhile: Callable[[], None] | None = None,
) -> dict[timedelta, WinModel]:
    """One model for several horizons, trained on the history known at `moment` (the caller
    censors it): the windows of every horizon pooled, the horizon as a feature (TIME_LEFT), so
    a backtest fits once per quarter and reuses the model for every later week of it (each
    window ended by `moment`: no week sees beyond it). With one horizon, `fit_win_model`'s
    model exactly: no TIME_LEFT column, the same examples. `meanwhile`, the caller's work that
    needs no model, runs once on this thread, while the model trains where one does."""
    horizons = sorted(set(horizons))
    ends = {h: window_ends(history, moment, period_ends, h, jitter_days) for h in horizons}
    examples = _pooled(history, ends, seed, WINDOW_DEALS)
    empty = WinModel(None, 0.0, 0, [], np.ones(0), 0.0)
    if examples.empty:
        (meanwhile or _nothing)()
        return {h: replace(empty, ends=ends[h], ratios=np.ones(len(ends[h]))) for h in horizons}
    # Training sees as many examples as one horizon would have alone; the ratios and the spread
    # of each horizon are measured on all of its windows' examples, as with one horizon.
    bound = WINDOW_DEALS * max(len(found) for found in ends.values())
    learned = examples.sample(n=bound, random_state=seed) if len(examples) > bound else examples
    since = min(period_ends, default=moment) - timedelta(days=jitter_days)
    # LightGBM releases the GIL while it boosts and scores: the weekly windows' examples are
    # gathered meanwhile (the same frames either way).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="attain-win-model") as helper:
        training = helper.submit(_trained, learned.sort_index(), seed)
        weekly = _pooled(
            history,
            {h: weekly_ends(history, moment, h, since) for h in horizons},
            seed,
            WEEKLY_DEALS,
        )
        (meanwhile or _nothing)()  # the training thread is the longer (1,000 reps: 0.6 CPU s)
        model, fallback = training.result()
    found = {}
    for horizon in horizons:
        mine = _of_horizon(examples, horizon)
        if mine.empty:  # no window of this horizon (none is as long): as with no examples
            found[horizon] = replace(empty, ends=ends[horizon], ratios=np.ones(len(ends[horizon])))
            continue
        rates = stage_rates(mine) if fallback else {}
        base = WinModel(
            model,
            float(mine[LABEL].mean()),
            min(len(examples), bound),
            ends[horizon],
            np.ones(len(ends[horizon])),
            0.0,
            rates,
            fallback,
            horizon / timedelta(days=1),
        )
        ratios = _ratios(base, mine)["ratio"].reindex(
            pd.DatetimeIndex(ends[horizon]) - horizon, fill_value=1.0
        )
        spread = _spread(_ratios(base, _of_horizon(weekly, horizon)))
        found[horizon] = replace(base, ratios=ratios.to_numpy(dtype=float), spread=spread)
    return found


def _nothing() -> None:
    """No work of the caller's to do while the model trains."""


def _trained(examples: pd.DataFrame, seed: int) -> tuple[TrainedModel | None, str]:
    """The deal model trained on `examples` (None with too few of either outcome, or when the
    stage rates stand in for it) and, when they do, why."""
    positives = int(examples[LABEL].sum())
    if len(examples) < MIN_EXAMPLES or min(positives, len(examples) - positives) < 20:
        return None, ""
    columns = [*FEATURES, *([TIME_LEFT] if TIME_LEFT in examples else []), "moment", LABEL]
    try:
        model = train(
            examples[columns],
            LABEL,
            time_column="moment",
            holdout=HOLDOUT,
            seed=seed,
            boosting=QUICK_BOOSTING if len(examples) >= QUICK_FIT_EXAMPLES else Boosting(),
        )
    except InputError:
        return None, ""
    _, fallback = stage_fallback(examples, model)
    return (None, fallback) if fallback else (model, "")


def _spread(weekly: pd.DataFrame) -> float:
    """The spread of log(won ÷ expected) over weekly windows (`_ratios`) beyond chance."""
    logs = np.log(np.clip(weekly["ratio"].to_numpy(dtype=float), RATIO_FLOOR, 1 / RATIO_FLOOR))
    # The simulation draws each deal's win itself: only what windows moved beyond chance is
    # left for the spread of a run's scale.
    beyond = logs.var() - weekly["chance"].mean() if len(logs) > 1 else 0.0
    return float(np.sqrt(max(beyond, 0.0)))


def stage_fallback(examples: pd.DataFrame, model: TrainedModel) -> tuple[dict[str, float], str]:
    """The stage rates and why, when the deal model does no better than they do on the same
    held-out examples (the latest HOLDOUT by window start), or its ROC AUC is below
    MIN_MODEL_AUC; else no rates and an empty reason."""
    rows = examples.reset_index(drop=True)
    order = rows["moment"].sort_values(kind="stable").index.to_numpy()
    cut = len(order) - max(1, round(len(order) * HOLDOUT))
    kept, held = rows.iloc[order[:cut]], rows.iloc[order[cut:]]
    rates = stage_rates(kept)
    model_auc = model.card.roc_auc
    if held[LABEL].nunique() < 2:
        return {}, ""
    base = float(kept[LABEL].mean())
    scored = held["stage"].astype(str).map(rates).fillna(base).to_numpy(dtype=float)
    stage_auc = roc_auc(held[LABEL].to_numpy(), scored)
    if model_auc < MIN_MODEL_AUC:
        reason = f"the deal model's ROC AUC {model_auc:.2f} is below {MIN_MODEL_AUC}"
    elif model_auc <= stage_auc:
        reason = (
            f"the deal model (ROC AUC {model_auc:.2f}) does no better than the stage rates "
            f"({stage_auc:.2f}) on held-out history"
        )
    else:
        return {}, ""
    return stage_rates(rows), reason


def stage_rates(examples: pd.DataFrame) -> dict[str, float]:
    """Share of the examples in each stage won inside their window, pulled towards the overall
    share by one example (a stage seen once is not certain)."""
    overall = float(examples[LABEL].mean()) if len(examples) else 0.0
    grouped = examples.groupby(examples["stage"].astype(str))[LABEL].agg(["sum", "count"])
    smoothed = (grouped["sum"] + overall) / (grouped["count"] + 1)
    return {str(stage): float(rate) for stage, rate in smoothed.items()}


def _examples(
    history: DealHistory,
    ends: list[pd.Timestamp],
    horizon: timedelta,
    seed: int,
    per_window: int,
) -> pd.DataFrame:
    """Deals open at each window's start (a random `per_window` of them in larger windows),
    labelled won inside the window or not."""
    starts = [end - horizon for end in ends]
    return _labelled(
        history, keyed_open_at(history, starts, per_moment=per_window, seed=seed), horizon
    )


def _labelled(history: DealHistory, examples: pd.DataFrame, horizon: timedelta) -> pd.DataFrame:
    """`keyed_open_at` rows (their KEY dropped) labelled won within `horizon` of their moment."""
    if examples.empty:
        return examples.drop(columns=KEY)
    # Each example's deal, found by key: a row of `deals` (deal ids are unique there).
    row = pd.Index(history.keys_of("deals")).get_indexer(examples[KEY].to_numpy())
    closed_at = history.deals["closed_at"].to_numpy()[row]
    won = history.deals["is_won"].fillna(False).to_numpy(dtype=bool)[row]
    window_end = (examples["moment"] + horizon).to_numpy()
    examples = examples.drop(columns=KEY)
    examples[LABEL] = (won & (closed_at <= window_end)).astype(int)
    return examples


def _pooled(
    history: DealHistory, ends: dict[timedelta, list[pd.Timestamp]], seed: int, per_window: int
) -> pd.DataFrame:
    """`_examples` of the windows of every horizon (ending at `ends[horizon]`), with the horizon
    in days in TIME_LEFT; one horizon's exactly as `_examples` gives them, without TIME_LEFT.
    Each start's open deals are read once for every horizon whose windows begin there."""
    if len(ends) == 1:
        ((horizon, only),) = ends.items()
        return _examples(history, only, horizon, seed, per_window)
    starts = sorted({end - horizon for horizon, found in ends.items() for end in found})
    rows = keyed_open_at(history, starts, per_moment=per_window, seed=seed)
    frames = [
        _labelled(
            history, rows.loc[rows["moment"].isin([end - horizon for end in found])], horizon
        ).assign(**{TIME_LEFT: horizon / timedelta(days=1)})
        for horizon, found in ends.items()
    ]
    return pd.concat(frames, ignore_index=True)


def _of_horizon(examples: pd.DataFrame, horizon: timedelta) -> pd.DataFrame:
    """The examples of windows as long as `horizon` (all of them when not pooled)."""
    if TIME_LEFT not in examples:
        return examples
    return examples.loc[examples[TIME_LEFT] == horizon / timedelta(days=1)]


def _ratios(model: WinModel, examples: pd.DataFrame) -> pd.DataFrame:
    """Per window start (windows where nothing was expected left out): `ratio`, won ÷ expected
    value, and `chance`, the variance of its logarithm that chance alone gives when every deal
    is won with the model's probability (Σ value² p (1 − p) ÷ expected², the delta method)."""
    if examples.empty:
        return pd.DataFrame({"ratio": pd.Series(dtype=float), "chance": pd.Series(dtype=float)})
    probability = model.probabilities(examples)
    windows = (
        pd.DataFrame(
            {
                "start": examples["moment"],
                "won": examples["value"] * examples[LABEL],
                "expected": examples["value"] * probability,
                "variance": examples["value"] ** 2 * probability * (1 - probability),
            }
        )
        .groupby("start")[["won", "expected", "variance"]]
        .sum()
    )
    windows = windows.loc[windows["expected"] > 0]
    return pd.DataFrame(
        {
            "ratio": windows["won"] / windows["expected"],
            "chance": windows["variance"] / windows["expected"] ** 2,
        }
    )
