"""A field measured after the outcome inflates the model; the study shows by how much."""

import numpy as np
import pandas as pd

from attain.leads.leakage import leakage_study


def test_a_field_computed_from_the_outcome_inflates_auc_and_is_reported() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    signal = rng.normal(size=n)
    won = rng.random(n) < 1 / (1 + np.exp(-signal))
    frame = pd.DataFrame(
        {
            "signal": signal,
            "days_to_close": np.where(won, 20, 60) + rng.normal(scale=5, size=n),
            "won": won.astype(int),
        }
    )
    study = leakage_study(frame, "won", ["days_to_close"])
    assert "days_to_close" not in study.honest.features
    assert "days_to_close" in study.leaky.features
    assert study.leaky.roc_auc > 0.95
    assert 0.6 < study.honest.roc_auc < 0.85
    assert study.inflation > 0.1
