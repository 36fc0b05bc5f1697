"""Leakage study: the same model trained with and without fields measured after the outcome.

A field known only once a deal has closed (days spent in each stage, stage changes) makes a
model look far better on history than it can be on an open deal; training twice shows how much.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from attain.leads.model import ModelCard, train


@dataclass(frozen=True)
class LeakageStudy:
    """Model cards of the honest model (known-at-prediction fields only) and the leaky one."""

    honest: ModelCard
    leaky: ModelCard
    leaky_columns: tuple[str, ...]

    @property
    def inflation(self) -> float:
        """How much ROC AUC the after-the-fact fields add: the part that cannot be trusted."""
        return self.leaky.roc_auc - self.honest.roc_auc


def leakage_study(
    frame: pd.DataFrame,
    label: str,
    leaky_columns: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    seed: int = 0,
) -> LeakageStudy:
    """Train on `frame` without `leaky_columns` (honest) and with them (leaky), same split."""
    honest = train(frame, label, exclude=[*exclude, *leaky_columns], seed=seed).card
    leaky = train(frame, label, exclude=list(exclude), seed=seed).card
    return LeakageStudy(honest=honest, leaky=leaky, leaky_columns=tuple(leaky_columns))
