"""Which columns of a lead table become model features, of what kind, and why the rest do not.

Rules, applied in order to every column but the label:
  1. the post-conversion columns of the canonical leads table are leakage and never features;
  2. columns the user excludes;
  3. the time column (it orders the split instead);
  4. names that mark identifiers (`id`, `*_id`, `* ID`), and text with one value per row;
  5. constant columns;
  6. numbers; yes/no-like text (booleans); datetimes as days after the time column (dropped
     without one); text with at most MAX_CATEGORIES values as categories; longer text dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from attain.errors import InputError

LEAKAGE_COLUMNS: dict[str, str] = {
    "status": "leakage: the lead's current status records the outcome",
    "converted_at": "leakage: set when the lead converts",
    "opportunity_id": "leakage: set when the lead converts",
    "accepted_at": "leakage: set when sales accepts the lead, after qualification",
    "rejected_at": "leakage: set when sales rejects the lead",
    "rejection_reason": "leakage: set when sales rejects the lead",
    "sql_at": "leakage: sales qualification happens on the way to conversion",
    "first_sales_touch_at": "leakage: sales works the leads it expects to convert",
}
"""Canonical leads columns written at or after the outcome the model predicts."""

MAX_CATEGORIES = 50
"""Text columns with more distinct values than this are dropped as free text or identifiers."""

MIN_CATEGORY_ROWS = 5
"""Categories seen on fewer training rows are pooled into OTHER."""

OTHER = "(other)"
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
_ID_NAME = re.compile(r"(^id$|_id$|\sid$|^id_)", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class FeatureKind(StrEnum):
    """How a column enters the model."""

    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Feature:
    """One model input: its column, kind and, for categories, the values seen in training."""

    name: str
    kind: FeatureKind
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeaturePlan:
    """The features a model uses, the columns it left out with the reason, and the id columns."""

    features: tuple[Feature, ...]
    excluded: dict[str, str]
    time_column: str | None
    id_columns: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        """Feature names in model order."""
        return [feature.name for feature in self.features]

    @property
    def fingerprint(self) -> str:
        """A short hash of the feature names and kinds: models only score frames that match."""
        schema = [[feature.name, feature.kind.value] for feature in self.features]
        return hashlib.sha256(json.dumps(schema).encode()).hexdigest()[:16]

    def check(self, frame: pd.DataFrame) -> None:
        """Raise InputError naming every feature column `frame` lacks or holds in another type."""
        needed = list(self.names)
        if any(feature.kind is FeatureKind.DATETIME for feature in self.features):
            needed.append(str(self.time_column))
        missing = [name for name in needed if name not in frame.columns]
        changed = [
            f"{feature.name} (was {feature.kind.value}, now {column_kind(frame[feature.name])})"
            for feature in self.features
            if feature.name in frame.columns and not _compatible(feature, frame[feature.name])
        ]
        problems = []
        if missing:
            problems.append(f"missing columns: {', '.join(missing)}")
        if changed:
            problems.append(f"changed types: {', '.join(changed)}")
        if problems:
            raise InputError(
                f"the data does not match the model's schema ({self.fingerprint}): "
                f"{'; '.join(problems)}; score data shaped like the training data or retrain"
            )

    def matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The feature matrix: floats, plus pandas categoricals with the training categories."""
        self.check(frame)
        columns: dict[str, pd.Series] = {}
        for feature in self.features:
            series = frame[feature.name]
            if feature.kind is FeatureKind.NUMERIC:
                columns[feature.name] = pd.to_numeric(series, errors="coerce").astype(float)
            elif feature.kind is FeatureKind.BOOLEAN:
                columns[feature.name] = boolean_values(series)
            elif feature.kind is FeatureKind.DATETIME:
                start = _datetimes(frame[str(self.time_column)])
                days = (_datetimes(series) - start).dt.total_seconds() / 86400.0
                columns[feature.name] = days.astype(float)
            else:
                text = _text(series)
                known = text.where(text.isin(feature.categories) | text.isna(), OTHER)
                columns[feature.name] = pd.Series(
                    pd.Categorical(known, categories=feature.categories), index=frame.index
                )
        return pd.DataFrame(columns, index=frame.index)


