"""Three consecutive demo snapshots imported with their taken_at: the store's history, the
change record and the 2026-Q4 pipeline waterfall show exactly what snapshots/truth.json lists
(itself a diff of the written files, checked in test_snapshots.py).

Weeks 39, 40 and 41 (taken 25 September, 2 and 9 October, 18:00 UTC) cross into Q4 and hold
the team move, so the window has every kind of change: created, won, lost, resized, deleted,
reassigned, slipped, pulled in, and a rep who changes team.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from attain.demo import DemoSpec, generate
from attain.history.changes import ChangeKind, changes
from attain.history.waterfall import Movement, WaterfallWeek, pipeline_waterfall
from attain.ingest.importer import import_files
from attain.metrics.periods import quarter_of
from attain.store import connect

SPEC = DemoSpec(reps=24, quarters=2, seed=5)
WEEKS = ("2026-W39", "2026-W40", "2026-W41")
Q4 = quarter_of(date(2026, 10, 1))


@dataclass
class Imported:
    root: Path
    backend: Any
    transitions: list[dict[str, Any]]
    """truth.json's transitions W39 -> W40 (data versions 1 -> 2) and W40 -> W41 (2 -> 3)."""


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    out = tmp_path_factory.mktemp("snapshot-history")
    generate(SPEC, out, snapshot_weeks=13)
    root = out / "snapshots"
    truth = json.loads((root / "truth.json").read_text())
    backend = connect(out / "store.duckdb")
    for week in WEEKS:
        taken_at = datetime.fromisoformat((root / week / "taken_at.txt").read_text().strip())
        result = import_files(backend, [root / week], strict=True, taken_at=taken_at)
        assert result.rejects == 0, week
    transitions = [t for t in truth["transitions"] if t["from"] in WEEKS[:2]]
    yield Imported(root, backend, transitions)
    backend.disconnect()


def _ids(entries: list[dict[str, Any]]) -> set[str]:
    return {entry["opportunity_id"] for entry in entries}


def _changed(transition: dict[str, Any]) -> set[str]:
    """Deals present before and after whose tracked fields changed."""
    kinds = ("won", "lost", "slipped", "pulled_in", "resized", "moved_stage", "reassigned")
    return set().union(*(_ids(transition[kind]) for kind in kinds)) - _ids(transition["created"])


def test_the_window_holds_every_kind_of_change(imported: Imported) -> None:
    kinds = ("created", "won", "lost", "resized", "deleted", "reassigned", "slipped", "pulled_in")
    for kind in kinds:
        assert any(t[kind] for t in imported.transitions), kind
    assert sum(len(t["team_changes"]) for t in imported.transitions) == 1


def test_history_rows_are_the_changed_created_and_deleted_deals(imported: Imported) -> None:
    con = imported.backend.con
    for version, transition in enumerate(imported.transitions, start=2):
        rows = con.execute(
            "SELECT opportunity_id, deleted FROM attain_opportunity_history WHERE version_from = ?",
            [version],
        ).fetchall()
        created, deleted = _ids(transition["created"]), _ids(transition["deleted"])
        assert {i for i, gone in rows if gone} == deleted
        assert {i for i, gone in rows if not gone} - created == _changed(transition)
        counts = con.execute(
            "SELECT inserted, changed, deleted FROM attain_import_tables "
            "WHERE import_id = ? AND table_name = 'opportunities'",
            [version],
        ).fetchone()
        assert counts == (len(created), len(_changed(transition)), len(deleted))
    move = imported.transitions[0]["team_changes"][0]
    teams = con.execute(
        "SELECT version_from, team_id FROM attain_rep_history WHERE rep_id = ? "
        "ORDER BY version_from",
        [move["rep_id"]],
    ).fetchall()
    assert teams == [(1, move["old"]), (2, move["new"])]


