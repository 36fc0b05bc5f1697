"""The predictive lead score: a calibrated P(convert) with per-lead reasons and A–D grades.

Training splits the labelled rows three ways, so the card's metrics come from rows the model
and its calibration never saw:
  holdout (last `holdout` share by time when a time column is given, else a stratified random
  share) → the card's metrics; the rest splits again the same way into fit rows (the model)
  and calibration rows (early stopping, probability calibration and the grade thresholds).
LightGBM needs MIN_BOOSTING_ROWS rows and MIN_BOOSTING_POSITIVES positives; smaller tables get a
one-hot, standardised logistic regression. Reasons are contributions to the log-odds: LightGBM's
SHAP values (`pred_contrib`), or coefficient × centred value for the logistic model.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from attain.errors import InputError
from attain.leads.features import (
    FALSE_WORDS,
    TRUE_WORDS,
    FeatureKind,
    FeaturePlan,
    plan_features,
)
from attain.leads.measures import average_precision, brier, isotonic_fit, roc_auc

if TYPE_CHECKING:
    import lightgbm as lgb

# LightGBM, scikit-learn and joblib are imported where they are used. LightGBM comes without
# scikit-learn (attain.leads.boosting: 0.2 CPU s instead of 1.1), which `attain forecast` loads
# in a thread beside its DuckDB reads (attain.preload, PRELOADED) instead of before them; the
# isotonic calibration and the card's measures need no scikit-learn (attain.leads.measures), so
# a model of 2,000 examples or more trains without it.
PRELOADED = ("attain.leads.boosting",)
"""The modules training imports, in the order a thread should load them ahead of it."""

MODEL_FORMAT = 1
"""Version of the saved model file; files of another version are refused."""

MIN_BOOSTING_ROWS = 2000
MIN_BOOSTING_POSITIVES = 100
"""Below either, the logistic regression is used: boosting overfits small tables."""

CALIBRATION_SHARE = 0.2
"""Share of the non-holdout rows kept for early stopping, calibration and grade thresholds."""

MIN_ISOTONIC_ROWS = 1000
"""Calibration rows needed for isotonic calibration; fewer get Platt scaling (a logistic fit)."""

GRADE_QUANTILES = {"A": 0.9, "B": 0.7, "C": 0.4}
"""Grade lower bounds: the calibrated probability at these quantiles of the calibration rows,
so A is the top 10% of leads, B the next 20%, C the next 30% and D the remaining 40%."""

POSITIVE_WORDS = TRUE_WORDS | {"won", "win", "converted", "success"}
NEGATIVE_WORDS = FALSE_WORDS | {"lost", "loss", "not converted", "failure"}

LIGHTGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    # One thread: these tables train in about a second, and OpenMP threads that share the cores
    # with other busy processes spin-wait (seen here: 0.9 s alone became 74 s beside two jobs).
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "verbose": -1,
}
MAX_ROUNDS = 1000
EARLY_STOPPING_ROUNDS = 50


@dataclass(frozen=True)
class Boosting:
    """How LightGBM is fitted: the defaults are the lead model's; the forecast's win model,
    fitted once per forecast, trades a larger learning rate and no refit for time."""

    learning_rate: float = LIGHTGBM_PARAMS["learning_rate"]
    max_rounds: int = MAX_ROUNDS
    early_stopping_rounds: int = EARLY_STOPPING_ROUNDS
    refit: bool = True
    """Boost again on the fit and calibration rows together, with the early-stopped round
    count scaled up; without, the early-stopped model scores (half the training time)."""


@dataclass(frozen=True)
class ModelCard:
    """What the model is, what it was trained on, and how well it did on held-out rows."""

    algorithm: str
    label: str
    rows_train: int
    rows_validation: int
    positives_rate: float
    split: str
    features: list[str]
    excluded: dict[str, str]
    roc_auc: float
    pr_auc: float
    brier: float
    calibration: list[dict[str, float]]
    lift_top_10: float
    lift_top_20: float
    grade_thresholds: dict[str, float]
    train_seconds: float
    schema_fingerprint: str


class _Scorer(Protocol):
    def margin(self, matrix: pd.DataFrame) -> np.ndarray: ...

    def contributions(self, matrix: pd.DataFrame) -> np.ndarray: ...


class _Boosted:
    """A LightGBM booster: log-odds and SHAP contributions per feature."""

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster

    def margin(self, matrix: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(matrix, raw_score=True), dtype=float)

    def contributions(self, matrix: pd.DataFrame) -> np.ndarray:
        values = np.asarray(self.booster.predict(matrix, pred_contrib=True), dtype=float)
        return values[:, :-1]  # the last column is the expected value


class _Linear:
    """A logistic regression on one-hot categories and median-filled, standardised numbers."""

    def __init__(self, plan: FeaturePlan, matrix: pd.DataFrame, target: np.ndarray) -> None:
        self.plan = plan
        self.medians = {
            f.name: float(matrix[f.name].median()) if matrix[f.name].notna().any() else 0.0
            for f in plan.features
            if f.kind is not FeatureKind.CATEGORICAL
        }
        self.flag_missing = {name for name in self.medians if matrix[name].isna().any()}
        design, self.owners = self._design(matrix)
        self.mean = design.mean(axis=0)
        spread = design.std(axis=0)
        self.scale = np.where(spread > 0, spread, 1.0)
        from sklearn.linear_model import LogisticRegression

        self.model = LogisticRegression(C=1.0, max_iter=2000)
        self.model.fit((design - self.mean) / self.scale, target)

    def _design(self, matrix: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        blocks: list[np.ndarray] = []
        owners: list[int] = []
        for index, feature in enumerate(self.plan.features):
            column = matrix[feature.name]
            if feature.kind is FeatureKind.CATEGORICAL:
                codes = np.asarray(column.cat.codes)
                width = len(feature.categories) + 1  # the last slot is "missing"
                blocks.append(np.eye(width)[np.where(codes < 0, width - 1, codes)])
                owners += [index] * width
            else:
                values = column.to_numpy(dtype=float)
                blocks.append(np.nan_to_num(values, nan=self.medians[feature.name])[:, None])
                owners.append(index)
                if feature.name in self.flag_missing:
                    blocks.append(np.isnan(values).astype(float)[:, None])
                    owners.append(index)
        return np.hstack(blocks), np.asarray(owners)

    def margin(self, matrix: pd.DataFrame) -> np.ndarray:
        design, _ = self._design(matrix)
        return np.asarray(self.model.decision_function((design - self.mean) / self.scale))

    def contributions(self, matrix: pd.DataFrame) -> np.ndarray:
        design, _ = self._design(matrix)
        terms = (design - self.mean) / self.scale * self.model.coef_[0]
        owner = np.eye(len(self.plan.features))[self.owners]
        return np.asarray(terms @ owner)


class _Calibrator:
    """Maps log-odds to probabilities: centred isotonic on large calibration sets, else Platt.

    Centred isotonic regression (Oron & Flournoy, 2017) interpolates between the centres of
    the isotonic steps, so the mapping rises strictly and keeps the model's ranking (plain
    isotonic steps tie leads the model told apart, which costs ROC AUC).
    """

    def __init__(self, margin: np.ndarray, target: np.ndarray) -> None:
        self.method = "isotonic" if len(target) >= MIN_ISOTONIC_ROWS else "platt"
        if self.method == "isotonic":
            fitted = isotonic_fit(margin, target)  # scikit-learn's IsotonicRegression, in NumPy
            steps = pd.DataFrame({"margin": margin, "fitted": fitted}).groupby("fitted")["margin"]
            centres = steps.mean()
            self.knots = (centres.to_numpy(dtype=float), centres.index.to_numpy(dtype=float))
        else:
            from sklearn.linear_model import LogisticRegression

            self.platt = LogisticRegression(C=1e4, max_iter=1000)
            self.platt.fit(margin[:, None], target)

    def probability(self, margin: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return np.asarray(np.interp(margin, *self.knots), dtype=float)
        return np.asarray(self.platt.predict_proba(margin[:, None])[:, 1], dtype=float)


class TrainedModel:
    """A trained lead model with its card: scores, explains and grades frames shaped like its
    training data, and refuses any other shape."""

    def __init__(
        self, card: ModelCard, plan: FeaturePlan, scorer: _Scorer, calibrator: _Calibrator
    ) -> None:
        self.card = card
        self.plan = plan
        self.scorer = scorer
        self.calibrator = calibrator

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated P(label) per row; InputError when the columns do not match the schema."""
        return self.calibrator.probability(self.scorer.margin(self.plan.matrix(frame)))

    def explain(self, frame: pd.DataFrame, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the `top` features pushing its log-odds most (either way), as
        ("feature=value", contribution), largest effect first."""
        matrix = self.plan.matrix(frame)
        contributions = self.scorer.contributions(matrix)
        order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :top]
        names = self.plan.names
        after = f"d after {self.plan.time_column}"
        shown = {
            f.name: _shown(matrix[f.name], after if f.kind is FeatureKind.DATETIME else "")
            for f in self.plan.features
        }
        return [
            [(f"{names[j]}={shown[names[j]][i]}", float(contributions[i, j])) for j in row]
            for i, row in enumerate(order)
        ]

    def grade(self, probabilities: np.ndarray) -> np.ndarray:
        """ "A".."D" per probability, from the card's lower bounds (see GRADE_QUANTILES)."""
        bounds = self.card.grade_thresholds
        return np.select(
            [probabilities >= bounds[grade] for grade in ("A", "B", "C")],
            ["A", "B", "C"],
            default="D",
        )

    def save(self, path: Path) -> None:
        """Write the model, its format version and schema fingerprint to `path`."""
        import joblib

        payload = {"format": MODEL_FORMAT, "fingerprint": self.card.schema_fingerprint}
        joblib.dump({**payload, "model": self}, path)

    @classmethod
    def load(cls, path: Path) -> TrainedModel:
        """Read a model written by `save`; InputError for other files or format versions."""
        if not path.is_file():
            raise InputError(f"{path}: no model file here; train one with `attain leads train`")
        import joblib

        try:
            payload = joblib.load(path)
        except Exception as error:
            raise InputError(f"{path}: not an Attain lead model ({error})") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("model"), cls):
            raise InputError(f"{path}: not an Attain lead model")
        if payload.get("format") != MODEL_FORMAT:
            raise InputError(
                f"{path}: model format {payload.get('format')}, this Attain reads "
                f"{MODEL_FORMAT}; retrain with `attain leads train`"
            )
        model: TrainedModel = payload["model"]
        if payload.get("fingerprint") != model.plan.fingerprint:
            raise InputError(f"{path}: the schema fingerprint does not match; retrain")
        return model


