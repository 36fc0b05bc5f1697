"""Acceptance on organisations of another shape: each cause planted through a single symptom
is found, and a clean organisation (no planted cause) gives findings on at most 2% of reps.

Each organisation takes about a minute to generate, import and diagnose on two cores, so
these are marked slow (`make test` leaves them out; run with -m slow). The detector tests
check one decisive signal per cause on hand-built data in seconds.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from attain.demo import DemoSpec, generate
from attain.demo.scoring import CauseScore, score
from attain.demo.variants import VARIANTS
from attain.diagnosis.finding import Diagnosis
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

SPEC = DemoSpec(reps=40, quarters=5, seed=21)
"""40 sellers, each cause planted on two of them (a seed no other test uses)."""


def _diagnosed(
    spec: DemoSpec, folder: Path, *, icp: bool = True
) -> tuple[Diagnosis, list[CauseScore]]:
    truth = generate(spec, folder)
    backend = connect(str(folder / "store.duckdb"))
    import_files(raw_duckdb(backend), [folder])
    found = diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings() if icp else None)
    backend.disconnect()
    return found, score(truth, found, set(found.sellers))


@pytest.mark.slow
def test_every_cause_planted_through_a_single_symptom_is_found(tmp_path: Path) -> None:
    """With the demo's [icp]; without it, lead criteria infer a profile that finds fewer of its
    reps (see docs/diagnosis.md, "Without [icp]"), measured by the benchmark, not gated here."""
    _, scores = _diagnosed(replace(SPEC, variant=VARIANTS["single_symptom"]), tmp_path)

    missed = {row.cause: row.false_negatives for row in scores if row.false_negatives}
    wrong = {row.cause: row.false_positives for row in scores if row.false_positives}
    assert all(row.true_positives + row.false_negatives == 2 for row in scores)
    assert not missed and not wrong


@pytest.mark.slow
def test_a_clean_organisation_has_findings_on_at_most_two_percent_of_reps(tmp_path: Path) -> None:
    """100 reps, so that 2% is two reps (of 40, it would be none: one chance alarm fails it)."""
    found, _ = _diagnosed(replace(SPEC, reps=100, plant_share=0.0, seed=22), tmp_path)

    flagged = {f.id for f in found.findings if f.scope == "rep" and f.id in found.sellers}
    assert len(found.sellers) >= 90
    assert len(flagged) <= 0.02 * len(found.sellers), sorted(flagged)
