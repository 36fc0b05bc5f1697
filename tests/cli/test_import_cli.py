"""`attain import` reads files in the encoding and date layout the user declares, and says so."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from attain.cli.main import app

runner = CliRunner()


def test_declared_encoding_and_date_format_load_and_the_summary_names_the_encoding(
    tmp_path: Path,
) -> None:
    files = tmp_path / "in"
    files.mkdir()
    (files / "teams.csv").write_bytes(
        "team_id,name\nT1,Équipe Montréal\nteam_id,name\nT2,Zoë\n".encode("latin-1")
    )
    (files / "reps.csv").write_text("rep_id,name,role,hire_date\nR1,Ana,rep,15/01/2024\n")
    db = tmp_path / "s.duckdb"
    args = ["import", str(files), "--db", str(db), "--rejects", str(tmp_path / "rejects.csv")]
    args += ["--encoding", "latin-1", "--date-format", "%d/%m/%Y"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Files" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "iso8859-1" in lines["teams.csv"] and "iso8859-1" in lines["reps.csv"]
    # teams.csv: 2 rows, 1 repeated header row dropped.
    assert [cell.strip() for cell in lines["teams.csv"].split("│")[2:5]] == ["iso8859-1", "2", "1"]
    assert "dropped 1 row(s) repeating the header (row 3)" in result.output
    assert "Loaded 3 row(s)." in result.output
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT name FROM teams ORDER BY team_id").fetchall() == [
            ("Équipe Montréal",),
            ("Zoë",),
        ]
        assert con.execute("SELECT hire_date FROM reps").fetchall() == [(dt.date(2024, 1, 15),)]


def test_a_wrong_encoding_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    path.write_bytes("team_id,name\nT1,Montréal\n".encode("latin-1"))
    command = [sys.executable, "-c", "from attain.cli.main import main; main()", "import"]
    result = subprocess.run(
        [*command, str(path), "--db", str(tmp_path / "s.duckdb"), "--encoding", "utf-8"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {path}: line 2 cannot be read as utf-8 (byte 22); declare the file's "
        "encoding with --encoding (e.g. --encoding cp1252 or utf-16)"
    )
