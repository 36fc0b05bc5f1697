"""Lead model vs a plain logistic regression vs the majority class on the public datasets.

    python benchmarks/leads.py   (datasets under ATTAIN_DATA, default ../shared/data)

All three are scored on the same held-out 25% stratified split; leakage columns are removed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from attain.leads.features import FeatureKind, plan_features
from attain.leads.model import label_values, lift, train

DATA = Path(os.environ.get("ATTAIN_DATA", Path(__file__).parents[1] / ".." / "shared" / "data"))
DATASETS = {
    "x_education": (
        "x_education_leads/Leads.csv",
        ",",
        "Converted",
        [
            "Tags",
            "Lead Quality",
            "Lead Profile",
            "Asymmetrique Activity Index",
            "Asymmetrique Profile Index",
            "Asymmetrique Activity Score",
            "Asymmetrique Profile Score",
            "Last Activity",
            "Last Notable Activity",
            "Lead Number",
            "Prospect ID",
        ],
    ),
    "bank_marketing": ("bank_marketing/bank-additional-full.csv", ";", "y", ["duration"]),
}


def baseline_logistic(
    frame: pd.DataFrame, label: str, exclude: list[str], seed: int
) -> dict[str, float]:
    """The textbook pipeline: one-hot text, median-filled scaled numbers, logistic regression."""
    plan = plan_features(frame, label, exclude=exclude)
    text = [f.name for f in plan.features if f.kind is FeatureKind.CATEGORICAL]
    numbers = [f.name for f in plan.features if f.kind is not FeatureKind.CATEGORICAL]
    matrix = plan.matrix(frame)
    matrix[text] = matrix[text].astype(object).fillna("(missing)")
    target = label_values(frame[label]).astype(int)
    kept, held = train_test_split(
        np.arange(len(frame)), test_size=0.25, stratify=target, random_state=seed
    )
    pipeline = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), text),
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        ),
        LogisticRegression(max_iter=2000),
    )
    started = time.perf_counter()
    pipeline.fit(matrix.iloc[kept], target[kept])
    seconds = time.perf_counter() - started
    predicted = pipeline.predict_proba(matrix.iloc[held])[:, 1]
    return _metrics(target[held], predicted, seconds)


def _metrics(observed: np.ndarray, predicted: np.ndarray, seconds: float) -> dict[str, float]:
    return {
        "roc_auc": roc_auc_score(observed, predicted),
        "pr_auc": average_precision_score(observed, predicted),
        "brier": brier_score_loss(observed, predicted),
        "lift@10%": lift(observed, predicted, 0.1),
        "train_s": seconds,
    }


def main() -> None:
    rows = []
    for name, (file, sep, label, exclude) in DATASETS.items():
        frame = pd.read_csv(DATA / file, sep=sep)
        card = train(frame, label, exclude=exclude, seed=0).card
        rows.append(
            {
                "dataset": name,
                "model": f"attain ({card.algorithm})",
                "roc_auc": card.roc_auc,
                "pr_auc": card.pr_auc,
                "brier": card.brier,
                "lift@10%": card.lift_top_10,
                "train_s": card.train_seconds,
            }
        )
        rows.append(
            {"dataset": name, "model": "logistic baseline"}
            | baseline_logistic(frame, label, exclude, 0)
        )
        target = label_values(frame[label]).astype(int)
        _, held = train_test_split(
            np.arange(len(frame)), test_size=0.25, stratify=target, random_state=0
        )
        rate = np.full(len(held), target.mean())
        rows.append(
            {"dataset": name, "model": "majority (base rate)"} | _metrics(target[held], rate, 0.0)
        )
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
