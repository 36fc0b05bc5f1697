"""attain.leads.measures gives scikit-learn's numbers bit for bit: ROC AUC, average precision
and Brier score, and IsotonicRegression's fit, on random scores with and without ties (a
LightGBM margin repeats: every deal in the same leaves gets the same one) and on scores closer
than 1e-15 that scikit-learn merges."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from attain.leads.measures import average_precision, brier, isotonic_fit, roc_auc


def _margins(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "distinct":
        return rng.normal(size=n)
    if kind == "rounded":
        return np.round(rng.normal(size=n), 1)
    base = rng.normal(size=max(1, n // 10))
    margins = rng.choice(base, size=n)
    if kind == "near":  # steps of a few units in the last place, and one of 4e-15
        margins = margins + rng.choice([0, 1e-16, 2e-16, 5e-16, 4e-15], size=n)
    return margins


def _same(a: float | np.ndarray, b: float | np.ndarray) -> bool:
    return bool(np.asarray(a).tobytes() == np.asarray(b).tobytes())


@pytest.mark.parametrize("kind", ["distinct", "rounded", "leaves", "near"])
def test_the_measures_and_the_isotonic_fit_are_scikit_learns(kind: str) -> None:
    rng = np.random.default_rng(len(kind))
    for n in (2, 3, 10, 157, 1000, 12_000):
        for _ in range(5 if n < 12_000 else 1):
            margin = _margins(rng, n, kind)
            observed = (rng.random(n) < 1 / (1 + np.exp(-2 * margin))).astype(int)
            if observed.min() == observed.max():
                observed[0] = 1 - observed[0]
            probability = np.clip(np.round(rng.random(n), 2 if kind == "rounded" else 8), 0, 1)
            fitted = IsotonicRegression(y_min=0.0, y_max=1.0).fit_transform(margin, observed)
            assert _same(isotonic_fit(margin, observed), fitted)
            for scores in (margin, probability):
                assert _same(roc_auc(observed, scores), float(roc_auc_score(observed, scores)))
                expected = float(average_precision_score(observed, scores))
                assert _same(average_precision(observed, scores), expected)
            assert _same(brier(observed, probability), brier_score_loss(observed, probability))


def test_by_hand() -> None:
    # Scores 0.9, 0.8, 0.8, 0.1 of outcomes 1, 0, 1, 0: of the four positive-negative pairs the
    # positive ranks higher in 0.9>0.8, 0.9>0.1, 0.8>0.1 and ties 0.8=0.8 (a half): 3.5 / 4.
    observed, scores = np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.8, 0.1])
    assert roc_auc(observed, scores) == 0.875
    # Precision at recall 0.5 is 1 (0.9), at recall 1 it is 2/3 (0.9 and both 0.8s).
    assert average_precision(observed, scores) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # Squared errors 0.01, 0.64, 0.04, 0.01 average to 0.175.
    assert brier(observed, scores) == pytest.approx(0.175)
    # Outcomes 1, 0, 1, 0 by rising margin pool to 0.5, 0.5, 0.5, 0.5 until the last.
    assert isotonic_fit(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 1, 1])).tolist() == [
        0.5,
        0.5,
        1.0,
        1.0,
    ]
