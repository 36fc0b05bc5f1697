"""The CLI's shared plumbing: the store a command opens is closed however the command ends,
and a result goes to the terminal or to --output whole."""

from pathlib import Path

import duckdb
import pytest

from attain.cli.options import opened_store
from attain.cli.output import finish, text_console, write


def test_the_store_is_closed_when_the_command_fails(tmp_path: Path) -> None:
    with pytest.raises(ValueError), opened_store(str(tmp_path / "s.duckdb")) as backend:
        assert backend.execute(backend.table("reps").count()) == 0
        raise ValueError("the command failed")
    with pytest.raises(duckdb.ConnectionException):
        backend.execute(backend.table("reps").count())


def test_a_text_view_written_to_a_file_is_wide_and_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "report.txt"
    console = text_console(output, width=132)
    assert console.width >= 132
    console.print("x" * 130)
    finish(console, output)
    assert output.read_text() == "x" * 130 + "\n"
    assert capsys.readouterr().out == ""  # --output: "instead of the terminal"


def test_rendered_text_ends_with_one_newline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write("{}\n", None)
    write("a,b", None)
    assert capsys.readouterr().out == "{}\na,b\n"
    write("a,b", tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == "a,b"
