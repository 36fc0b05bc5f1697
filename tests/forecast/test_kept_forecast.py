"""`attain forecast` keeps what it computed beside the store (attain.forecast.kept): asking the
same question of the same data answers from it, with a note; anything that decides the result
(a new import, the overrides, --target, the settings, --as-of, --recompute) computes afresh, and
a kept file that cannot be read or written is computed past."""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.demo.config import DemoSpec
from attain.forecast.kept import KEEP, Kept, keep
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb
from tests.support.stores import imported_demo

AS_OF = "2026-11-13"
FAST = {"ATTAIN_FORECAST__BACKTEST_SIMULATIONS": "200"}
"""Few runs per past forecast (the calibration's backtest): these tests check keeping, not
accuracy."""
KEPT = "forecast as computed at"

runner = CliRunner()


@dataclass(frozen=True)
class Demo:
    folder: Path
    db: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A 12-rep demo organisation over four quarters up to 2026-11-13, imported into DuckDB."""
    folder = tmp_path_factory.mktemp("kept_demo")
    path = imported_demo(
        folder, DemoSpec(reps=12, quarters=4, seed=3, as_of=date.fromisoformat(AS_OF))
    )
    run(str(path))  # its calibration is kept: the copies below start from it
    yield Demo(folder, str(path))


def run(
    db: str, *args: str, env: dict[str, str] | None = None, as_of: str | None = AS_OF
) -> dict[str, Any]:
    """`attain forecast` of `db` as JSON, 200 simulations, --as-of `as_of` unless args say."""
    given = "--as-of" in args or as_of is None
    as_of_args = [] if given else ["--as-of", str(as_of)]
    result = runner.invoke(
        app,
        ["forecast", "--db", db, *as_of_args, "--simulations", "200", "-f", "json", *args],
        env={**FAST, **(env or {})},
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def kept(data: dict[str, Any]) -> bool:
    """Whether the forecast was read back (its note says so) rather than computed."""
    return any(note.startswith(KEPT) for note in data["notes"])


def kept_files(db: str) -> list[Path]:
    return sorted(Path(db + ".results").glob("forecast-*.pickle"))


def copied(demo: Demo, tmp_path: Path) -> str:
    """A copy of the demo store with its calibration kept but no forecast."""
    target = tmp_path / "store.duckdb"
    shutil.copy(demo.db, target)
    shutil.copytree(demo.db + ".results", str(target) + ".results")
    for path in kept_files(str(target)):
        path.unlink()
    return str(target)


def test_the_repeat_is_the_computed_forecast_with_a_note(demo: Demo, tmp_path: Path) -> None:
    db = copied(demo, tmp_path)
    first = run(db)
    second = run(db)
    assert not kept(first) and kept(second)
    [note] = [n for n in second["notes"] if n.startswith(KEPT)]
    assert note.endswith("for this data version (import 1); --recompute to compute it again")
    assert {**second, "notes": [n for n in second["notes"] if n != note]} == first
    [path] = kept_files(db)
    assert path.stat().st_mode & 0o777 == 0o600
    # scope and format only filter and format the kept forecast
    rep = run(db, "--scope", "rep")
    assert kept(rep) and rep["rows"] == [r for r in first["rows"] if r["scope"] == "rep"]
    text = runner.invoke(
        app,
        ["forecast", "--db", db, "--as-of", AS_OF, "--simulations", "200"],
        env={**FAST, "COLUMNS": "300"},
    )
    assert text.exit_code == 0 and KEPT in text.output
    assert kept_files(db) == [path]


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(["--target", "50000"], id="target"),
        pytest.param(["--as-of", "2026-11-12"], id="as-of day"),
        pytest.param(["no --as-of"], id="no as-of, the same day"),
        pytest.param(["--simulations", "300"], id="simulations"),
        pytest.param(["--recompute"], id="recompute"),
    ],
)
def test_a_changed_question_computes_afresh(demo: Demo, changed: list[str]) -> None:
    run(demo.db)
    assert kept(run(demo.db))
    if changed == ["no --as-of"]:  # the data's last day, but the answer may change tomorrow
        assert not kept(run(demo.db, as_of=None))
    else:
        assert not kept(run(demo.db, *changed))


def test_recompute_replaces_the_kept_forecast(demo: Demo, tmp_path: Path) -> None:
    db = copied(demo, tmp_path)
    run(db)
    [path] = kept_files(db)
    before = path.stat().st_mtime_ns
    assert not kept(run(db, "--recompute"))
    assert path.stat().st_mtime_ns > before
    assert kept(run(db))


def test_changed_settings_compute_afresh(demo: Demo, tmp_path: Path) -> None:
    run(demo.db)
    config = tmp_path / "attain.toml"
    config.write_text("[forecast]\nseed = 7\n")
    changed = run(demo.db, env={"ATTAIN_CONFIG": str(config)})
    assert not kept(changed)
    assert kept(run(demo.db, env={"ATTAIN_CONFIG": str(config)}))


def test_a_new_import_computes_afresh(demo: Demo, tmp_path: Path) -> None:
    db = copied(demo, tmp_path)
    run(db)
    assert kept(run(db))
    export = tmp_path / "export"
    shutil.copytree(demo.folder, export, ignore=shutil.ignore_patterns("store.duckdb*"))
    rows = list(csv.DictReader((export / "opportunities.csv").open()))
    rows[0]["amount"] = str(float(rows[0]["amount"]) + 1)
    with (export / "opportunities.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    backend = connect(db)
    try:
        import_files(raw_duckdb(backend), [export])
    finally:
        backend.disconnect()
    assert not kept(run(db))
    again = run(db)
    assert any(n.startswith(KEPT) and "(import 2)" in n for n in again["notes"])


def test_changed_overrides_compute_afresh(demo: Demo, tmp_path: Path) -> None:
    app_db = str(tmp_path / "app.db")
    added = runner.invoke(
        app,
        [
            *("users", "add", "boss@example.com", "--name", "Boss", "--role", "admin"),
            *("--password-stdin", "--app-db", app_db),
        ],
        input="long enough to pass\n",
    )
    assert added.exit_code == 0, added.output
    first = run(demo.db, "--app-db", app_db)
    assert kept(run(demo.db, "--app-db", app_db))
    deal = first["deals"][0]["opportunity_id"]
    made = runner.invoke(
        app,
        [
            *("overrides", "set", "forecast_category", deal, "commit", "--reason", "signed"),
            *("--by", "boss@example.com", "--db", demo.db, "--app-db", app_db),
        ],
    )
    assert made.exit_code == 0, made.output
    assert not kept(run(demo.db, "--app-db", app_db))
    assert kept(run(demo.db, "--app-db", app_db))


def test_a_corrupt_kept_file_is_computed_and_replaced(demo: Demo, tmp_path: Path) -> None:
    db = copied(demo, tmp_path)
    first = run(db)
    [path] = kept_files(db)
    path.write_bytes(b"not a pickle")
    again = run(db)
    assert not kept(again) and again["rows"] == first["rows"]  # the card holds fit times
    assert kept(run(db))


def test_a_results_folder_that_cannot_be_written_still_answers(demo: Demo, tmp_path: Path) -> None:
    """A file where the results folder would be: nothing can be written there (as a read-only
    folder, but also when the tests run as root, who may write a read-only folder)."""
    target = tmp_path / "store.duckdb"
    shutil.copy(demo.db, target)
    Path(str(target) + ".results").write_text("")
    first = run(str(target))
    assert not kept(first) and not kept(run(str(target)))
    assert first["period"]["label"] == "2026-Q4"


def test_only_the_newest_kept_forecasts_stay(tmp_path: Path) -> None:
    for number in range(KEEP + 3):
        keep(
            tmp_path / f"forecast-{number:02}.pickle",
            Kept(cone=[], computed_at=datetime(2026, 12, 5), version=1),
        )
        time.sleep(0.02)  # a newer modification time than the last (a clock tick or more)
    assert [p.name for p in sorted(tmp_path.glob("forecast-*.pickle"))] == [
        f"forecast-{number:02}.pickle" for number in range(3, KEEP + 3)
    ]
    assert not list(tmp_path.glob(".forecast-*"))  # no temporary file left behind


def _calibration_files(db: str) -> list[Path]:
    return sorted(Path(db + ".results").glob("calibration-*.json"))


def _uncalibrated(demo: Demo, tmp_path: Path) -> str:
    """A copy of the demo store with no kept forecast or calibration."""
    db = copied(demo, tmp_path)
    for path in _calibration_files(db):
        path.unlink()
    return db


def test_a_kept_calibration_that_cannot_be_read_is_backtested_again(
    demo: Demo, tmp_path: Path
) -> None:
    """Half-written or written by other code: the forecast backtests again (the same band as
    from the kept points) and keeps whole points in its place, leaving no temporary file."""
    db = _uncalibrated(demo, tmp_path)
    first = run(db, "--recompute")
    (calibration,) = _calibration_files(db)
    whole = calibration.read_text()
    calibration.write_text(whole[: len(whole) // 2])
    again = run(db, "--recompute")
    assert again["rows"] == first["rows"]
    assert calibration.read_text() == whole
    calibration.write_text(json.dumps([{"week": 1}]))  # valid JSON, not points
    assert run(db, "--recompute")["rows"] == first["rows"]
    assert calibration.read_text() == whole
    assert [p.name for p in Path(db + ".results").iterdir() if p.name.startswith(".")] == []


def test_another_version_of_attain_backtests_the_calibration_afresh(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept calibration is keyed by Attain's code too (attain.fingerprint), as a kept
    forecast is: an upgrade does not read points its older backtest made."""
    import attain.forecast.calibrated as calibrated_module

    db = _uncalibrated(demo, tmp_path)
    run(db)
    before = _calibration_files(db)
    monkeypatch.setattr(calibrated_module, "code_fingerprint", lambda: "another version")
    run(db, "--recompute")
    after = _calibration_files(db)
    assert len(before) == 1 and len(after) == 2 and before[0] in after


def test_only_the_newest_calibrations_are_kept(demo: Demo, tmp_path: Path) -> None:
    """Each code version, week and setting keeps its own calibration: as with forecasts, only
    the KEEP most recently written or read are kept."""
    db = _uncalibrated(demo, tmp_path)
    folder = Path(db + ".results")
    for i in range(KEEP + 2):
        (folder / f"calibration-old{i:02}.json").write_text("[]")
        stamp = time.time() - 1000 + i
        os.utime(folder / f"calibration-old{i:02}.json", (stamp, stamp))
    run(db)
    names = sorted(path.name for path in _calibration_files(db))
    assert len(names) == KEEP
    assert [name for name in names if "old" in name] == [
        f"calibration-old{i:02}.json" for i in range(3, KEEP + 2)
    ]
