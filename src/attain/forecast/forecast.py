"""The quarter-end bookings forecast per rep, team and company, as a distribution.

At the end of the as-of day: bookings so far, plus a Monte Carlo of the open deals (each won
by the period end with its calibrated probability) and of business not yet created (a past
window's worth). Beside it, the two numbers CRMs show: the weighted pipeline (bookings so far +
value × the stage's historical win rate over every open deal) and the run-rate (bookings so far
÷ the share of the period elapsed).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from attain.forecast.calibration import Calibration
from attain.forecast.crm_pipeline import (
    CrmRollup,
    crm_probabilities,
    crm_rollup,
    open_crm_deals,
)
from attain.forecast.history import DealHistory, booked, known_at, load_history, stage_deals
from attain.forecast.new_business import new_business_samples
from attain.forecast.settings import ForecastSettings
from attain.forecast.simulate import simulate
from attain.forecast.snapshots import open_at
from attain.forecast.win_model import WinModel, fit_win_model
from attain.leads.model import ModelCard
from attain.metrics.attainment import Scope, scope_names
from attain.metrics.coverage import end_of_day_utc
from attain.metrics.periods import Period, quarter_of
from attain.metrics.targets import SELLING_ROLE, period_targets, quota_targets, rep_roster

SCOPES = ("company", "team", "rep")
COMPANY = "company"
CATEGORY_PROBABILITY = {"commit": 1.0, "omitted": 0.0}
"""Win probability a deal's forecast category fixes; other categories keep the model's."""


@dataclass(frozen=True)
class Overrides:
    """People's values in place of computed ones (see attain.plan.overrides, which reads the
    live ones from the app database): a win probability per stage, a forecast category per
    opportunity, a grade per lead."""

    stage_probability: Mapping[str, float] = field(default_factory=dict)
    forecast_category: Mapping[str, str] = field(default_factory=dict)
    lead_grade: Mapping[str, str] = field(default_factory=dict)

    def win_probabilities(
        self, stages: pd.Series, opportunity_ids: pd.Series, computed: np.ndarray
    ) -> np.ndarray:
        """`computed` with overridden stages' probability, then deals in a category that fixes
        one ("commit" 1, "omitted" 0): the deal's own override wins over its stage's."""
        result = np.asarray(computed, dtype=float).copy()
        if self.stage_probability:
            by_stage = stages.astype(str).map(dict(self.stage_probability))
            result = np.where(by_stage.notna(), by_stage.to_numpy(dtype=float), result)
        fixed = {
            deal: CATEGORY_PROBABILITY[category]
            for deal, category in self.forecast_category.items()
            if category in CATEGORY_PROBABILITY
        }
        if fixed:
            by_deal = opportunity_ids.astype(str).map(fixed)
            result = np.where(by_deal.notna(), by_deal.to_numpy(dtype=float), result)
        return result


@dataclass(frozen=True)
class ForecastRow:
    """One rep, team or the company: where bookings will land and what CRMs would say."""

    scope: str
    id: str
    name: str
    team_id: str | None
    booked: float
    open_deals: int
    open_value: float
    expected_open: float
    expected_new: float
    mean: float
    p10: float
    p50: float
    p90: float
    target: float | None
    chance_of_target: float | None
    weighted_pipeline: float
    run_rate: float


@dataclass(frozen=True)
class DealProbability:
    """One open deal's chance of being won by the period end: the model's calibrated one and
    the one the forecast used after overrides, so an override can be shown beside the model."""

    opportunity_id: str
    owner_rep_id: str
    stage: str
    value: float
    model_probability: float
    probability: float
    category: str | None
    """The deal's forecast-category override, if any."""


