"""Feature inference: kinds, exclusions with reasons, the leakage rule and schema checks."""

from __future__ import annotations

import pandas as pd
import pytest
from leads_support import synthetic_leads

from attain.errors import InputError
from attain.leads.features import LEAKAGE_COLUMNS, OTHER, FeatureKind, plan_features


def kinds(frame: pd.DataFrame, label: str, **options: object) -> dict[str, FeatureKind]:
    plan = plan_features(frame, label, **options)  # type: ignore[arg-type]
    return {feature.name: feature.kind for feature in plan.features}


def test_columns_are_read_as_numbers_yes_no_categories_and_dates() -> None:
    frame = synthetic_leads(200).assign(mql_at=lambda f: f.created_at + pd.Timedelta(days=2))
    assert kinds(frame, "converted", time_column="created_at") == {
        "engagement": FeatureKind.NUMERIC,
        "segment": FeatureKind.CATEGORICAL,
        "newsletter": FeatureKind.BOOLEAN,
        "noise": FeatureKind.NUMERIC,
        "mql_at": FeatureKind.DATETIME,
    }


def test_every_post_conversion_column_of_the_canonical_leads_is_excluded_as_leakage() -> None:
    frame = synthetic_leads(100)
    for name in LEAKAGE_COLUMNS:
        frame[name] = frame["converted"].astype(str)  # as predictive as a column can be
    plan = plan_features(frame, "converted")
    assert not set(plan.names) & set(LEAKAGE_COLUMNS)
    assert all(plan.excluded[name].startswith("leakage") for name in LEAKAGE_COLUMNS)


def test_ids_constants_free_text_and_user_exclusions_are_dropped_with_reasons() -> None:
    frame = synthetic_leads(300).assign(
        region="EU", comment=[f"note {i % 120}" for i in range(300)], code=range(300)
    )
    plan = plan_features(frame, "converted", exclude=["noise"])
    assert plan.excluded["lead_id"].startswith("identifier")
    assert plan.excluded["code"].startswith("identifier")
    assert plan.excluded["region"].startswith("constant")
    assert plan.excluded["comment"].startswith("high cardinality")
    assert plan.excluded["noise"] == "excluded by the user"
    assert plan.excluded["created_at"].startswith("datetime with no time column")
    assert plan.id_columns == ("lead_id", "code")


def test_rare_and_unseen_categories_pool_into_other() -> None:
    frame = synthetic_leads(100)
    frame.loc[:2, "segment"] = "rare"
    plan = plan_features(frame, "converted")
    (segment,) = [f for f in plan.features if f.name == "segment"]
    assert segment.categories == ("enterprise", "mid", "small", OTHER)
    scored = plan.matrix(frame.head(3).assign(segment=["mid", "brand new", None]))
    assert scored["segment"].astype(object).tolist()[:2] == ["mid", OTHER]
    assert pd.isna(scored["segment"].iloc[2])


def test_a_frame_missing_or_retyping_feature_columns_is_refused_by_name() -> None:
    frame = synthetic_leads(100)
    plan = plan_features(frame, "converted")
    changed = frame.drop(columns=["segment"]).assign(engagement="high")
    with pytest.raises(InputError, match=r"missing columns: segment.*engagement \(was numeric"):
        plan.check(changed)


def test_excluding_an_unknown_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown columns: nope"):
        plan_features(synthetic_leads(50), "converted", exclude=["nope"])
