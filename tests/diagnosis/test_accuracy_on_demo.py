"""Acceptance: on demo organisations (3 seeds, 200 reps, every cause planted on several reps)
rep-level recall and precision of every cause are at least 0.9."""

from __future__ import annotations

import pytest

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.demo.scoring import CauseScore, score
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

MINIMUM = 0.9


@pytest.fixture(scope="module", params=[1, 2, 3])
def scores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[CauseScore]:
    folder = tmp_path_factory.mktemp(f"accuracy{request.param}")
    truth = generate(DemoSpec(reps=200, quarters=5, seed=request.param), folder)
    backend = connect(str(folder / "store.duckdb"))
    import_files(raw_duckdb(backend), [folder])
    found = diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings())
    backend.disconnect()
    return score(truth, found, set(found.sellers))


def test_every_cause_is_planted_on_several_diagnosed_reps(scores: list[CauseScore]) -> None:
    for row in scores:
        assert row.true_positives + row.false_negatives >= 3, row.cause


def test_recall_of_every_cause_is_at_least_ninety_percent(scores: list[CauseScore]) -> None:
    low = {row.cause: row.recall for row in scores if (row.recall or 0.0) < MINIMUM}
    assert not low, f"recall below {MINIMUM}: {low}"


def test_precision_of_every_cause_is_at_least_ninety_percent(scores: list[CauseScore]) -> None:
    low = {
        row.cause: row.precision
        for row in scores
        if row.precision is not None and row.precision < MINIMUM
    }
    assert not low, f"precision below {MINIMUM}: {low}"
