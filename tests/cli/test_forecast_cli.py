"""`attain forecast` and `attain forecast backtest` on a small demo store: the company line,
JSON equal to the core's forecast, a cone chart in HTML, a backtest row, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.demo.config import DemoSpec
from attain.errors import InputError
from attain.forecast.calibrated import calibrated_forecast
from attain.forecast.settings import ForecastSettings
from attain.store import connect
from tests.support.stores import imported_demo

AS_OF = "2026-11-13"
FAST = {"ATTAIN_FORECAST__BACKTEST_SIMULATIONS": "200"}
"""Few runs per past forecast (backtest, HTML cone): these tests check shape, not accuracy."""

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A 12-rep demo organisation over four quarters up to 2026-11-13, imported into DuckDB."""
    folder = tmp_path_factory.mktemp("forecast_demo")
    spec = DemoSpec(reps=12, quarters=4, seed=3, as_of=date.fromisoformat(AS_OF))
    yield str(imported_demo(folder, spec))


def test_text_starts_with_the_company_line_and_lists_reps(db: str) -> None:
    result = runner.invoke(
        app, ["forecast", "--db", db, "--as-of", AS_OF, "--simulations", "200"], env=FAST
    )
    assert result.exit_code == 0, result.output
    assert "Forecast 2026-Q4 as of 2026-11-13" in result.output
    company = next(line for line in result.output.splitlines() if line.startswith("Company:"))
    assert "P50" in company and "of target" in company and "chance of hitting it" in company
    assert "Win probabilities:" in result.output
    assert "Teams" in result.output and "Reps (lowest chance of target first)" in result.output


def test_json_is_the_core_forecast_for_the_same_day_and_seed(db: str) -> None:
    result = runner.invoke(
        app,
        ["forecast", "--db", db, "--as-of", AS_OF, "--simulations", "200", "--format", "json"],
        env=FAST,
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    company = next(row for row in shown["rows"] if row["scope"] == "company")
    assert company["p10"] <= company["p50"] <= company["p90"]
    backend = connect(db, read_only=True)
    try:
        core = calibrated_forecast(
            backend,
            date.fromisoformat(AS_OF),
            zone="UTC",
            settings=ForecastSettings(simulations=200, backtest_simulations=200),
        )
    finally:
        backend.disconnect()
    expected = core.row("company")
    assert (company["p10"], company["p50"], company["p90"]) == (
        expected.p10,
        expected.p50,
        expected.p90,
    )
    assert company["chance_of_target"] == expected.chance_of_target
    assert shown["as_of"] == AS_OF and shown["simulations"] == 200
    # The band is calibrated on the quarters before, and the JSON says how.
    assert [c["scope"] for c in shown["calibrations"]] == ["company", "team", "rep"]
    assert any("week" in note for note in shown["notes"])


def test_scope_keeps_only_those_rows_most_at_risk_first(db: str) -> None:
    args = ["--as-of", AS_OF, "--simulations", "200", "--format", "json", "--scope", "rep"]
    result = runner.invoke(app, ["forecast", "--db", db, *args], env=FAST)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert rows and {row["scope"] for row in rows} == {"rep"}
    chances = [row["chance_of_target"] for row in rows]
    assert chances == sorted(chances)


def test_html_is_one_page_with_the_cone_as_inline_svg(db: str, tmp_path: Path) -> None:
    page = tmp_path / "forecast.html"
    early = "2026-10-16"  # two weeks into the quarter: a cone of three forecasts is enough
    args = ["--as-of", early, "--simulations", "200", "--format", "html", "--output", str(page)]
    result = runner.invoke(app, ["forecast", "--db", db, *args], env=FAST)
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert "How the forecast narrowed" in html
    assert "<script" not in html and "cdn" not in html.lower()


def test_backtest_of_one_quarter_at_week_six_prints_its_row(db: str) -> None:
    result = runner.invoke(
        app, ["forecast", "backtest", "--db", db, "--periods", "1", "--weeks", "6"], env=FAST
    )
    assert result.exit_code == 0, result.output
    assert "Backtest of 1 quarter(s) (2026-Q3)" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["6"]
    assert "Overall: the actual fell inside P10–P90" in result.stdout


def test_backtest_json_scores_the_weeks_asked(db: str) -> None:
    args = ["--periods", "1", "--weeks", "6,2", "--format", "json"]
    result = runner.invoke(app, ["forecast", "backtest", "--db", db, *args], env=FAST)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["periods"] == ["2026-Q3"] and shown["weeks"] == [2, 6]
    assert [score["week"] for score in shown["scores"]] == [2, 6]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forecast", "--scope", "reps"], "--scope must be company, team or rep, not 'reps'"),
        (["forecast", "backtest", "--weeks", "0"], "--weeks takes week numbers from 1 to 13"),
        (["forecast", "backtest", "--weeks", "2,x"], "'x' is not one"),
    ],
)
def test_bad_input_is_an_input_error_before_the_store_is_read(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, [*args, "--db", str(tmp_path / "absent.duckdb")])
    assert isinstance(result.exception, InputError)
    assert message in str(result.exception) and "\n" not in str(result.exception)
    assert not (tmp_path / "absent.duckdb").exists()


def test_an_unknown_scope_is_one_line_on_stderr_and_exit_code_2(tmp_path: Path) -> None:
    args = ["forecast", "--scope", "everyone", "--db", str(tmp_path / "absent.duckdb")]
    result = subprocess.run(
        [sys.executable, "-c", "from attain.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "error: --scope must be company, team or rep, not 'everyone'\n"


def test_help_documents_every_option_and_the_settings_table() -> None:
    expected = {
        ("forecast",): (
            "--as-of",
            "--scope",
            "--simulations",
            "--format",
            "--recompute",
            "[forecast]",
        ),
        ("forecast", "backtest"): ("--periods", "--weeks", "--format", "[forecast]"),
    }
    for command, options in expected.items():
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        for option in options:
            assert option in result.output, (command, option)


def test_json_forecast_loads_no_chart_template_or_app_database_library(
    db: str, tmp_path: Path
) -> None:
    """The JSON (and text) forecast needs neither Altair, Jinja2 (the HTML page's charts and
    template) nor SQLAlchemy and Alembic when there is no app database to read overrides from."""
    out = tmp_path / "forecast.json"
    code = (
        "import sys\n"
        "from attain.cli.main import app\n"
        "try:\n"
        f"    app(['forecast', '--db', {db!r}, '--as-of', {AS_OF!r}, '--simulations', '200', "
        f"'--app-db', {str(tmp_path / 'none.db')!r}, '-f', 'json', '-o', {str(out)!r}])\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'altair', 'jinja2', 'vl_convert', 'sqlalchemy', 'alembic', 'fastapi'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **FAST},
    )
    assert json.loads(out.read_text())["period"]["label"] == "2026-Q4"
    assert result.stdout.splitlines()[-1] == "[]"
