"""The lead model on synthetic leads with a known signal: accuracy, calibration, grades,
reasons, the time split, the leakage guard, schema checks and saving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from leads_support import synthetic_leads

from attain.errors import InputError
from attain.leads.model import Boosting, TrainedModel, train
from attain.reports.jsonable import dumps


@pytest.fixture(scope="module")
def boosted() -> TrainedModel:
    return train(synthetic_leads(4000), "converted", time_column="created_at")


@pytest.fixture(scope="module")
def linear() -> TrainedModel:
    return train(synthetic_leads(1500, seed=1), "converted")


def test_a_quick_fit_boosts_fewer_trees_without_a_refit_and_finds_the_signal(
    boosted: TrainedModel,
) -> None:
    """The forecast's win model: a learning rate of 0.1 and no refit on all rows. The scorer is
    then the early-stopped booster itself (its best round count), and the card measures it."""
    quick = train(
        synthetic_leads(4000),
        "converted",
        time_column="created_at",
        boosting=Boosting(learning_rate=0.1, refit=False),
    )
    trees = quick.scorer.booster.num_trees()
    assert trees == quick.scorer.booster.best_iteration
    assert trees < boosted.scorer.booster.num_trees()
    assert quick.card.roc_auc > 0.85
    assert abs(quick.card.roc_auc - boosted.card.roc_auc) < 0.02


def test_large_tables_get_lightgbm_and_small_ones_logistic_regression(
    boosted: TrainedModel, linear: TrainedModel
) -> None:
    assert boosted.card.algorithm == "lightgbm"
    assert linear.card.algorithm == "logistic_regression"


@pytest.mark.parametrize("name", ["boosted", "linear"])
def test_the_known_signal_is_found_and_probabilities_are_calibrated(
    name: str, request: pytest.FixtureRequest
) -> None:
    card = request.getfixturevalue(name).card
    assert card.roc_auc > 0.85
    assert card.brier < 0.15
    assert card.lift_top_10 > 1.8
    rows = sum(row["count"] for row in card.calibration)
    gap = sum(abs(row["predicted"] - row["observed"]) * row["count"] for row in card.calibration)
    assert rows == card.rows_validation
    assert gap / rows < 0.06  # count-weighted calibration error


def test_reasons_name_the_signal_column(boosted: TrainedModel, linear: TrainedModel) -> None:
    frame = synthetic_leads(200, seed=5)
    for model in (boosted, linear):
        reasons = model.explain(frame, top=3)
        assert all(len(row) == 3 for row in reasons)
        leading = [row[0][0].split("=")[0] for row in reasons]
        assert leading.count("engagement") > 0.6 * len(frame)
        strong = frame["engagement"].to_numpy() > 1.5
        signs = np.array(
            [
                dict(row).get(f"engagement={e:.4g}", 0.0)
                for row, e in zip(reasons, frame["engagement"], strict=True)
            ]
        )
        assert (signs[strong] > 0).all()


def test_grades_are_ordered_by_probability_and_conversion(boosted: TrainedModel) -> None:
    frame = synthetic_leads(3000, seed=7)
    probability = boosted.predict_proba(frame)
    grades = boosted.grade(probability)
    bounds = boosted.card.grade_thresholds
    assert bounds["A"] > bounds["B"] > bounds["C"]
    rates = pd.Series(frame["converted"].to_numpy()).groupby(grades).mean()
    assert list(rates.index) == ["A", "B", "C", "D"]
    assert rates.is_monotonic_decreasing
    assert (pd.Series(grades).value_counts(normalize=True)["A"]) == pytest.approx(0.1, abs=0.04)


def test_time_split_validates_on_the_latest_leads() -> None:
    frame = synthetic_leads(3000).sample(frac=1.0, random_state=3)  # rows out of time order
    card = train(frame, "converted", time_column="created_at").card
    assert card.split == "time-based on created_at (last 25%)"
    assert card.rows_validation == 750
    assert card.rows_train == 2250
    assert "created_at" not in card.features


def test_time_split_keeps_the_holdout_after_every_training_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from attain.leads import model as module

    seen: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    original = module._split

    def spy(frame: pd.DataFrame, *args: object) -> tuple[np.ndarray, np.ndarray]:
        kept, held = original(frame, *args)  # type: ignore[arg-type]
        times = frame["created_at"].to_numpy()
        seen.append((times[kept].max(), times[held].min()))
        return kept, held

    monkeypatch.setattr(module, "_split", spy)
    train(
        synthetic_leads(800).sample(frac=1.0, random_state=4), "converted", time_column="created_at"
    )
    assert seen and all(last_kept < first_held for last_kept, first_held in seen)


def test_a_leaky_column_never_becomes_a_feature(boosted: TrainedModel) -> None:
    assert {"status", "converted_at"} & set(boosted.card.features) == set()
    assert boosted.card.excluded["status"].startswith("leakage")
    assert boosted.card.excluded["converted_at"].startswith("leakage")
    assert boosted.card.roc_auc < 0.99  # a model that saw the outcome would be perfect


def test_scoring_a_frame_of_another_schema_names_the_columns(boosted: TrainedModel) -> None:
    frame = synthetic_leads(50).drop(columns=["segment"]).assign(noise="n/a")
    with pytest.raises(InputError, match=r"missing columns: segment.*noise \(was numeric"):
        boosted.predict_proba(frame)


def test_save_and_load_round_trip(boosted: TrainedModel, tmp_path: Path) -> None:
    frame = synthetic_leads(100, seed=9)
    boosted.save(tmp_path / "leads.model")
    loaded = TrainedModel.load(tmp_path / "leads.model")
    assert loaded.card == boosted.card
    np.testing.assert_allclose(loaded.predict_proba(frame), boosted.predict_proba(frame))
    assert dumps(loaded.card).startswith("{")


def test_loading_something_else_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "other.model").write_text("not a model")
    with pytest.raises(InputError, match="not an Attain lead model"):
        TrainedModel.load(tmp_path / "other.model")


def test_a_label_with_one_outcome_is_refused() -> None:
    frame = synthetic_leads(100).assign(converted=False)
    with pytest.raises(InputError, match="only one outcome"):
        train(frame, "converted")