@dataclass(frozen=True)
class Forecast:
    """The forecast of one period as of one day, with how its win probabilities were made."""

    period: Period
    as_of: date
    elapsed: float
    simulations: int
    method: str
    examples: int
    card: ModelCard | None
    rows: list[ForecastRow]
    deals: list[DealProbability]
    """Every deal open at the as-of moment, in opportunity id order."""
    crm: CrmRollup | None = None
    """The CRM's own weighted pipeline and forecast-category roll-up for the period."""
    method_note: str = ""
    """Why `method` was used instead of the deal model (e.g. its ROC AUC was below 0.6)."""
    target_source: str = "quotas"
    """'quotas', 'flat target of N per rep' (--target) or 'none'."""
    calibrations: tuple[Calibration, ...] = ()
    """How each scope kind's band was centred and widened on the organisation's own backtest
    (attain.forecast.calibrated); empty for a forecast made without."""

    def row(self, scope: str, id: str = COMPANY) -> ForecastRow:
        """The row of one scope and id; KeyError when there is none."""
        for row in self.rows:
            if row.scope == scope and row.id == id:
                return row
        raise KeyError(f"no {scope} row {id!r}")

    def deal(self, opportunity_id: str) -> DealProbability:
        """The open deal of this id; KeyError when it is not open at the as-of moment."""
        for deal in self.deals:
            if deal.opportunity_id == opportunity_id:
                return deal
        raise KeyError(f"no open deal {opportunity_id!r}")


