"""The command line explains itself and reports errors in one line."""

from pathlib import Path

from typer.testing import CliRunner

from attain.cli.main import app

runner = CliRunner()


def test_every_command_has_help() -> None:
    commands = ("import", "status", "report", "diagnose", "demo")
    for args in (["--help"], *([command, "--help"] for command in commands)):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def test_import_then_status_show_what_was_loaded(tmp_path: Path) -> None:
    (tmp_path / "teams.csv").write_text("team_id,name\nT1,East\nT2,\n")
    db = str(tmp_path / "s.duckdb")
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["import", str(tmp_path), "--db", db, "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert "Loaded 1 row(s)." in result.output
    assert "empty value in a required column" in rejects.read_text()
    status = runner.invoke(app, ["status", "--db", db])
    assert status.exit_code == 0
    assert "teams" in status.output and "Imports so far: 1" in status.output


def test_bracketed_names_in_help_survive_rich_markup() -> None:
    expected = {
        ("report",): "[performance]",
        ("diagnose",): "[icp]",
        ("icp", "suggest"): "[icp]",
        ("import",): "[default: $ATTAIN_DB or attain.duckdb]",
    }
    for command, text in expected.items():
        # Rich sizes help from COLUMNS, not Click's terminal_width: wide enough for one line.
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert text in result.output, command


def test_report_without_targets_or_deals_says_why_no_rep_lines(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text("rep_id,name,role,hire_date\nR1,Ana,rep,2025-01-06\n")
    db = str(tmp_path / "s.duckdb")
    loaded = runner.invoke(app, ["import", str(tmp_path), "--db", db])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(app, ["report", "--db", db, "--as-of", "2026-02-02"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "of the 1 rep(s) in the store, none has a target for it or closed a deal" in text
    assert "Reps (0 of 0" not in text
