"""The snapshot a connector keeps: merging changes, deletions, children and links by hand."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from attain.ingest.connectors import SyncError
from attain.ingest.connectors.snapshot import ObjectRecords, Snapshot


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as source:
        return sorted(csv.DictReader(source), key=lambda row: row["Id"])


def test_an_incremental_merge_keeps_replaces_adds_and_removes_by_key(tmp_path: Path) -> None:
    """Stored deals A, B, C and lines of A and C; then B changes (with a new field), D is
    new, C is deleted: C's line goes with it, and the task naming A;C keeps only A."""
    snapshot = Snapshot(tmp_path / "crm")
    lines = (("deals", "Deal"), ("Id", "Deal"))
    snapshot.stage(
        [
            ObjectRecords("deals", "Id", [{"Id": k, "Stage": "Open"} for k in "ABC"]),
            ObjectRecords(
                "lines",
                "Id",
                [{"Id": "L1", "Deal": "A"}, {"Id": "L2", "Deal": "C"}],
                parent=lines[0],
                columns=lines[1],
            ),
            ObjectRecords(
                "tasks",
                "Id",
                [{"Id": "T1", "Deals": "A;C"}, {"Id": "T2", "Deals": ""}],
                links=(("Deals", "deals"),),
            ),
        ],
        datetime(2026, 3, 1),
    )
    snapshot.commit()
    changed = [{"Id": "B", "Stage": "Won", "Amount": "9000"}, {"Id": "D", "Stage": "Open"}]
    merged = snapshot.stage(
        [
            ObjectRecords("deals", "Id", changed, complete=False, deleted={"C"}),
            ObjectRecords("lines", "Id", [], complete=False, parent=lines[0], columns=lines[1]),
            ObjectRecords(
                "tasks",
                "Id",
                [],
                complete=False,
                links=(("Deals", "deals"),),
                columns=("Id", "Deals"),
            ),
        ],
        datetime(2026, 3, 2),
    )
    snapshot.commit()
    folder = tmp_path / "crm"
    assert _rows(folder / "deals.csv") == [
        {"Id": "A", "Stage": "Open", "Amount": ""},
        {"Id": "B", "Stage": "Won", "Amount": "9000"},
        {"Id": "D", "Stage": "Open", "Amount": ""},
    ]
    assert _rows(folder / "lines.csv") == [{"Id": "L1", "Deal": "A"}]
    assert _rows(folder / "tasks.csv") == [{"Id": "T1", "Deals": "A"}, {"Id": "T2", "Deals": ""}]
    assert merged.rows == {"deals": 3, "lines": 1, "tasks": 2}
    assert merged.changed == {"deals": 2, "lines": 0, "tasks": 0}
    assert merged.removed == {"deals": 1, "lines": 1, "tasks": 0}
    assert snapshot.cursor() == datetime(2026, 3, 2)


def test_a_discarded_stage_leaves_the_current_snapshot(tmp_path: Path) -> None:
    snapshot = Snapshot(tmp_path / "crm")
    snapshot.stage([ObjectRecords("deals", "Id", [{"Id": "A"}])], datetime(2026, 3, 1))
    snapshot.commit()
    snapshot.stage([ObjectRecords("deals", "Id", [{"Id": "B"}])], datetime(2026, 3, 2))
    snapshot.discard()
    assert _rows(tmp_path / "crm" / "deals.csv") == [{"Id": "A"}]
    assert snapshot.cursor() == datetime(2026, 3, 1)


def test_a_second_sync_of_the_same_crm_at_once_is_refused(tmp_path: Path) -> None:
    """The snapshot is held for the length of a sync; once it ends, the next one may start."""
    snapshot = Snapshot(tmp_path / "crm")
    second = Snapshot(tmp_path / "crm").locked()
    with snapshot.locked(), pytest.raises(SyncError, match="another sync of crm is running"):
        second.__enter__()
    with snapshot.locked():
        assert (tmp_path / "crm.lock").is_file()
    assert not (tmp_path / "crm.lock").exists()
