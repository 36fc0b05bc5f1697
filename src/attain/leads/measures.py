"""The model card's measures and the isotonic calibration in NumPy, bit for bit as
scikit-learn 1.9 computes them (ROC AUC, average precision, Brier score; IsotonicRegression's
fit_transform with SciPy's PAVA and linear interpolation).

Why not scikit-learn itself: importing it loads SciPy's statistics (about 1 CPU s, of the
3 to 4 s `attain forecast` spends outside DuckDB at 1,000 reps), and the forecast's win model
needs nothing else of it from 2,000 examples on. tests/leads/test_measures.py checks every
function against scikit-learn's on random and tied inputs, byte for byte.
"""

from __future__ import annotations

import numpy as np

RESOLUTION = float(np.finfo(np.float64).resolution)
"""Scores closer than this to a group's first are one value to the isotonic fit (1e-15, as
scikit-learn's `_make_unique` merges them)."""


def _curve(observed: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives at each distinct score, highest score first (scikit-learn's
    `confusion_matrix_at_thresholds` without weights: counts, exact in floats)."""
    order = np.argsort(-np.asarray(predicted, dtype=float), kind="stable")
    scores = np.asarray(predicted, dtype=float)[order]
    positives = (np.asarray(observed) == 1).astype(np.float64)[order]
    thresholds = np.append(np.flatnonzero(np.diff(scores)), len(scores) - 1)
    true = np.cumsum(positives)[thresholds]
    false = 1 + thresholds.astype(np.float64) - true
    return true, false


def roc_auc(observed: np.ndarray, predicted: np.ndarray) -> float:
    """ROC AUC of 0/1 `observed` (both present) against `predicted`, as roc_auc_score."""
    true, false = _curve(observed, predicted)
    if true[-1] <= 0 or false[-1] <= 0:  # one class only: no area (scikit-learn warns)
        return float("nan")
    if len(false) > 2:  # points in between and collinear with others do not change the area
        corners = np.logical_or(np.diff(false, 2), np.diff(true, 2))
        kept = np.flatnonzero(np.concatenate([[True], corners, [True]]))
        true, false = true[kept], false[kept]
    true = np.concatenate([[0.0], true])
    false = np.concatenate([[0.0], false])
    return float(np.trapezoid(true / true[-1], false / false[-1]))


def average_precision(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Average precision (the step integral of the precision-recall curve), as
    average_precision_score."""
    true, false = _curve(observed, predicted)
    total = true + false
    precision = np.where(total != 0, np.divide(true, total), 0.0)
    recall = true / true[-1] if true[-1] != 0 else np.full(true.shape, 1.0)
    precision = np.concatenate((np.flip(precision), [1.0]))
    recall = np.concatenate((np.flip(recall), [0.0]))
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def brier(observed: np.ndarray, predicted: np.ndarray) -> float:
    """The Brier score of probabilities `predicted` of 0/1 `observed`, as brier_score_loss
    (both classes' squared errors, halved)."""
    p = np.asarray(predicted, dtype=float)
    positive = np.asarray(observed) == 1
    labels = np.stack((~positive, positive), axis=1).astype(np.float64)
    errors = np.sum((labels - np.stack((1 - p, p), axis=1)) ** 2, axis=1)
    return float(np.average(errors) * 0.5)


def isotonic_fit(margin: np.ndarray, target: np.ndarray) -> np.ndarray:
    """IsotonicRegression(y_min=0, y_max=1).fit_transform(margin, target): the increasing fit of
    0/1 `target` on `margin`, at each margin (NaN for one merged into the highest group, as
    scikit-learn leaves it)."""
    x = np.asarray(margin, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    order = np.lexsort((y, x))
    values, means, weights = _unique(x[order], y[order])
    fitted = np.clip(_pava(means, weights), 0.0, 1.0)
    if len(fitted) == 1:
        return np.repeat(fitted, len(x))
    # Interior points of a flat run are dropped (interpolating across them gives the same).
    kept = np.ones(len(fitted), dtype=bool)
    kept[1:-1] = np.logical_or(
        np.not_equal(fitted[1:-1], fitted[:-2]), np.not_equal(fitted[1:-1], fitted[2:])
    )
    knots, heights = values[kept], fitted[kept]
    result: np.ndarray = np.asarray(np.interp(x, knots, heights), dtype=np.float64)
    result[(x < knots[0]) | (x > knots[-1])] = np.nan
    return result


def _unique(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted `x` grouped where a value is at least RESOLUTION above its group's first: each
    group's first value, mean `y` and size (scikit-learn's `_make_unique`, unit weights)."""
    if len(x) == 0:
        return x, y, y
    step = np.diff(x)
    if np.all((step == 0) | (step >= RESOLUTION)):  # groups of equal values (the usual case)
        starts = np.concatenate([[0], np.flatnonzero(step) + 1])
    else:  # values closer than RESOLUTION but not equal: walk them as scikit-learn does
        found = [0]
        for index in range(1, len(x)):
            if x[index] - x[found[-1]] >= RESOLUTION:
                found.append(index)
        starts = np.asarray(found)
    sizes = np.diff(np.append(starts, len(x))).astype(np.float64)
    # Sums of 0/1 and counts are exact in any order, as in scikit-learn's running sums.
    sums = np.add.reduceat(y, starts)
    return x[starts], sums / sizes, sizes


def _pava(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted increasing least-squares fit of `values`: SciPy's PAVA
    (scipy.optimize.isotonic_regression, Busing 2022), step for step so the floats agree."""
    x = values.tolist()
    w = weights.tolist()
    n = len(x)
    if n == 0:
        return np.asarray(x, dtype=np.float64)
    bounds = [0] * (n + 1)
    bounds[1] = 1
    b = 0
    x_prev, w_prev = x[0], w[0]
    i = 1
    while i < n:
        b += 1
        xb, wb = x[i], w[i]
        if x_prev >= xb:
            b -= 1
            sb = w_prev * x_prev + wb * xb
            wb += w_prev
            xb = sb / wb
            while i < n - 1 and xb >= x[i + 1]:
                i += 1
                sb += w[i] * x[i]
                wb += w[i]
                xb = sb / wb
            while b > 0 and x[b - 1] >= xb:
                b -= 1
                sb += w[b] * x[b]
                wb += w[b]
                xb = sb / wb
        x[b] = x_prev = xb
        w[b] = w_prev = wb
        bounds[b + 1] = i + 1
        i += 1
    blocks = np.asarray(bounds[: b + 2])
    return np.repeat(np.asarray(x[: b + 1], dtype=np.float64), np.diff(blocks))