def train(
    frame: pd.DataFrame,
    label: str,
    *,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
    holdout: float = 0.25,
    seed: int = 0,
    boosting: Boosting = Boosting(),
) -> TrainedModel:
    """Train, calibrate and evaluate a lead model for the yes/no column `label` of `frame`
    (`boosting`: how LightGBM is fitted, when the table is large enough for it)."""
    started = time.perf_counter()
    if label not in frame.columns:
        raise InputError(f"label column {label!r} is not in the data")
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be between 0 and 1, not {holdout}")
    target_all = label_values(frame[label])
    labelled = frame.loc[~np.isnan(target_all)].reset_index(drop=True)
    target = target_all[~np.isnan(target_all)].astype(int)
    plan = plan_features(labelled, label, time_column=time_column, exclude=exclude)
    matrix = plan.matrix(labelled)
    rest, held = _split(labelled, target, time_column, holdout, seed)
    fit, calibrate = _split(labelled.iloc[rest], target[rest], time_column, CALIBRATION_SHARE, seed)
    fit, calibrate = rest[fit], rest[calibrate]
    for part, rows in (("training", fit), ("calibration", calibrate), ("validation", held)):
        if len(np.unique(target[rows])) < 2:
            raise InputError(
                f"the {part} rows hold only one outcome; the data needs more rows of each class"
            )
    boosted = len(target) >= MIN_BOOSTING_ROWS and target.sum() >= MIN_BOOSTING_POSITIVES
    scorer: _Scorer
    if boosted:
        parts = (fit, calibrate, rest)
        scorer, calibrator, calibrated = _boosted(matrix, target, parts, seed, boosting)
    else:
        first_linear = _Linear(plan, matrix.iloc[fit], target[fit])
        calibrator = _Calibrator(first_linear.margin(matrix.iloc[calibrate]), target[calibrate])
        calibrated = calibrator.probability(first_linear.margin(matrix.iloc[calibrate]))
        scorer = _Linear(plan, matrix.iloc[rest], target[rest])
    thresholds = {g: float(np.quantile(calibrated, q)) for g, q in GRADE_QUANTILES.items()}
    predicted = calibrator.probability(scorer.margin(matrix.iloc[held]))
    observed = target[held]
    card = ModelCard(
        algorithm="lightgbm" if boosted else "logistic_regression",
        label=label,
        rows_train=len(rest),
        rows_validation=len(held),
        positives_rate=float(target.mean()),
        split=f"time-based on {time_column} (last {holdout:.0%})"
        if time_column
        else f"stratified random {holdout:.0%}",
        features=plan.names,
        excluded=plan.excluded,
        roc_auc=roc_auc(observed, predicted),
        pr_auc=average_precision(observed, predicted),
        brier=brier(observed, predicted),
        calibration=calibration_table(observed, predicted),
        lift_top_10=lift(observed, predicted, 0.1),
        lift_top_20=lift(observed, predicted, 0.2),
        grade_thresholds=thresholds,
        train_seconds=round(time.perf_counter() - started, 3),
        schema_fingerprint=plan.fingerprint,
    )
    return TrainedModel(card, plan, scorer, calibrator)


