"""Speed-ups change no result: a small demo organisation's import, report, diagnosis and
forecast compared with reference outputs recorded before the import and forecast were made
faster (issue #23: "Results unchanged by each speed-up").

The organisation is imported, then an update (one deal changed, one added, two invalid) is
imported on top, so the validation, reference checks and merge all run. The import summaries,
the rejects, the report and the diagnosis must equal the reference exactly (floats to 1e-9);
the forecast's simulated figures within a Monte Carlo tolerance (its deterministic ones,
booked money and open deals, exactly).

Re-record (only when a change is meant to change results, and say why in the commit):
ATTAIN_RECORD_RESULTS=1 pytest tests/ingest/test_results_unchanged.py
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from attain.demo import DemoSpec, generate
from attain.demo.truth import Truth
from attain.diagnosis.run import diagnose
from attain.forecast.calibrated import calibrated_forecast
from attain.forecast.settings import ForecastSettings
from attain.ingest.importer import ImportResult, import_files
from attain.metrics.report import performance_report
from attain.store import connect
from tests.backends.backend_support import differences, plain

REFERENCE = Path(__file__).with_name("reference_results.json")
SPEC = DemoSpec(reps=12, quarters=4, seed=5)
SIMULATED = ("mean", "p10", "p50", "p90", "chance_of_target", "expected_new")
"""Forecast row fields drawn by the Monte Carlo simulation: compared within a tolerance."""


def _update(files: Path, folder: Path) -> Path:
    """An update export: the first deal's amount changed, one new deal, two invalid deals."""
    with (files / "opportunities.csv").open(newline="") as source:
        reader = csv.DictReader(source)
        first = next(reader)
        header = list(reader.fieldnames or [])
    rows = [
        {**first, "amount": "12345.5"},
        {**first, "opportunity_id": "OPP-NEW-0", "amount": "777"},
        {**first, "opportunity_id": "OPP-NEW-1", "amount": "lots"},
        {**first, "opportunity_id": "OPP-NEW-2", "account_id": "NO-SUCH-ACCOUNT"},
    ]
    folder.mkdir()
    with (folder / "opportunities.csv").open("w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _summary(result: ImportResult) -> dict[str, Any]:
    """What an import reports, without its temporary paths."""
    return {
        "tables": [
            {**plain(table), "files": [Path(name).name for name in table.files]}
            for table in result.tables
        ],
        "rejects": result.rejects,
        "sample": [{**plain(r), "file": Path(r.file).name} for r in result.sample],
        "notes": result.notes,
        "version": result.version,
        "history_rows": result.history_rows,
    }


def _rejects(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return [rows[0], *([row[0], Path(row[1]).name, *row[2:]] for row in rows[1:])]


def _outputs(tmp_path: Path) -> dict[str, Any]:
    truth: Truth = generate(SPEC, tmp_path / "files")
    update = _update(tmp_path / "files", tmp_path / "update")
    backend = connect(str(tmp_path / "store.duckdb"))
    try:
        taken = datetime(2030, 1, 1)
        first = import_files(backend, [tmp_path / "files"], taken_at=taken)
        second = import_files(
            backend,
            [update],
            partial=True,
            rejects_path=tmp_path / "rejects.csv",
            taken_at=datetime(2030, 1, 2),
        )
        outputs = {
            "first": _summary(first),
            "second": _summary(second),
            "rejects": _rejects(tmp_path / "rejects.csv"),
            "report": plain(performance_report(backend, as_of=truth.as_of)),
            "diagnosis": plain(diagnose(backend, as_of=truth.as_of, icp=truth.icp_settings())),
        }
        forecast = calibrated_forecast(
            backend, truth.as_of, zone="UTC", settings=ForecastSettings(simulations=2000)
        )
        return {**outputs, "forecast": plain(forecast.rows)}
    finally:
        backend.disconnect()


def _json_ready(value: Any) -> Any:
    """Round-trip through JSON so dates compare as the recorded strings do."""
    return json.loads(json.dumps(value, default=_iso, sort_keys=True))


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _forecast_differences(expected: list[Any], actual: list[Any]) -> list[str]:
    """Rows differ where a deterministic field differs, or a simulated one by more than 3% of
    the row's P10-P90 band (about 3 standard errors of a P50 at 2,000 runs), or 0.03 for a
    chance."""
    if [(r["scope"], r["id"]) for r in expected] != [(r["scope"], r["id"]) for r in actual]:
        return ["forecast rows differ"]
    found = []
    for old, new in zip(expected, actual, strict=True):
        fixed = {k: v for k, v in old.items() if k not in SIMULATED}
        found += differences(fixed, {k: v for k, v in new.items() if k not in SIMULATED})
        band = max(old["p90"] - old["p10"], 1.0)
        for name in SIMULATED:
            tolerance = 0.03 if name == "chance_of_target" else 0.03 * band
            if (old[name] is None) != (new[name] is None) or (
                old[name] is not None and abs(old[name] - new[name]) > tolerance
            ):
                found.append(f"{old['scope']} {old['id']} {name}: {old[name]} != {new[name]}")
    return found


def test_results_equal_the_reference_recorded_before_the_speed_ups(tmp_path: Path) -> None:
    outputs = _json_ready(_outputs(tmp_path))
    if os.environ.get("ATTAIN_RECORD_RESULTS"):
        REFERENCE.write_text(json.dumps(outputs, indent=1, sort_keys=True) + "\n")
    if not REFERENCE.exists():
        pytest.fail(f"{REFERENCE.name} missing: record it with ATTAIN_RECORD_RESULTS=1")
    reference = json.loads(REFERENCE.read_text())
    assert outputs["second"]["tables"][0]["inserted"] == 1  # the update merged a new deal
    assert outputs["second"]["rejects"] == 2  # and refused two
    for part in ("first", "second", "rejects", "report", "diagnosis"):
        assert differences(reference[part], outputs[part]) == [], part
    assert _forecast_differences(reference["forecast"], outputs["forecast"]) == []
