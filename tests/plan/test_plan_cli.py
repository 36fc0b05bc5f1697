"""`attain plan` and `attain overrides` on the hand-built organisation of plan_support."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from plan_support import build_store
from typer.testing import CliRunner

from attain.cli.main import app
from attain.errors import InputError
from attain.forecast.forecast import forecast
from attain.forecast.settings import ForecastSettings
from attain.store import connect

runner = CliRunner()
ENV = {"ATTAIN_PLAN__HISTORY_QUARTERS": "1", "ATTAIN_FORECAST__MIN_SPREAD": "0"}
AS_OF = "2026-05-19"
QUICK = ForecastSettings(simulations=200)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_store(tmp_path_factory.mktemp("plan_cli")))


def plan(store: str, app_db: Path, *extra: str) -> str:
    result = runner.invoke(
        app,
        ["plan", "--db", store, "--as-of", AS_OF, "--app-db", str(app_db), *extra],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_text_shows_the_weekly_numbers_feasibility_and_lever(store: str, tmp_path: Path) -> None:
    output = plan(store, tmp_path / "none.db", "--rep", "ada")
    assert "Activity plan 2026-Q2 as of 2026-05-19" in output
    assert "ada Ada, team t1" in output
    assert "meetings" in output and "opportunities" in output and "contacts" in output
    assert "Not feasible" in output
    assert "Best lever (add_pipeline)" in output
    assert not (tmp_path / "none.db").exists()  # no app database is created just to read it


def test_a_team_gets_its_reps_and_a_total(store: str, tmp_path: Path) -> None:
    output = plan(store, tmp_path / "none.db", "--team", "t1")
    assert "ada Ada" in output and "cy Cy" in output and "dee" not in output
    assert "Team t1 One: still to close" in output
    assert "the team t1's are used" in output


def test_an_override_set_on_the_command_line_reaches_the_plan(store: str, tmp_path: Path) -> None:
    app_db = str(tmp_path / "app.db")
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "boss@example.com",
            "--name",
            "Boss",
            "--role",
            "manager",
            "--team",
            "t1",
            "--password-stdin",
            "--app-db",
            app_db,
        ],
        input="long enough to pass\n",
    )
    assert added.exit_code == 0, added.output
    made = runner.invoke(
        app,
        [
            "overrides",
            "set",
            "forecast_category",
            "O10",
            "commit",
            "--reason",
            "signed",
            "--by",
            "boss@example.com",
            "--db",
            store,
            "--app-db",
            app_db,
        ],
    )
    assert made.exit_code == 0, made.output
    assert "forecast_category O10 = commit (by boss@example.com: signed)" in made.output

    data = json.loads(plan(store, tmp_path / "app.db", "--rep", "ada", "--format", "json"))
    [ada] = data["plans"]
    assert ada["expected_open"] == pytest.approx(50_000)
    assert ada["remaining_gap"] == pytest.approx(10_000)
    # 10 000 ÷ 10 000 = 1 deal ÷ (0.4 × 2/3) = 3.75 opportunities, 0.625 a week, 1.25 meetings
    assert ada["weekly"]["meetings"] == pytest.approx(1.25)
    backend = connect(store, read_only=True)
    try:  # the value the override replaces: the forecast model's probability of the deal
        model = forecast(backend, date.fromisoformat(AS_OF), zone="UTC", settings=QUICK)
    finally:
        backend.disconnect()
    assert ada["overridden"] == [
        {
            "kind": "forecast_category",
            "target_id": "O10",
            "value": "commit",
            "computed": model.deal("O10").model_probability,
            "deals": 1,
        }
    ]
    text = plan(store, tmp_path / "app.db", "--rep", "ada")
    assert (
        f"Override: forecast_category O10 = commit in place of the model's "
        f"{model.deal('O10').model_probability:.2f} chance of winning it by the quarter's end"
    ) in text

    listed = runner.invoke(app, ["overrides", "list", "--app-db", app_db])
    assert listed.exit_code == 0 and "O10" in listed.output and "signed" in listed.output
    cleared = runner.invoke(
        app,
        [
            "overrides",
            "clear",
            "forecast_category",
            "O10",
            "--by",
            "boss@example.com",
            "--app-db",
            app_db,
        ],
    )
    assert cleared.exit_code == 0, cleared.output
    listed = runner.invoke(app, ["overrides", "list", "--app-db", app_db])
    assert "No overrides" in listed.output


def test_an_unknown_rep_or_user_is_a_one_line_error(store: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["plan", "--db", store, "--as-of", AS_OF, "--rep", "nobody"], env=ENV
    )
    assert isinstance(result.exception, InputError) and "no rep nobody" in str(result.exception)
    result = runner.invoke(
        app,
        [
            "overrides",
            "set",
            "stage_probability",
            "Proposal",
            "0.3",
            "--reason",
            "x",
            "--by",
            "who@example.com",
            "--app-db",
            str(tmp_path / "app.db"),
        ],
    )
    assert isinstance(result.exception, InputError) and "no user" in str(result.exception)


def test_a_manager_cannot_override_another_teams_deal_from_the_command_line(
    store: str, tmp_path: Path
) -> None:
    """The CLI applies the web's rule for --by (#22 part 7): O10 is ada's deal, in team t1."""
    app_db = str(tmp_path / "app.db")
    for email, team in (("other@example.com", "t2"), ("boss@example.com", "t1")):
        added = runner.invoke(
            app,
            [*("users", "add", email, "--name", "M", "--role", "manager", "--team", team),
             *("--password-stdin", "--app-db", app_db)],
            input="long enough to pass\n",
        )  # fmt: skip
        assert added.exit_code == 0, added.output

    def override(email: str, deal: str) -> Any:
        return runner.invoke(
            app,
            [*("overrides", "set", "forecast_category", deal, "commit", "--reason", "signed"),
             *("--by", email, "--db", store, "--app-db", app_db)],
        )  # fmt: skip

    refused = override("other@example.com", "O10")
    assert isinstance(refused.exception, InputError)
    assert "other@example.com may not change deal O10" in str(refused.exception)
    unknown = override("boss@example.com", "NO-SUCH-DEAL")
    assert isinstance(unknown.exception, InputError)
    made = override("boss@example.com", "O10")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("Override 1: ")  # nothing was stored for the refused ones
