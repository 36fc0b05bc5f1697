"""attain.store.kept_reads: the deals whose history names another owner are read from a DuckDB
store once per state of it and kept beside it; any change to the store (a new import, or a
prune, which makes none) reads them again, and a kept file that cannot be read or written is
read past."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from attain.forecast.history import _loaded, load_history
from attain.store import connect, raw_duckdb
from attain.store.point_in_time import at, unnamed_owners
from attain.store.prune import prune_history
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


@contextmanager
def _reading(path: Path) -> Iterator[Any]:
    """The store at `path`, opened read-only as commands open it."""
    backend = connect(str(path), read_only=True)
    try:
        yield backend
    finally:
        backend.disconnect()


def _unnamed(path: Path) -> Any:
    with _reading(path) as backend:
        return backend.unnamed_owners(), unnamed_owners(backend.stored_table)


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


def _histories(path: Path) -> list[Path]:
    return sorted(Path(f"{path}.results").glob("deal-history-*.pickle"))


def _same_history(found: Any, expected: Any) -> None:
    for name in ("deals", "stages", "owner_spans", "team_spans", "amount_spans"):
        pd.testing.assert_frame_equal(getattr(found, name), getattr(expected, name))
    assert found.rep_teams == expected.rep_teams
    assert found.strong_keys == expected.strong_keys
    assert sorted(found._keys) == sorted(expected._keys)
    for name, keys in expected._keys.items():
        assert found._keys[name].tolist() == keys.tolist()


def test_the_deal_history_is_read_back_while_the_store_and_its_day_are_unchanged(
    tmp_path: Path,
) -> None:
    """load_history keeps the history it read beside the store and reads it back (the same
    frames and keys); a changed store, or another day for open deals' rates, reads it again."""
    path = _store(tmp_path)
    with _reading(path) as backend:
        computed = load_history(backend)
        (kept,) = _histories(path)
        assert kept.stat().st_mode & 0o777 == 0o600
        _same_history(load_history(backend), computed)
        _same_history(pickle.loads(kept.read_bytes()), computed)
        backend.open_deals_day = date(2024, 3, 1)
        _same_history(load_history(backend), _loaded(backend, strong=False))
        assert len(_histories(path)) == 2
    _change(path, "UPDATE opportunities SET amount = amount + 1")
    with _reading(path) as backend:
        changed = load_history(backend)
        assert changed.deals["amount"].tolist() != computed.deals["amount"].tolist()
        _same_history(changed, _loaded(backend, strong=False))
        assert len(_histories(path)) == 2  # the newest two kept


def test_a_past_versions_history_is_never_kept_nor_read_back(tmp_path: Path) -> None:
    """A reading as of a past version (PointInTime passes every attribute but `table` to the
    store's backend) reads its own history each time."""
    path = _store(tmp_path)
    with _reading(path) as backend:
        now = load_history(backend)
        (kept,) = _histories(path)
        # A kept history with no deals, to tell the kept one from one read from the store.
        kept.write_bytes(pickle.dumps(replace(now, deals=now.deals.iloc[:0])))
        assert load_history(backend).deals.empty
        past = at(backend, version=2)
        then = load_history(past)
        assert not then.deals.empty
        _same_history(then, _loaded(past, strong=False))
        assert _histories(path) == [kept]


def test_a_kept_history_that_cannot_be_read_back_is_read_from_the_store(tmp_path: Path) -> None:
    path = _store(tmp_path)
    with _reading(path) as backend:
        computed = load_history(backend)
        (kept,) = _histories(path)
        kept.write_bytes(b"not a pickle")
        _same_history(load_history(backend), computed)
        _same_history(pickle.loads(kept.read_bytes()), computed)


def test_a_prune_forgets_everything_kept_beside_the_store(tmp_path: Path) -> None:
    """A prune changes the history with no new data version: the results folder goes, and the
    next reads come from the store (the pruned history)."""
    path = _store(tmp_path)
    with _reading(path) as backend:
        before = load_history(backend)
    assert _histories(path) and _kept(path)
    writer = connect(str(path))
    try:
        pruned = prune_history(writer, datetime(2030, 1, 1))
    finally:
        writer.disconnect()
    assert pruned.total > 0
    assert not Path(f"{path}.results").exists()
    with _reading(path) as backend:
        after = load_history(backend)
        _same_history(after, _loaded(backend, strong=False))
        assert len(after.amount_spans) < len(before.amount_spans) or len(after.owner_spans) != len(
            before.owner_spans
        )


def test_a_read_that_cannot_be_pickled_is_returned_and_keeps_nothing(tmp_path: Path) -> None:
    path = _store(tmp_path)
    with _reading(path) as backend:
        backend.unnamed_owners()  # the results folder exists
        unpicklable = [lambda: None]
        assert backend.kept("unpicklable", lambda: unpicklable) is unpicklable
        folder = Path(f"{path}.results")
        assert sorted(p.name.split("-")[0] for p in folder.iterdir()) == ["unnamed"]
