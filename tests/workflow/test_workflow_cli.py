"""`attain coaching`, `attain digest`, `attain alignment` and `attain actions` from the shell."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner
from workflow_support import Demo

from attain.cli.main import app

runner = CliRunner()


def test_every_workflow_command_has_help() -> None:
    for args in (
        ["coaching", "--help"],
        ["coaching", "log", "--help"],
        ["coaching", "agenda", "--help"],
        ["coaching", "coverage", "--help"],
        ["digest", "--help"],
        ["alignment", "agenda", "--help"],
        ["alignment", "actions", "--help"],
        ["actions", "done", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)


def test_log_list_agenda_and_done_on_the_demo(demo: Demo, tmp_path: Path) -> None:
    app_db = ["--app-db", str(tmp_path / "app.db")]
    db = ["--db", str(demo.store)]
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "boss@x.com",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password-stdin",
            *app_db,
        ],
        input="long enough to pass\n",
    )
    assert added.exit_code == 0, added.output
    logged = runner.invoke(
        app,
        [
            "coaching",
            "log",
            "--rep",
            "R0013",
            "--at",
            "2026-11-02",
            "--minutes",
            "30",
            "--action",
            "Call back dark deals|R0013|2026-11-09",
            "--by",
            "boss@x.com",
            *app_db,
        ],
    )
    assert logged.exit_code == 0, logged.output
    assert "1 action(s)" in logged.output
    listed = runner.invoke(
        app, ["coaching", "list", "--rep", "R0013", "--format", "json", *db, *app_db]
    )
    assert listed.exit_code == 0, listed.output
    assert '"origin": "app"' in listed.output and '"origin": "store"' in listed.output
    agenda = runner.invoke(
        app, ["coaching", "agenda", "--rep", "R0013", "--as-of", "2026-11-13", *db, *app_db]
    )
    assert agenda.exit_code == 0, agenda.output
    assert "1. We agreed 'Call back dark deals'" in agenda.output
    done = runner.invoke(app, ["actions", "done", "1", "--by", "boss@x.com", *app_db])
    assert done.exit_code == 0, done.output
    digest = runner.invoke(
        app, ["digest", "--format", "html", "--as-of", "2026-11-13", *db, *app_db]
    )
    assert digest.exit_code == 0 and "Weekly digest: Company" in digest.output