def forecast(
    backend: Any,
    as_of: date,
    *,
    zone: str,
    settings: ForecastSettings,
    overrides: Overrides | None = None,
    target: float | None = None,
    history: DealHistory | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Forecast:
    """Forecast the quarter containing `as_of` from the store's deals and quotas (`target`: a
    flat bookings target per selling rep when the store holds no quotas; `history`: the
    store's deal history when the caller has already read it). The store's roster, targets
    and CRM probabilities are read, and then the caller's `meanwhile` run, on this thread
    while the win model trains on another (0.15 s at 1,000 reps that waited on it)."""
    period = quarter_of(as_of)
    reads: list[_StoreReads] = []

    def read_store() -> None:
        reads.append(_StoreReads.read(backend, period, as_of, target))
        if meanwhile is not None:
            meanwhile()

    fitted = _fit(
        load_history(backend) if history is None else history,
        period,
        as_of,
        zone=zone,
        settings=settings,
        meanwhile=read_store,
    )
    (store,) = reads
    result = _forecast_fitted(
        fitted,
        targets=store.targets,
        names={**store.names["team"], **store.names["rep"]},
        simulations=settings.simulations,
        settings=settings,
        overrides=overrides,
        crm=store.crm,
    )
    return replace(result, target_source=store.source)


class _StoreReads(NamedTuple):
    """What `forecast` reads of the store beside the deal history."""

    targets: dict[str, float]
    source: str
    names: dict[Scope, dict[str, str]]
    crm: pd.DataFrame | None

    @classmethod
    def read(cls, backend: Any, period: Period, as_of: date, target: float | None) -> _StoreReads:
        roster = rep_roster(backend)
        names = scope_names(backend, roster)
        targets, source = quarter_targets(backend, period, roster, target)
        return cls(targets, source, names, open_crm_deals(backend, as_of))


def targets_or_flat(
    quotas: dict[str, float], roster: pd.DataFrame, target: float | None
) -> tuple[dict[str, float], str]:
    """The quotas' targets, else `target` for every selling rep (as report and diagnose take
    --target), with where they came from."""
    if quotas or target is None:
        return quotas, "quotas" if quotas else "none"
    sellers = roster.loc[roster["role"] == SELLING_ROLE, "rep_id"].astype(str)
    return {rep: float(target) for rep in sellers}, f"flat target of {target:,.0f} per rep"


def forecast_cone(
    backend: Any,
    as_of: date,
    *,
    zone: str,
    settings: ForecastSettings,
    overrides: Overrides | None = None,
    target: float | None = None,
    history: DealHistory | None = None,
) -> list[Forecast]:
    """The forecast at the end of each elapsed week of the quarter containing `as_of`, then at
    `as_of` itself: how the cone narrowed towards the target (fewer runs per week). `history`:
    the store's deal history when the caller has already read it."""
    period = quarter_of(as_of)
    history = load_history(backend) if history is None else history
    roster = rep_roster(backend)
    targets, source = quarter_targets(backend, period, roster, target)
    names = scope_names(backend, roster)
    crm = open_crm_deals(backend, as_of)
    days = [week_as_of(period, week) for week in range(1, 15)]
    days = sorted({day for day in days if day < as_of} | {as_of})
    return [
        replace(
            forecast_period(
                history,
                period,
                day,
                targets=targets,
                names={**names["team"], **names["rep"]},
                zone=zone,
                settings=settings,
                simulations=settings.simulations if day == as_of else settings.backtest_simulations,
                overrides=overrides,
                crm=crm,
            ),
            target_source=source,
        )
        for day in days
    ]


def week_as_of(period: Period, week: int) -> date:
    """The last day of week `week` (1-based) of the period, capped at its last day."""
    return min(period.start + timedelta(days=7 * week - 1), period.end)


OTHER_PERIODS = "quotas for other periods"
"""The target source when the store's bookings quotas exist but none is for the quarter."""

SUMMED_PERIODS = "quotas, some summed over the quarter"
"""The start of the target source when some reps' quarter targets are the sums of their
quotas for the months (or other shorter periods) inside it."""


def bookings_targets(backend: Any, period: Period) -> dict[str, float]:
    """Each rep's bookings target for this period (prorated as the report does): the quota for
    exactly this period, else the sum of the rep's quotas for the shorter periods inside it
    when they cover all of it (`attain.metrics.targets.period_targets`)."""
    return period_targets(quota_targets(backend, "bookings"), period).targets


def quarter_targets(
    backend: Any, period: Period, roster: pd.DataFrame, target: float | None
) -> tuple[dict[str, float], str]:
    """Each rep's target for `period` (`bookings_targets`, else the flat `target`) and where
    it came from (`target_source_of`), reading the store's quotas once."""
    quotas = quota_targets(backend, "bookings")
    targets, source = targets_or_flat(period_targets(quotas, period).targets, roster, target)
    return targets, _described(source, quotas, period)


def target_source_of(backend: Any, source: str, period: Period | None = None) -> str:
    """`source`, or OTHER_PERIODS where "none" would wrongly say the store has no quotas; with
    `period`, "quotas" says which reps' targets are summed from shorter periods' quotas (or
    have shorter periods' quotas that leave days uncovered, and so no target)."""
    if source not in ("none", "quotas"):
        return source
    return _described(source, quota_targets(backend, "bookings"), period)


def _described(source: str, quotas: pd.DataFrame, period: Period | None) -> str:
    """target_source_of over the store's bookings quotas (a `quota_targets` frame)."""
    if source == "none":
        return OTHER_PERIODS if not quotas.empty else source
    if source != "quotas" or period is None:
        return source
    found = period_targets(quotas, period)
    parts = [
        f"{len(found.summed)} rep(s)' are the sums of their quotas for the months (or other "
        "shorter periods) inside it"
    ]
    if found.uncovered:
        parts.append(
            f"{len(found.uncovered)} rep(s) without one: their quotas for shorter periods "
            "leave days of the quarter uncovered"
        )
    return f"{SUMMED_PERIODS} ({'; '.join(parts)})" if found.summed else source


def forecast_period(
    history: DealHistory,
    period: Period,
    as_of: date,
    *,
    targets: dict[str, float],
    names: dict[str, str],
    zone: str,
    settings: ForecastSettings,
    simulations: int,
    overrides: Overrides | None = None,
    crm: pd.DataFrame | None = None,
    win_model: WinModel | None = None,
) -> Forecast:
    """Forecast `period` from what `history` knew at the end of `as_of` (later facts unseen).

    `overrides` replace the model's win probability of open deals in an overridden stage or
    forecast category (the weighted-pipeline baseline keeps the stages' historical rates).
    `crm`: the open deals with the CRM's probability and forecast category (open_crm_deals);
    their roll-up shows beside the forecast, and without stage history their probabilities
    stand in for the win model. `win_model`: one fitted at or before the as-of moment for its
    horizon (a backtest reuses one per quarter, `fit_win_models`), else one is fitted here."""
    fitted = _fit(history, period, as_of, zone=zone, settings=settings, win_model=win_model)
    return _forecast_fitted(
        fitted,
        targets=targets,
        names=names,
        settings=settings,
        simulations=simulations,
        overrides=overrides,
        crm=crm,
    )


@dataclass(frozen=True)
class _Fitted:
    """A period's history as known at its moment, with the win model and `_model_free`'s reads."""

    known: DealHistory
    period: Period
    as_of: date
    start: pd.Timestamp
    end: pd.Timestamp
    moment: pd.Timestamp
    model: WinModel
    found: _ModelFree


def _fit(
    history: DealHistory,
    period: Period,
    as_of: date,
    *,
    zone: str,
    settings: ForecastSettings,
    win_model: WinModel | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> _Fitted:
    """forecast_period's history known at its moment and win model (`win_model`, else fitted
    here), with `meanwhile` run on this thread while the model trains."""
    start, end = _instant(period.start - timedelta(days=1), zone), _instant(period.end, zone)
    moment = min(max(_instant(as_of, zone), start), end)
    known = known_at(history, moment)
    past_ends = [_instant(p.end, zone) for p in previous_periods(period, settings.lookback_periods)]
    model, found = _fitted(
        known, (start, moment, end - moment), past_ends, settings, win_model, meanwhile
    )
    return _Fitted(known, period, as_of, start, end, moment, model, found)


def _forecast_fitted(
    fitted: _Fitted,
    *,
    targets: dict[str, float],
    names: dict[str, str],
    settings: ForecastSettings,
    simulations: int,
    overrides: Overrides | None,
    crm: pd.DataFrame | None,
) -> Forecast:
    """forecast_period once its model is fitted (`_fit`)."""
    known, period, as_of, model, found = (
        *(fitted.known, fitted.period, fitted.as_of),
        *(fitted.model, fitted.found),
    )
    start, end, moment = fitted.start, fitted.end, fitted.moment
    horizon = end - moment
    snapshot, rate, stage_rates = found.snapshot, found.rate, found.stage_rates
    model_probability = model.probabilities(snapshot)
    method, method_note = model.method, model.fallback
    fallback = _crm_fallback(known, snapshot, crm, period, model.rate or rate)
    if fallback is not None:
        snapshot, model_probability = fallback
        method, method_note = CRM_METHOD, "no stage history to learn win rates from"
    probability = _overridden(snapshot, model_probability, overrides)
    # Each owner once before they become text: 400,000 deals' owners one by one took 0.3 s.
    owner_ids = known.deals["owner_rep_id"].drop_duplicates().astype(str)
    owners = sorted(set(owner_ids) | set(targets) | set(snapshot["owner_rep_id"]))
    index = {owner: i for i, owner in enumerate(owners)}
    so_far = found.booked.reindex(owners, fill_value=0.0).to_numpy(dtype=float)
    new = new_business_samples(known, model.ends, horizon, owners)
    deal_owner = snapshot["owner_rep_id"].map(index).to_numpy(dtype=int)
    value = snapshot["value"].to_numpy(dtype=float)
    runs = simulate(
        probability,
        value,
        deal_owner,
        len(owners),
        model.ratios,
        new,
        max(model.spread, settings.min_spread * float(np.sqrt(horizon / (end - start)))),
        simulations,
        settings.seed,
    )
    runs += so_far[:, None]
    stage_rate = snapshot["stage"].map(stage_rates).fillna(rate)
    per_owner = _per_owner(
        owners, so_far, deal_owner, value, probability, new, stage_rate.to_numpy()
    )
    elapsed = (moment - start) / (end - start)
    rows = _rows(per_owner, runs, known.rep_teams, targets, names, elapsed)
    return Forecast(
        period=period,
        as_of=as_of,
        elapsed=float(elapsed),
        simulations=simulations,
        method=method,
        examples=model.examples,
        card=model.card,
        rows=rows,
        deals=_deals(snapshot, model_probability, probability, overrides or Overrides()),
        crm=None if crm is None else crm_rollup(crm, period),
        method_note=method_note,
    )


def _fitted(
    known: DealHistory,
    span: tuple[pd.Timestamp, pd.Timestamp, timedelta],
    past_ends: list[pd.Timestamp],
    settings: ForecastSettings,
    win_model: WinModel | None,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[WinModel, _ModelFree]:
    """`win_model`, else one fitted at the moment of `span` (the period's start, the moment,
    the horizon left), and `_model_free`'s reads: made on this thread while the model trains
    (LightGBM in its own), 0.3 CPU s at 1,000 reps that otherwise waited on the training,
    then the caller's `meanwhile`."""
    start, moment, horizon = span
    found: list[_ModelFree] = []

    def model_free() -> None:
        found.append(_model_free(known, moment, start))
        if meanwhile is not None:
            meanwhile()

    if win_model is not None:
        model_free()
        return win_model, found[0]
    model = fit_win_model(
        known,
        moment,
        past_ends,
        horizon,
        jitter_days=settings.jitter_days,
        seed=settings.seed,
        meanwhile=model_free,
    )
    return model, found[0]


class _ModelFree(NamedTuple):
    """What forecast_period reads of a history without the win model."""

    snapshot: pd.DataFrame
    """The deals open at the moment."""
    rate: float
    """The overall win rate."""
    stage_rates: dict[str, float]
    """Each stage's win rate."""
    booked: pd.Series
    """Each owner's bookings since the period's start."""


def _model_free(known: DealHistory, moment: pd.Timestamp, start: pd.Timestamp) -> _ModelFree:
    """What forecast_period reads of `known` without the win model: the deals open at
    `moment`, the overall and the stages' win rates, and each owner's bookings since `start`."""
    return _ModelFree(
        snapshot=open_at(known, [moment]),
        rate=_win_rate(known),
        stage_rates=stage_win_rates(known),
        booked=booked(known, start, moment),
    )


def _overridden(
    snapshot: pd.DataFrame, model_probability: np.ndarray[Any, Any], overrides: Overrides | None
) -> np.ndarray[Any, Any]:
    """The open deals' win probabilities with the overrides in place of the model's."""
    if overrides is None or not len(snapshot):
        return model_probability
    return overrides.win_probabilities(
        snapshot["stage"], snapshot["opportunity_id"], model_probability
    )


def _per_owner(
    owners: list[str],
    so_far: np.ndarray[Any, Any],
    deal_owner: np.ndarray[Any, Any],
    value: np.ndarray[Any, Any],
    probability: np.ndarray[Any, Any],
    new: np.ndarray[Any, Any],
    stage_rate: np.ndarray[Any, Any],
) -> pd.DataFrame:
    """Per owner: booked so far, open deals and value, expected from the open deals and from
    new business, and the weighted-pipeline baseline (booked + value × stage win rate)."""
    return pd.DataFrame(
        {
            "owner": owners,
            "booked": so_far,
            "open_deals": np.bincount(deal_owner, minlength=len(owners)),
            "open_value": np.bincount(deal_owner, weights=value, minlength=len(owners)),
            "expected_open": np.bincount(
                deal_owner, weights=value * probability, minlength=len(owners)
            ),
            "expected_new": new.mean(axis=0) if len(new) else np.zeros(len(owners)),
            "weighted": so_far
            + np.bincount(deal_owner, weights=value * stage_rate, minlength=len(owners)),
        }
    )


CRM_METHOD = "crm probability"


def _crm_fallback(
    known: DealHistory,
    snapshot: pd.DataFrame,
    crm: pd.DataFrame | None,
    period: Period,
    rate: float,
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Without stage history, each open deal's current stage and CRM probability (None when
    there is stage history or no CRM probability): see crm_pipeline.crm_probabilities."""
    if crm is None or not known.stages.empty:
        return None
    return crm_probabilities(snapshot, crm, period, rate)


def previous_periods(period: Period, count: int) -> list[Period]:
    """The `count` calendar quarters before `period`, latest first."""
    found: list[Period] = []
    day = period.start
    for _ in range(count):
        found.append(quarter_of(day - timedelta(days=1)))
        day = found[-1].start
    return found


def stage_win_rates(history: DealHistory) -> dict[str, float]:
    """Share of the closed deals that ever entered each stage which were won."""
    outcome = history.deals["is_won"]
    closed_keys = pd.Index(history.keys_of("deals")[outcome.notna().to_numpy()])
    if closed_keys.is_unique:
        return _stage_win_rates(history, closed_keys)
    closed = history.deals.loc[outcome.notna(), ["opportunity_id", "is_won"]]
    entered = history.stages[["opportunity_id", "stage"]].drop_duplicates()
    rates = entered.merge(closed, on="opportunity_id").groupby("stage")["is_won"].mean()
    return {str(stage): float(rate) for stage, rate in rates.items()}


def _stage_win_rates(history: DealHistory, closed_keys: pd.Index) -> dict[str, float]:
    """stage_win_rates on deal keys and stage codes instead of id and stage strings (the same
    numbers, several times faster on a large store); `closed_keys`: the closed deals' keys."""
    closed = _closed_deal_of_entries(history, closed_keys)
    inside = closed >= 0
    codes, stages = pd.factorize(history.stages["stage"].to_numpy(dtype=object)[inside])
    named = codes >= 0
    deals, entries = closed[inside][named], codes[named]
    if len(closed_keys) * max(len(stages), 1) <= DEAL_STAGE_CELLS:
        # Each (deal, stage) once: a cell of a closed deals x stages grid, O(n) where dropping
        # the duplicate pairs hashes them (0.12 s of 1.4 M entries at 1,000 reps).
        grid = np.zeros((len(closed_keys), len(stages)), dtype=bool)
        grid[deals, entries] = True
        deals, entries = np.nonzero(grid)
    else:
        pairs = pd.DataFrame({"deal": deals, "stage": entries}).drop_duplicates()
        deals, entries = pairs["deal"].to_numpy(), pairs["stage"].to_numpy()
    won = history.deals["is_won"].dropna().to_numpy(dtype=bool)[deals]
    entered = np.bincount(entries, minlength=len(stages))
    wins = np.bincount(entries, weights=won, minlength=len(stages))
    return {str(stage): float(wins[i] / entered[i]) for i, stage in enumerate(stages) if entered[i]}


DEAL_STAGE_CELLS = 50_000_000
"""The largest closed deals x stages grid `_stage_win_rates` marks its pairs in (50 MB);
beyond it the pairs' duplicates are dropped by hashing."""


def _closed_deal_of_entries(history: DealHistory, closed_keys: pd.Index) -> np.ndarray:
    """Each stage entry's deal's place among the closed deals (`closed_keys`, in the deals'
    order), -1 for an entry of an open deal or of none: from the entries' deal rows found
    once per history where there are, else by key."""
    rows = stage_deals(history)
    if rows is None:
        found: np.ndarray = closed_keys.get_indexer(pd.Index(history.keys_of("stages")))
        return found
    ended = history.deals["is_won"].notna().to_numpy()
    place = np.where(ended, np.cumsum(ended) - 1, -1)
    # The last place is no deal's (an entry whose deal is not in the history).
    of_entry: np.ndarray = np.append(place, -1)[rows]
    return of_entry


def _win_rate(history: DealHistory) -> float:
    outcomes = history.deals["is_won"].dropna()
    return float(outcomes.astype(float).mean()) if len(outcomes) else 0.0


def _deals(
    snapshot: pd.DataFrame,
    model_probability: np.ndarray,
    probability: np.ndarray,
    overrides: Overrides,
) -> list[DealProbability]:
    """Each open deal with its model and used probability (plain lists: cheap per backtest)."""
    ids = snapshot["opportunity_id"].astype(str).tolist()
    found = [
        DealProbability(
            deal,
            owner,
            stage,
            float(value),
            float(model),
            float(used),
            overrides.forecast_category.get(deal),
        )
        for deal, owner, stage, value, model, used in zip(
            ids,
            snapshot["owner_rep_id"].astype(str).tolist(),
            snapshot["stage"].astype(str).tolist(),
            snapshot["value"].tolist(),
            np.asarray(model_probability, dtype=float).tolist(),
            np.asarray(probability, dtype=float).tolist(),
            strict=True,
        )
    ]
    return sorted(found, key=lambda deal: deal.opportunity_id)


def _instant(day: date, zone: str) -> pd.Timestamp:
    return pd.Timestamp(end_of_day_utc(day, zone))


def _rows(
    per_owner: pd.DataFrame,
    runs: np.ndarray,
    rep_teams: dict[str, str | None],
    targets: dict[str, float],
    names: dict[str, str],
    elapsed: float,
) -> list[ForecastRow]:
    """The company's row, each team's (sorted by id), then each owner's (in `per_owner` order),
    from `runs` (owners × runs, as `simulate` gives them; reordered in place)."""
    owners = per_owner["owner"].tolist()
    teams = [rep_teams.get(owner) for owner in owners]
    members_of: dict[str, list[int]] = {}
    for i, team in enumerate(teams):
        if team is not None:
            members_of.setdefault(team, []).append(i)
    groups: list[tuple[str, str, str | None, list[int]]] = [
        (COMPANY, COMPANY, None, list(range(len(owners))))
    ]
    groups += [("team", name, name, members_of[name]) for name in sorted(members_of)]
    quotas = [
        [targets[owners[i]] for i in members if owners[i] in targets] for *_, members in groups
    ]
    group_targets = [float(sum(quota)) if quota else None for quota in quotas]
    # Each owner's runs one contiguous row, and each group's totals one row: their statistics
    # then come at once, each row's the same floats as alone.
    by_owner = np.ascontiguousarray(runs)
    totals = np.stack([_summed(by_owner, members) for *_, members in groups])
    rows = []
    group_sums = _group_sums(per_owner, [members for *_, members in groups])
    for (scope, id, team, _), summed, target, stats in zip(
        groups, group_sums, group_targets, _run_stats(totals, group_targets), strict=True
    ):
        rows.append(
            _row(
                (scope, id, "Company" if scope == COMPANY else names.get(id, id), team),
                summed,
                stats,
                target,
                elapsed,
            )
        )
    owner_targets = [float(targets[owner]) if owner in targets else None for owner in owners]
    sums = per_owner.drop(columns="owner").to_dict("records")
    owner_stats = _run_stats(by_owner, owner_targets)
    for i, owner in enumerate(owners):
        who = ("rep", owner, names.get(owner, owner), teams[i])
        rows.append(_row(who, sums[i], owner_stats[i], owner_targets[i], elapsed))
    return rows


def _group_sums(per_owner: pd.DataFrame, groups: list[list[int]]) -> list[dict[Hashable, Any]]:
    """Each group's sums of the `per_owner` columns over its owners (rows): the numbers
    `per_owner.iloc[members].sum(numeric_only=True)` gives (each column's gathered values
    summed alone, pairwise, NaN as 0), without a frame per group (126 groups took 0.06 s at
    1,000 reps).
    """
    numeric = per_owner.drop(columns="owner")
    columns = [(name, numeric[name].to_numpy()) for name in numeric.columns]
    return [{name: np.nansum(values[members]) for name, values in columns} for members in groups]


def _summed(by_owner: np.ndarray, members: list[int]) -> np.ndarray:
    """Each run's total over the owners `members` (rows of `by_owner`, owners x runs), added
    owner after owner in their order: the very sums of `runs[:, members].sum(axis=1)` on the
    runs x owners matrix (an array laid out as this one's transpose), whose column gather cost
    more than the sums. Not `runs.sum(axis=1)`: that adds pairwise, other floats. Every owner
    in order (the company) sums `by_owner` itself, the gather's copy being the same array."""
    every = len(members) == len(by_owner) and members == list(range(len(by_owner)))
    part: np.ndarray = (by_owner if every else by_owner[members]).T.sum(axis=1)
    return part


RunStats = tuple[float, float, float, float, float | None]
"""A row's mean, P10, P50 and P90 of its runs' totals, and its chance of target (None without)."""


def _run_stats(totals: np.ndarray, targets: list[float | None]) -> list[RunStats]:
    """Each row of `totals` (a C-contiguous rows × simulations array)'s RunStats against the
    target of the same place in `targets`: per row, as `np.quantile` and `mean` give one row.
    Each row's runs are reordered in place by the quantiles (the caller's arrays are its own
    temporaries; a copy of the owners' runs cost 0.05 s at 1,000 reps): the mean comes first,
    and the chance of target counts, in any order."""
    means = totals.mean(axis=1)
    p10, p50, p90 = _quantiles(totals)
    bars = np.array([np.inf if target is None else target for target in targets], dtype=float)
    chances = (totals >= bars[:, None]).mean(axis=1)
    return [
        (float(m), float(a), float(b), float(c), None if target is None else float(chance))
        for m, a, b, c, chance, target in zip(means, p10, p50, p90, chances, targets, strict=True)
    ]


QUANTILES = [0.1, 0.5, 0.9]
SPLIT_ROWS = 256
"""From this many rows `_quantiles` splits them between two threads."""


def _quantiles(totals: np.ndarray) -> np.ndarray:
    """P10, P50 and P90 of each row of `totals` (3 × rows), reordering each row in place: the
    later half of a large array's rows on a second thread (NumPy's partition releases the GIL;
    0.3 CPU s for 1,126 owners x 10,000 runs), each row's as np.quantile gives it alone."""
    half = len(totals) // 2
    if len(totals) < SPLIT_ROWS:
        return np.asarray(np.quantile(totals, QUANTILES, axis=1, overwrite_input=True))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="attain-quantiles") as helper:
        later = helper.submit(np.quantile, totals[half:], QUANTILES, axis=1, overwrite_input=True)
        earlier = np.quantile(totals[:half], QUANTILES, axis=1, overwrite_input=True)
        return np.concatenate([earlier, later.result()], axis=1)


def _row(
    who: tuple[str, str, str, str | None],
    sums: Mapping[Hashable, Any],
    stats: RunStats,
    target: float | None,
    elapsed: float,
) -> ForecastRow:
    """One row from its (scope, id, name, team), its owners' summed `per_owner` columns and the
    statistics of its runs' totals."""
    scope, id, name, team = who
    mean, p10, p50, p90, chance = stats
    return ForecastRow(
        scope=scope,
        id=id,
        name=name,
        team_id=team,
        booked=float(sums["booked"]),
        open_deals=int(sums["open_deals"]),
        open_value=float(sums["open_value"]),
        expected_open=float(sums["expected_open"]),
        expected_new=float(sums["expected_new"]),
        mean=mean,
        p10=p10,
        p50=p50,
        p90=p90,
        target=target,
        chance_of_target=chance,
        weighted_pipeline=float(sums["weighted"]),
        run_rate=float(sums["booked"]) / elapsed if elapsed > 0 else 0.0,
    )
