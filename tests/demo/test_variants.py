"""Demo variants differ from the standard organisation where they say, and only there."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from attain.demo import DemoSpec, generate
from attain.demo.truth import Truth
from attain.demo.variants import FOUR_STAGES, SEVEN_STAGES, VARIANTS

SPEC = DemoSpec(reps=12, quarters=5, seed=23)
"""Small enough to generate in a second or two; each cause is planted on one rep."""


def _generate(tmp_path: Path, variant: str) -> tuple[Truth, Path]:
    folder = tmp_path / variant
    return generate(replace(SPEC, variant=VARIANTS[variant]), folder), folder


@pytest.mark.parametrize(
    ("variant", "funnel"), [("seven_stages", SEVEN_STAGES), ("four_stages", FOUR_STAGES)]
)
def test_other_funnels_write_their_own_stage_names(
    tmp_path: Path, variant: str, funnel: object
) -> None:
    truth, folder = _generate(tmp_path, variant)
    history = pd.read_csv(folder / "opportunity_stages.csv")

    assert set(history["stage"]) == set(funnel.all_stages)  # type: ignore[attr-defined]
    assert truth.stages == list(funnel.all_stages)  # type: ignore[attr-defined]
    [leaker] = truth.reps_with("stage_leakage")
    [plant] = [p for p in truth.planted if p.rep_id == leaker]
    assert plant.detail["stage"] in funnel.stages[2:]  # type: ignore[attr-defined]


def test_quotas_per_month_and_per_year(tmp_path: Path) -> None:
    _, standard = _generate(tmp_path, "standard")
    _, monthly = _generate(tmp_path, "monthly_quotas")
    _, annual = _generate(tmp_path, "annual_quotas")
    quarters = pd.read_csv(standard / "quotas.csv", parse_dates=["period_start", "period_end"])
    months = pd.read_csv(monthly / "quotas.csv", parse_dates=["period_start", "period_end"])
    years = pd.read_csv(annual / "quotas.csv", parse_dates=["period_start", "period_end"])

    assert set(quarters["period_start"].dt.month) == {1, 4, 7, 10}
    # Q4 2025 to Q4 2026: fifteen months, three per quarter, each a third of its quarter's.
    assert months["period_start"].nunique() == 3 * quarters["period_start"].nunique() == 15
    assert (months["period_end"] - months["period_start"]).dt.days.max() <= 30
    assert set(years["period_start"].dt.strftime("%m-%d")) == {"01-01"}
    assert set(years["period_end"].dt.strftime("%m-%d")) == {"12-31"}
    # A year's first target is the year's quarters added up (scaled to four quarters).
    first = quarters.sort_values("set_at").drop_duplicates(["rep_id", "metric", "period_start"])
    rep = first[(first["metric"] == "bookings")]["rep_id"].iloc[0]
    mine = first[(first["rep_id"] == rep) & (first["metric"] == "bookings")]
    in_2026 = mine[mine["period_start"].dt.year == 2026]["target"]
    year = years[(years["rep_id"] == rep) & (years["metric"] == "bookings")]
    year_2026 = year[year["period_start"].dt.year == 2026].sort_values("set_at")["target"].iloc[0]
    assert year_2026 == pytest.approx(in_2026.sum() * 4 / len(in_2026), abs=500)


def test_single_symptom_lead_warming_is_late_first_touches_and_nothing_else(
    tmp_path: Path,
) -> None:
    """Standard lead-warming reps also get cold leads; single-symptom ones touch leads 8-25
    days after the MQL and get cold leads no more often than anyone."""
    truth, folder = _generate(tmp_path, "single_symptom")
    leads = pd.read_csv(
        folder / "leads.csv", parse_dates=["created_at", "mql_at", "first_sales_touch_at"]
    )
    since = pd.Timestamp(truth.parameters["causes_since"])
    recent = leads[(leads["mql_at"] >= since) & (leads["source"] != "outbound")]
    [rep] = truth.reps_with("lead_warming")
    hours = (recent["first_sales_touch_at"] - recent["mql_at"]).dt.total_seconds() / 3600
    delay = hours.groupby(recent["owner_rep_id"]).median()
    cold = recent["first_marketing_touch_at"].isna().groupby(recent["owner_rep_id"]).mean()

    assert 8 * 24 <= delay[rep] <= 25 * 24
    assert delay.drop(rep).max() < 24
    assert cold[rep] < 0.15