def label_values(series: pd.Series) -> np.ndarray:
    """The label as 1.0/0.0 (NaN where missing): booleans, 0/1, yes/no, won/lost and the like."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype(float)
        if not set(values.dropna().unique()) <= {0.0, 1.0}:
            raise InputError(f"label {series.name!r} must hold 0/1, not other numbers")
        return values.to_numpy()
    words = series.astype("string").str.strip().str.lower()
    unknown = sorted(set(words.dropna().unique()) - POSITIVE_WORDS - NEGATIVE_WORDS)
    if unknown:
        raise InputError(
            f"label {series.name!r} must be yes/no-like (yes/no, true/false, 1/0, won/lost); "
            f"found {', '.join(unknown[:5])}"
        )
    return words.map(lambda word: float(word in POSITIVE_WORDS), na_action="ignore").to_numpy(
        dtype=float, na_value=np.nan
    )


def calibration_table(observed: np.ndarray, predicted: np.ndarray) -> list[dict[str, float]]:
    """Ten equal-width probability bins: mean prediction, observed rate and rows per bin."""
    bins = np.minimum((predicted * 10).astype(int), 9)
    table = (
        pd.DataFrame({"bin": bins, "predicted": predicted, "observed": observed})
        .groupby("bin")
        .agg(predicted=("predicted", "mean"), observed=("observed", "mean"), count=("bin", "size"))
    )
    return [
        {"predicted": float(p), "observed": float(o), "count": float(c)}
        for p, o, c in table.itertuples(index=False)
    ]


def lift(observed: np.ndarray, predicted: np.ndarray, share: float) -> float:
    """Conversion rate among the top `share` of predictions over the overall rate."""
    count = max(1, round(len(predicted) * share))
    top = np.argsort(-predicted, kind="stable")[:count]
    return float(observed[top].mean() / observed.mean())


def _boosted(
    matrix: pd.DataFrame,
    target: np.ndarray,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    boosting: Boosting,
) -> tuple[_Scorer, _Calibrator, np.ndarray]:
    """LightGBM fitted on the fit rows of `parts` (positions of the fit rows, the calibration rows
    and both) and early-stopped on the calibration rows, the calibrator fitted on those and their
    calibrated probabilities; with `boosting.refit`, the scorer is boosted again on both with the
    round count scaled to their number."""
    fit, calibrate, rest = parts
    first = _boost(
        matrix.iloc[fit],
        target[fit],
        seed,
        boosting,
        stop=(matrix.iloc[calibrate], target[calibrate]),
    )
    margin = first.margin(matrix.iloc[calibrate])
    calibrator = _Calibrator(margin, target[calibrate])
    if not boosting.refit:
        return first, calibrator, calibrator.probability(margin)
    rounds = round(first.booster.best_iteration * len(rest) / len(fit))
    scorer = _boost(matrix.iloc[rest], target[rest], seed, boosting, rounds=rounds)
    return scorer, calibrator, calibrator.probability(margin)


def _boost(
    matrix: pd.DataFrame,
    target: np.ndarray,
    seed: int,
    boosting: Boosting,
    *,
    stop: tuple[pd.DataFrame, np.ndarray] | None = None,
    rounds: int = MAX_ROUNDS,
) -> _Boosted:
    """LightGBM on `matrix`: early-stopped on `stop` when given (at most `boosting.max_rounds`),
    else exactly `rounds` rounds."""
    from attain.leads.boosting import lightgbm

    lgb = lightgbm()
    params = {**LIGHTGBM_PARAMS, "learning_rate": boosting.learning_rate, "seed": seed}
    data = lgb.Dataset(matrix, target, free_raw_data=False)
    if stop is None:
        return _Boosted(lgb.train(params, data, num_boost_round=max(1, rounds)))
    booster = lgb.train(
        params,
        data,
        num_boost_round=boosting.max_rounds,
        valid_sets=[lgb.Dataset(stop[0], stop[1], reference=data)],
        callbacks=[lgb.early_stopping(boosting.early_stopping_rounds, verbose=False)],
    )
    return _Boosted(booster)


def _split(
    frame: pd.DataFrame, target: np.ndarray, time_column: str | None, share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the kept and held-out rows: the latest `share` by time, else stratified."""
    positions = np.arange(len(frame))
    if time_column is not None:
        moments = pd.to_datetime(frame[time_column], errors="coerce", utc=True, format="ISO8601")
        keys = moments.reset_index(drop=True)
        order = keys.sort_values(kind="stable", na_position="first").index.to_numpy()
        cut = len(order) - max(1, round(len(order) * share))
        return np.sort(order[:cut]), np.sort(order[cut:])
    stratify = target if np.bincount(target, minlength=2).min() >= 2 else None
    from sklearn.model_selection import train_test_split

    kept, held = train_test_split(positions, test_size=share, stratify=stratify, random_state=seed)
    return np.sort(kept), np.sort(held)


def _shown(column: pd.Series, unit: str) -> list[str]:
    """Feature values as reasons show them: categories as text, numbers with 4 digits."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.astype(object).where(column.notna(), "missing").astype(str).tolist()
    values = column.to_numpy(float)
    return ["missing" if np.isnan(value) else f"{value:.4g}{unit}" for value in values]
