"""The web app's forecast and `attain forecast` share the kept forecast (attain.forecast.kept):
the forecast `attain serve` computes in the background after an import answers the command's
same question (no --as-of, --target or overrides) from the file, and the command's forecast
serves the web's first page without computing it again."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.config import Settings, load_settings
from attain.demo.config import DemoSpec
from attain.forecast.forecast import Forecast
from attain.reports.forecast import to_json
from attain.web.results_cache import ResultsFile
from attain.web.services import Services
from tests.support.stores import imported_demo

FAST = {"ATTAIN_FORECAST__BACKTEST_SIMULATIONS": "200", "ATTAIN_FORECAST__SIMULATIONS": "200"}
"""Few runs (the forecast's and its calibration's backtest): these tests check sharing, not
accuracy; the web app and the command read the same settings."""
KEPT = "forecast as computed at"

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-rep demo organisation over four quarters up to 2026-11-13, imported into DuckDB."""
    folder = tmp_path_factory.mktemp("shared_kept_demo")
    spec = DemoSpec(reps=12, quarters=4, seed=3, as_of=date.fromisoformat("2026-11-13"))
    return imported_demo(folder, spec)


@pytest.fixture
def store(demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the demo store with nothing kept beside it, and the fast settings set."""
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    copy = tmp_path / "store.duckdb"
    shutil.copy(demo_store, copy)
    yield copy


def services_of(store: Path, settings: Settings) -> Services:
    """The web app's services as `attain serve` builds them: results file and background."""
    services = Services(settings, str(store), ResultsFile.beside(store, settings.model_dump_json()))
    services.background = True
    return services


def cli_forecast(store: Path, tmp_path: Path) -> dict[str, Any]:
    """`attain forecast --db store -f json` with no --as-of, --target or overrides."""
    result = runner.invoke(
        app,
        ["forecast", "--db", str(store), "-f", "json", "--app-db", str(tmp_path / "app.db")],
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def without_notes(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "notes"}


def as_json(result: Forecast) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(to_json(result))
    return data


def kept_files(store: Path) -> list[Path]:
    return sorted(store.with_name(store.name + ".results").glob("forecast-*.pickle"))


def test_the_command_answers_from_the_forecast_serve_computed_in_the_background(
    store: Path, tmp_path: Path
) -> None:
    services = services_of(store, load_settings())
    warmup = services.warm()
    assert warmup is not None
    warmup.join(300)
    assert {s.kind: s.state for s in warmup.steps()}["forecast"] == "ready"
    web = services.forecast(services.as_of(None).day)
    [path] = kept_files(store)
    written = path.stat().st_ino
    answer = cli_forecast(store, tmp_path)
    assert any(note.startswith(KEPT) for note in answer["notes"]), answer["notes"]
    assert without_notes(answer) == without_notes(as_json(web))
    assert path.stat().st_ino == written  # read, not written again


def test_the_web_reads_the_forecast_the_command_kept(store: Path, tmp_path: Path) -> None:
    computed = cli_forecast(store, tmp_path)
    assert not any(note.startswith(KEPT) for note in computed["notes"])
    [path] = kept_files(store)
    written = path.stat().st_ino
    with path.open("rb") as file:
        computed_at = pickle.load(file).computed_at
    services = services_of(store, load_settings())
    web = services.forecast(services.as_of(None).day)
    assert without_notes(as_json(web)) == without_notes(computed)
    assert kept_files(store) == [path] and path.stat().st_ino == written  # never re-kept
    with path.open("rb") as file:
        assert pickle.load(file).computed_at == computed_at
    # the web's own results file is filled from it: a restart finds it there
    restarted = services_of(store, load_settings())
    assert restarted.forecast(restarted.as_of(None).day) == web
    assert restarted.computed["forecast"] == 0


def test_a_question_the_web_does_not_ask_is_not_shared(store: Path, tmp_path: Path) -> None:
    """--target changes the answer: the command computes its own forecast beside the web's."""
    services = services_of(store, load_settings())
    services.forecast(services.as_of(None).day)
    result = runner.invoke(
        app,
        [
            *("forecast", "--db", str(store), "-f", "json", "--target", "50000"),
            *("--app-db", str(tmp_path / "app.db")),
        ],
    )
    assert result.exit_code == 0, result.output
    assert not any(note.startswith(KEPT) for note in json.loads(result.stdout)["notes"])
    assert len(kept_files(store)) == 2