def plan_features(
    frame: pd.DataFrame,
    label: str,
    *,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
) -> FeaturePlan:
    """Infer each column's kind and decide which columns become features (see module rules)."""
    unknown = [name for name in exclude if name not in frame.columns]
    if unknown:
        raise InputError(f"cannot exclude unknown columns: {', '.join(unknown)}")
    if time_column is not None and time_column not in frame.columns:
        raise InputError(f"time column {time_column!r} is not in the data")
    features: list[Feature] = []
    excluded: dict[str, str] = {}
    ids: list[str] = []
    for name in frame.columns:
        if name == label:
            continue
        reason = _exclusion(frame[name], str(name), time_column, exclude)
        if reason is not None:
            excluded[name] = reason
            if reason.startswith("identifier"):
                ids.append(name)
            continue
        kind = column_kind(frame[name])
        if kind is FeatureKind.DATETIME and time_column is None:
            excluded[name] = "datetime with no time column to measure it from"
        elif kind is FeatureKind.CATEGORICAL:
            distinct = frame[name].nunique()
            if distinct > MAX_CATEGORIES:
                excluded[name] = f"high cardinality: {distinct} distinct values"
            else:
                features.append(Feature(name, kind, _categories(frame[name])))
        else:
            features.append(Feature(name, kind))
    if not features:
        raise InputError("no usable feature columns left; see the excluded columns and reasons")
    return FeaturePlan(tuple(features), excluded, time_column, tuple(ids))


def column_kind(series: pd.Series) -> FeatureKind:
    """The kind a column reads as: boolean, numeric, datetime or categorical."""
    if pd.api.types.is_bool_dtype(series):
        return FeatureKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(series):
        return FeatureKind.DATETIME
    if pd.api.types.is_numeric_dtype(series):
        return FeatureKind.NUMERIC
    # Each distinct value once: the same kind as reading every row, without stripping and
    # matching a value as often as it repeats (a stage column of 100,000 rows has ten).
    text = _text(pd.Series(series.unique(), dtype=object)).dropna()
    if text.empty:
        return FeatureKind.CATEGORICAL
    words = set(text.str.lower().unique())
    if words <= TRUE_WORDS | FALSE_WORDS and len(words) <= 2:
        return FeatureKind.BOOLEAN
    if text.str.match(_ISO_DATE).all() and _datetimes(text).notna().all():
        return FeatureKind.DATETIME
    return FeatureKind.CATEGORICAL


def boolean_values(series: pd.Series) -> pd.Series:
    """1.0 for yes/true/1, 0.0 for no/false/0, NaN otherwise."""
    words = _text(series).str.lower()
    values = words.map(lambda word: 1.0 if word in TRUE_WORDS else 0.0, na_action="ignore")
    return values.where(words.isin(TRUE_WORDS | FALSE_WORDS)).astype(float)


def _exclusion(
    series: pd.Series, name: str, time_column: str | None, exclude: Sequence[str]
) -> str | None:
    if name in LEAKAGE_COLUMNS:
        return LEAKAGE_COLUMNS[name]
    if name in exclude:
        return "excluded by the user"
    if name == time_column:
        return "time column: orders the train/validation split"
    present = series.dropna()
    if _ID_NAME.search(name.strip()):
        return "identifier: the name marks an id"
    if present.nunique() <= 1:
        return "constant: one value or empty"
    kind = column_kind(series)
    one_per_row = len(present) > 20 and present.nunique() == len(present)
    if one_per_row and (
        kind is FeatureKind.CATEGORICAL
        or (kind is FeatureKind.NUMERIC and pd.api.types.is_integer_dtype(series))
    ):
        return "identifier: a different value on every row"
    return None


def _compatible(feature: Feature, series: pd.Series) -> bool:
    kind = column_kind(series)
    if series.isna().all() or kind is feature.kind:
        return True
    # a yes/no column read as numbers, or a sparse category read as booleans, keeps its meaning
    pairs = {
        (FeatureKind.BOOLEAN, FeatureKind.NUMERIC),
        (FeatureKind.NUMERIC, FeatureKind.BOOLEAN),
        (FeatureKind.CATEGORICAL, FeatureKind.BOOLEAN),
        (FeatureKind.CATEGORICAL, FeatureKind.NUMERIC),
    }
    return (feature.kind, kind) in pairs


def _categories(series: pd.Series) -> tuple[str, ...]:
    counts = _text(series).value_counts()
    kept = sorted(str(value) for value in counts[counts >= MIN_CATEGORY_ROWS].index)
    return (*kept, OTHER) if len(kept) < len(counts) else tuple(kept)


def _text(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(text != "").astype(object)


def _datetimes(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce", format="ISO8601", utc=True)
