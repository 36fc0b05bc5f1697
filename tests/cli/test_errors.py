"""`attain` prints one line for a user error and a traceback only with --debug."""

import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from attain.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_missing_file_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.duckdb"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.csv'}: no such file or directory"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--debug", "import", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.db"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr
