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
