"""attain.store.kept_reads: the deals whose history names another owner are read from a DuckDB
store once per state of it and kept beside it; any change to the store (a new import, or a
prune, which makes none) reads them again, and a kept file that cannot be read or written is
read past."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from attain.store import connect, raw_duckdb
from attain.store.point_in_time import unnamed_owners
from tests.store.test_point_in_time import _fill


def _store(folder: Path) -> Path:
    """The point-in-time tests' store as a file, with an import logged (a data version)."""
    path = folder / "store.duckdb"
    backend = connect(str(path))
    try:
        con = raw_duckdb(backend)
        _fill(con, history=True)
        con.execute("INSERT INTO attain_imports (import_id, imported_at) VALUES (3, now())")
    finally:
        backend.disconnect()
    return path


def _unnamed(path: Path) -> Any:
    backend = connect(str(path), read_only=True)
    try:
        return backend.unnamed_owners(), unnamed_owners(backend.stored_table)
    finally:
        backend.disconnect()


def _ids(found: pd.Series) -> list[str]:
    """The ids in any order (the store's read has none), a null as "<null>"."""
    assert found.dtype == object
    return sorted("<null>" if pd.isna(i) else i for i in found)


def _kept(path: Path) -> list[Path]:
    return sorted(Path(f"{path}.results").glob("unnamed-owners-*.json"))


def _change(path: Path, sql: str) -> None:
    backend = connect(str(path))
    try:
        raw_duckdb(backend).execute(sql)
    finally:
        backend.disconnect()


def test_the_owners_read_once_are_read_back_until_the_store_changes(tmp_path: Path) -> None:
    path = _store(tmp_path)
    found, computed = _unnamed(path)
    assert _ids(found) == _ids(computed)
    assert set(found) == {"d1", "d2"}
    (kept,) = _kept(path)
    assert kept.stat().st_mode & 0o777 == 0o600
    # Read back, as kept (written here to tell the kept answer from the store's).
    kept.write_text(json.dumps(["d9", None]))
    read_back, _ = _unnamed(path)
    assert _ids(read_back) == ["<null>", "d9"]
    # A prune's kind of change (history rows removed, no new import) reads the store again.
    _change(path, "DELETE FROM attain_opportunity_history WHERE opportunity_id <> 'd3'")
    after, computed = _unnamed(path)
    assert _ids(after) == _ids(computed)
    assert after.empty
    assert len(_kept(path)) == 1 and _kept(path) != [kept]
    # A new import too.
    _change(path, "INSERT INTO attain_imports (import_id, imported_at) VALUES (4, now())")
    _unnamed(path)
    assert len(_kept(path)) == 1


@pytest.mark.parametrize("content", ['["d1", ', '{"d1": 1}', "[1, 2]"])
def test_a_kept_file_that_cannot_be_read_back_is_read_from_the_store(
    tmp_path: Path, content: str
) -> None:
    path = _store(tmp_path)
    found, _ = _unnamed(path)
    (kept,) = _kept(path)
    whole = kept.read_text()
    kept.write_text(content)
    again, _ = _unnamed(path)
    assert _ids(again) == _ids(found)
    assert kept.read_text() == whole


def test_a_folder_that_cannot_be_written_keeps_nothing(tmp_path: Path) -> None:
    path = _store(tmp_path)
    Path(f"{path}.results").write_text("a file where the folder would be")
    found, computed = _unnamed(path)
    assert _ids(found) == _ids(computed)
    assert Path(f"{path}.results").read_text() == "a file where the folder would be"
