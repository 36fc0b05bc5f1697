"""On a demo organisation, reps with a planted activity drop are asked for their usual week back.

The demo keeps DROP_FACTOR (0.3) of a planted rep's usual activity over the last two weeks.
A plan that closes their gap must ask for at least their usual meetings again: required weekly
meetings ≥ the last two weeks' ÷ the factor. Planted reps whose gap is already covered need
nothing, and their plan says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.truth import Truth
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import import_files
from attain.plan.run import PlanReport, store_plan
from attain.plan.settings import PlanSettings
from attain.store import connect, raw_duckdb

AS_OF = date(2026, 11, 13)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Truth]]:
    folder = tmp_path_factory.mktemp("plan_demo")
    generate(DemoSpec(reps=40, quarters=6, seed=6, as_of=AS_OF), folder)
    backend = connect(str(folder / "store.duckdb"))
    import_files(raw_duckdb(backend), [folder])
    yield backend, Truth.model_validate_json((folder / "truth.json").read_text())
    backend.disconnect()


@pytest.fixture(scope="module")
def report(demo: tuple[Any, Truth]) -> PlanReport:
    backend, _ = demo
    return store_plan(
        backend, AS_OF, zone="UTC", settings=PlanSettings(), forecast_settings=ForecastSettings()
    )


def test_planted_activity_drop_reps_are_asked_for_their_usual_week_back(
    demo: tuple[Any, Truth], report: PlanReport
) -> None:
    _, truth = demo
    plans = {plan.rep_id: plan for plan in report.plans}
    planted = truth.reps_with("activity_drop")
    [factor] = {p.detail["factor"] for p in truth.planted if p.cause == "activity_drop"}
    behind = [rep for rep in planted if plans[rep].remaining_gap > 0]
    assert behind, "no planted rep is short of target on this seed: pick another"
    for rep in behind:
        meetings = plans[rep].requirement("meetings")
        assert meetings.per_week is not None
        assert meetings.per_week >= meetings.recent_per_week / factor, rep
    for rep in set(planted) - set(behind):
        assert plans[rep].weekly_meetings == 0 and plans[rep].feasible is True


def test_every_rep_with_a_target_gets_a_plan_with_its_evidence(report: PlanReport) -> None:
    assert len(report.plans) >= 30
    for plan in report.plans:
        assert plan.pipeline_source == "forecast"
        assert plan.remaining_gap >= 0
        if plan.remaining_gap > 0 and plan.weekly_meetings is not None:
            assert plan.best_lever is not None
            assert plan.feasibility_ratio is not None
        if plan.thin:
            assert any("too few to trust" in note for note in plan.notes)
    data = report.to_dict()
    assert data["plans"][0]["weekly"].keys() == {"meetings", "opportunities", "contacts"}
