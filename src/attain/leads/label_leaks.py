"""Raw lead files as model input: the separator sniffed, form placeholders read as missing, and
the columns that give the label away flagged before a model learns from them.

A CRM or marketing export often holds fields filled in after the outcome (the lead's status,
tags a rep added after the call, the last activity, a quality grade, the call's duration). A
model trained on them scores near-perfectly on history and is useless on a new lead, so such
columns are flagged and left out unless the user keeps them (`--keep COL`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from attain.errors import InputError
from attain.leads.model import label_values

PLACEHOLDERS = frozenset({"", "select", "n/a", "na", "-", "--", "?", "(blank)"})
"""Values a web form or export writes for "no answer" (X Education's drop-downs write
`Select`), compared case-insensitively after trimming spaces: read as missing."""

AFTER_OUTCOME_WORDS = (
    "status",
    "stage",
    "tag",
    "tags",
    "quality",
    "duration",
    "score",
    "outcome",
    "result",
    "converted",
    "won",
    "lost",
    "closed",
    "reason",
)
"""Words in a column name saying its value is known only after the outcome (or is someone's
judgement of it): matched as whole words, case-insensitively."""

AFTER_OUTCOME_PHRASES = ("last activity", "last notable activity", "last contact")
"""Phrases naming the latest event on the record, which includes the conversion itself."""

SINGLE_COLUMN_AUC = 0.95
"""A column that alone predicts the label with ROC AUC above this gives the answer away."""

NUMERIC_BINS = 20
"""Quantile bins a numeric column is cut into to measure how well it alone predicts."""

FOLDS = 5
"""Out-of-fold target encoding: a value's conversion rate comes from the other folds, so an
id column (one row per value) predicts nothing instead of everything."""

_WORD = re.compile(r"[a-z0-9]+")


def read_lead_csv(path: Path, sep: str | None = None) -> pd.DataFrame:
    """The CSV at `path`, its separator sniffed unless `sep` is given, placeholders missing."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        separator = sep or sniff_separator(path)
        frame = pd.read_csv(path, sep=separator, keep_default_na=True, na_values=["N/A"])
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read as CSV ({error})") from error
    return placeholders_missing(frame)


def sniff_separator(path: Path, sample_bytes: int = 65_536) -> str:
    """The field separator of the CSV at `path` (`,` `;` tab or `|`), `,` when unsure."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(sample_bytes)
    lines = sample.splitlines()
    if len(lines) > 1 and len(sample) == sample_bytes:
        sample = "\n".join(lines[:-1])  # the last line may be cut
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def placeholders_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with PLACEHOLDERS in its text columns replaced by missing values."""
    result = frame.copy()
    for name in result.columns:
        column = result[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            words = column.astype("string").str.strip().str.lower()
            result[name] = column.mask(words.isin(PLACEHOLDERS))
    return result


def label_leaks(
    frame: pd.DataFrame, label: str, *, limit: float = SINGLE_COLUMN_AUC, seed: int = 0
) -> dict[str, str]:
    """Columns that give `label` away, each with the reason: its name says it is known after
    the outcome, or it alone predicts the label with ROC AUC above `limit`."""
    target = label_values(frame[label])
    known = ~np.isnan(target)
    flagged: dict[str, str] = {}
    for name in frame.columns:
        if name == label:
            continue
        word = after_outcome_name(str(name))
        if word is not None:
            flagged[str(name)] = f"the name says it is known after the outcome ({word!r})"
            continue
        auc = single_column_auc(frame.loc[known, name], target[known].astype(int), seed=seed)
        if auc > limit:
            flagged[str(name)] = f"alone predicts {label} with ROC AUC {auc:.3f} (> {limit})"
    return flagged


def after_outcome_name(name: str) -> str | None:
    """The word or phrase of `name` that marks a value known after the outcome, else None."""
    lowered = " ".join(_WORD.findall(name.lower()))
    for phrase in AFTER_OUTCOME_PHRASES:
        if re.search(rf"\b{phrase}\b", lowered):
            return phrase
    words = set(lowered.split())
    return next((word for word in AFTER_OUTCOME_WORDS if word in words), None)


def single_column_auc(values: pd.Series, target: np.ndarray, *, seed: int = 0) -> float:
    """ROC AUC of `values` alone, as an out-of-fold conversion rate per value (numbers cut
    into quantile bins, missing its own value); 0.5 when the label has one class."""
    if len(np.unique(target)) < 2:
        return 0.5
    codes = _codes(values)
    folds = np.random.default_rng(seed).integers(0, FOLDS, len(codes))
    prior = float(target.mean())
    encoded = np.empty(len(codes))
    for fold in range(FOLDS):
        held = folds == fold
        rest = pd.DataFrame({"code": codes[~held], "y": target[~held]})
        rates = rest.groupby("code")["y"].agg(["sum", "count"])
        smoothed = (rates["sum"] + prior) / (rates["count"] + 1)
        encoded[held] = pd.Series(codes[held]).map(smoothed).fillna(prior).to_numpy()
    auc = float(roc_auc_score(target, encoded))
    return max(auc, 1.0 - auc)


def _codes(values: pd.Series) -> np.ndarray:
    """Each row's value as a category code: numbers by quantile bin, missing as -1."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().sum() == values.notna().sum() and numbers.nunique() > NUMERIC_BINS:
        binned = pd.qcut(numbers, NUMERIC_BINS, labels=False, duplicates="drop")
        return binned.fillna(-1).to_numpy(dtype=float)
    codes, _ = pd.factorize(values.astype("string"), use_na_sentinel=True)
    return codes.astype(float)


def kept_and_excluded(
    flagged: dict[str, str], keep: Sequence[str], exclude: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The columns to leave out (the user's and the flagged ones not kept) and, for the model
    card, each flagged column left out with its reason. A kept column must have been flagged."""
    unknown = [name for name in keep if name not in flagged]
    if unknown:
        raise InputError(
            f"--keep {', '.join(unknown)}: not flagged (flagged: {', '.join(flagged) or 'none'})"
        )
    reasons = {name: reason for name, reason in flagged.items() if name not in keep}
    return [*exclude, *(name for name in reasons if name not in exclude)], reasons
