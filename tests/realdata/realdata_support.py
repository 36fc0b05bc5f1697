"""Where the public datasets are: ATTAIN_DATA, else ../shared/data beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("ATTAIN_DATA", Path(__file__).parents[2] / ".." / "shared" / "data"))


def dataset(name: str) -> Path:
    """The dataset folder, or a skip saying where it was looked for."""
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not found; set ATTAIN_DATA to the folder holding {name}/")
    return folder


def imported(folder: Path, name: str, preset: str) -> Path:
    """A store in `folder` holding the dataset imported with `preset` (the `attain import` CLI)."""
    from typer.testing import CliRunner

    from attain.cli.main import app

    db = folder / f"{name}.duckdb"
    args = ["import", str(dataset(name)), "--preset", preset, "--db", str(db)]
    result = CliRunner().invoke(app, [*args, "--rejects", str(folder / "rejects.csv")])
    assert result.exit_code == 0, result.output
    return db