KINDS = {
    "created": ChangeKind.CREATED,
    "won": ChangeKind.WON,
    "lost": ChangeKind.LOST,
    "deleted": ChangeKind.DELETED,
    "slipped": ChangeKind.PUSHED_OUT,
    "pulled_in": ChangeKind.PULLED_IN,
    "resized": ChangeKind.RESIZED,
    "moved_stage": ChangeKind.MOVED_STAGE,
    "reassigned": ChangeKind.REASSIGNED,
}


def test_the_change_record_lists_what_the_truth_lists(imported: Imported) -> None:
    for version, transition in enumerate(imported.transitions, start=1):
        record = changes(imported.backend, version, version + 1)
        for name, kind in KINDS.items():
            assert {c.opportunity_id for c in record.of(kind)} == _ids(transition[name]), name
        assert [(r.rep_id, r.team_before, r.team_after) for r in record.reps] == [
            (e["rep_id"], e["old"], e["new"]) for e in transition["team_changes"]
        ]


def _pipeline(folder: Path) -> pd.DataFrame:
    """Deals open in the snapshot and expected to close in Q4."""
    deals = pd.read_csv(folder / "opportunities.csv", dtype={"is_won": "string"})
    closing = pd.to_datetime(deals["expected_close_date"]).dt.date
    in_q4 = closing.map(Q4.contains).astype(bool)
    return deals[deals["is_won"].isna() & in_q4]


def _in_q4(text: str) -> bool:
    return Q4.contains(date.fromisoformat(text))


def test_the_q4_waterfall_moves_the_deals_the_truth_moves(imported: Imported) -> None:
    # Q4 starts on Thursday 1 October: week 1 runs to the 7th and holds the W40 import, week 2
    # to the 14th and holds W41. The history also dates what the stage histories tell (a deal
    # created on 28 September is in the pipeline on 1 October, though W39 was taken on the
    # 25th), so creations, wins and losses are compared over both weeks together; planted
    # changes and deletions have no stage history and land in their import's week.
    chart = pipeline_waterfall(imported.backend, Q4, through=date(2026, 10, 14))
    assert len(chart.weeks) == 2
    final = _pipeline(imported.root / WEEKS[-1])
    assert chart.weeks[-1].end_deals == len(final)
    assert chart.weeks[-1].end_amount == pytest.approx(final["amount"].sum())

    def moved(movement: Movement, weeks: list[WaterfallWeek]) -> set[str]:
        return {deal.opportunity_id for week in weeks for deal in week.bar(movement).moved}

    for week, transition in zip(chart.weeks, imported.transitions, strict=True):
        dated = transition["slipped"] + transition["pulled_in"]
        entering = {e["opportunity_id"] for e in dated if _in_q4(e["new"]) > _in_q4(e["old"])}
        leaving = {e["opportunity_id"] for e in dated if _in_q4(e["old"]) > _in_q4(e["new"])}
        assert moved(Movement.PULLED_IN, [week]) == entering
        assert moved(Movement.PUSHED_OUT, [week]) == leaving
        deleted = {
            e["opportunity_id"] for e in transition["deleted"] if _in_q4(e["expected_close_date"])
        }
        assert moved(Movement.DELETED, [week]) == deleted

    deals = pd.read_csv(imported.root / WEEKS[-1] / "opportunities.csv", index_col="opportunity_id")
    # A state at a moment holds what happened at that very moment: a deal created at
    # 1 October 00:00 is in the pipeline at the start of week 1, not created during it.
    since_q4 = set(deals.index[pd.to_datetime(deals["created_at"]) > pd.Timestamp(Q4.start)])
    for name, movement in (
        ("created", Movement.CREATED),
        ("won", Movement.WON),
        ("lost", Movement.LOST),
    ):
        expected = {
            e["opportunity_id"]
            for t in imported.transitions
            for e in t[name]
            if _in_q4(e["expected_close_date"])
        }
        if name == "created":
            expected &= since_q4
        assert moved(movement, chart.weeks) == expected, name
