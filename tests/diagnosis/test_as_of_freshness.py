"""As of the data's last day (issue 19): a demo organisation whose data ends on 2026-11-12,
diagnosed 21 days later, gives the same rep findings without --as-of as on its last day. With
--as-of 21 days later, recent behaviour is measured up to the data's last day: the same
findings as as of the day after it (the demo's own as-of, 2026-11-13, whose measured days end
on the last day of data). Before, every day after the export counted as a day without
activity, and nearly every rep got an "activity dropped" finding."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.diagnosis.finding import Diagnosis
from attain.diagnosis.run import diagnose
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb
from attain.store.freshness import data_through

LATER = timedelta(days=21)


@pytest.fixture(scope="module")
def diagnoses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Diagnosis]:
    folder: Path = tmp_path_factory.mktemp("stale")
    truth = generate(DemoSpec(reps=30, quarters=3, seed=5), folder)
    backend = connect(str(folder / "store.duckdb"))
    try:
        taken = datetime.combine(truth.as_of + LATER, time(9))
        import_files(raw_duckdb(backend), [folder], taken_at=taken)
        last = data_through(backend)
        assert last is not None and last < truth.as_of
        icp = truth.icp_settings()
        return {
            "default": diagnose(backend, icp=icp),
            "last day": diagnose(backend, as_of=last, icp=icp),
            "day after": diagnose(backend, as_of=last + timedelta(days=1), icp=icp),
            "21 days later": diagnose(backend, as_of=last + LATER, icp=icp),
        }
    finally:
        backend.disconnect()


def rep_findings(diagnosis: Diagnosis) -> set[tuple[str, str]]:
    return {(f.id, f.cause) for f in diagnosis.findings if f.scope == "rep"}


def test_without_as_of_the_diagnosis_is_of_the_data_s_last_day(
    diagnoses: dict[str, Diagnosis],
) -> None:
    default, last = diagnoses["default"], diagnoses["last day"]
    assert default.as_of == last.as_of
    assert any(note.startswith(f"data through {last.as_of}") for note in default.notes)
    assert rep_findings(default) == rep_findings(last)
    assert rep_findings(default)  # the planted causes are found


def test_a_later_as_of_measures_behaviour_up_to_the_data_s_last_day(
    diagnoses: dict[str, Diagnosis],
) -> None:
    later, after = diagnoses["21 days later"], diagnoses["day after"]
    assert later.as_of == diagnoses["last day"].as_of + LATER
    assert later.window == after.window
    assert later.window.end == diagnoses["last day"].as_of
    assert rep_findings(later) == rep_findings(after)
    last_day = diagnoses["last day"].as_of
    assert any(f"measured up to {last_day}, the data's last day" in note for note in later.notes)
