"""Weekly snapshots: the same organisation exported week after week, with planted changes.

The tests read the written files back with pandas and diff them independently of
attain.demo.snapshots, so snapshots/truth.json is checked against the data, not against itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from attain.cli.main import app
from attain.demo import DemoSpec, generate
from attain.errors import ConfigError
from attain.ingest.importer import import_files
from attain.schema import TABLES

SPEC = DemoSpec(reps=24, quarters=2, seed=5)
"""Three sales teams, so a rep can move; 13 weeks give every kind of planted change."""

runner = CliRunner()


@dataclass
class Snapshots:
    out: Path
    truth: dict[str, Any]

    @property
    def folders(self) -> list[Path]:
        return [self.out / "snapshots" / s["folder"] for s in self.truth["snapshots"]]

    def deals(self, folder: Path) -> pd.DataFrame:
        return pd.read_csv(
            folder / "opportunities.csv", dtype={"is_won": "string"}, index_col="opportunity_id"
        )

    def reps(self, folder: Path) -> pd.DataFrame:
        return pd.read_csv(folder / "reps.csv", index_col="rep_id")


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshots]:
    out = tmp_path_factory.mktemp("snapshots")
    generate(SPEC, out, snapshot_weeks=13)
    yield Snapshots(out, json.loads((out / "snapshots" / "truth.json").read_text()))


def _contents(path: Path) -> dict[str, bytes]:
    return {
        str(f.relative_to(path)): f.read_bytes() for f in sorted(path.rglob("*")) if f.is_file()
    }


def test_thirteen_iso_weeks_each_a_complete_export_taken_on_friday_evening(
    snapshots: Snapshots,
) -> None:
    weeks = [s["folder"] for s in snapshots.truth["snapshots"]]
    assert weeks == [f"2026-W{week}" for week in range(34, 47)]
    for folder in snapshots.folders:
        assert {f.name for f in folder.iterdir()} == {f"{t}.csv" for t in TABLES} | {"taken_at.txt"}
    taken = [(f / "taken_at.txt").read_text().strip() for f in snapshots.folders]
    assert taken[0] == "2026-08-21 18:00:00"  # the Friday of week 34
    # The default as-of is Friday 2026-11-13: the last snapshot is taken at it, not after it.
    assert taken[-1] == "2026-11-13 00:00:00"


def test_same_seed_gives_identical_snapshots_and_another_seed_does_not(tmp_path: Path) -> None:
    small = DemoSpec(reps=12, quarters=2, seed=5)
    for name, spec in (("a", small), ("b", small), ("c", DemoSpec(reps=12, quarters=2, seed=6))):
        generate(spec, tmp_path / name, snapshot_weeks=3)
    first, second, other = (_contents(tmp_path / name / "snapshots") for name in "abc")
    assert first == second
    assert first["truth.json"] != other["truth.json"]
    assert first["2026-W45/opportunities.csv"] != other["2026-W45/opportunities.csv"]


def test_the_final_export_is_the_one_written_without_snapshots(
    snapshots: Snapshots, tmp_path: Path
) -> None:
    generate(SPEC, tmp_path)
    for name in [*(f"{t}.csv" for t in TABLES), "truth.json"]:
        assert (tmp_path / name).read_bytes() == (snapshots.out / name).read_bytes(), name


def test_the_last_snapshot_taken_at_the_as_of_is_the_final_export(snapshots: Snapshots) -> None:
    last = snapshots.folders[-1]
    for table in TABLES:
        assert (last / f"{table}.csv").read_bytes() == (
            snapshots.out / f"{table}.csv"
        ).read_bytes(), table


def test_every_snapshot_imports_without_a_reject(snapshots: Snapshots) -> None:
    for folder in snapshots.folders:
        result = import_files(duckdb.connect(), [folder], strict=True)
        assert result.rejects == 0, folder.name


def _diff(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, set[str]]:
    """Deal ids per kind of change, computed here with pandas (not with the module's diff)."""
    was_open = before["is_won"].isna()
    is_open = after["is_won"].isna()
    both = before.index.intersection(after.index)
    open_both = both[was_open[both].to_numpy() & is_open[both].to_numpy()]

    def quarter(dates: pd.Series) -> pd.Series:
        parsed = pd.to_datetime(dates)
        return parsed.dt.year * 4 + parsed.dt.quarter

    shift = quarter(after.loc[open_both, "expected_close_date"]) - quarter(
        before.loc[open_both, "expected_close_date"]
    )
    closed_now = set(after.index[~is_open]) - set(before.index[~was_open])
    won = {i for i in closed_now if after.at[i, "is_won"] == "true"}
    return {
        "created": set(after.index) - set(before.index),
        "deleted": set(before.index) - set(after.index),
        "won": won,
        "lost": closed_now - won,
        "slipped": set(shift.index[shift > 0]),
        "pulled_in": set(shift.index[shift < 0]),
        "resized": set(
            open_both[
                (before.loc[open_both, "amount"] != after.loc[open_both, "amount"]).to_numpy()
            ]
        ),
        "reassigned": set(
            both[(before.loc[both, "owner_rep_id"] != after.loc[both, "owner_rep_id"]).to_numpy()]
        ),
    }


def test_truth_lists_exactly_what_a_diff_of_consecutive_snapshots_shows(
    snapshots: Snapshots,
) -> None:
    deals = [snapshots.deals(folder) for folder in snapshots.folders]
    reps = [snapshots.reps(folder) for folder in snapshots.folders]
    for k, transition in enumerate(snapshots.truth["transitions"]):
        expected = _diff(deals[k], deals[k + 1])
        for kind, ids in expected.items():
            listed = {entry["opportunity_id"] for entry in transition[kind]}
            assert listed == ids, (transition["from"], kind)
            assert transition["counts"][kind] == len(ids)
        common = reps[k].index.intersection(reps[k + 1].index)
        moved = common[(reps[k].loc[common, "team_id"] != reps[k + 1].loc[common, "team_id"])]
        assert {e["rep_id"] for e in transition["team_changes"]} == set(moved)


def test_every_kind_of_change_is_planted_and_shows_with_its_values(snapshots: Snapshots) -> None:
    planted = snapshots.truth["planted"]
    kinds = {p["kind"] for p in planted}
    assert kinds == {"slipped", "pulled_in", "resized", "reassigned", "deleted", "team_changes"}
    by_transition = {(t["from"], t["to"]): t for t in snapshots.truth["transitions"]}
    reps = snapshots.reps(snapshots.out)
    for p in planted:
        transition = by_transition[(p["from"], p["to"])]
        if p["kind"] in ("slipped", "pulled_in", "resized", "reassigned"):
            entry = next(
                e for e in transition[p["kind"]] if e["opportunity_id"] == p["opportunity_id"]
            )
            assert (entry["old"], entry["new"]) == (p["old"], p["new"])
        # Out of the later snapshot's quarter into the next one, or the other way round.
        quarter = pd.Period(transition["to_taken_at"][:10], "Q")
        if p["kind"] == "slipped":
            assert (pd.Period(p["old"], "Q"), pd.Period(p["new"], "Q")) == (quarter, quarter + 1)
        elif p["kind"] == "pulled_in":
            assert (pd.Period(p["old"], "Q"), pd.Period(p["new"], "Q")) == (quarter + 1, quarter)
        elif p["kind"] == "resized":
            assert 0.09 <= abs(p["new"] / p["old"] - 1) <= 0.41
        elif p["kind"] == "reassigned":
            assert reps.at[p["old"], "team_id"] == reps.at[p["new"], "team_id"]


def test_a_deleted_deal_never_reappears_and_never_closed(snapshots: Snapshots) -> None:
    deals = [snapshots.deals(folder) for folder in snapshots.folders]
    final = snapshots.deals(snapshots.out)
    deleted = 0
    for k, transition in enumerate(snapshots.truth["transitions"]):
        for entry in transition["deleted"]:
            deal = entry["opportunity_id"]
            deleted += 1
            assert pd.isna(deals[k].at[deal, "is_won"])
            assert all(deal not in later.index for later in deals[k + 1 :])
            assert deal not in final.index
    assert deleted >= 3


def test_one_rep_moves_team_exactly_once(snapshots: Snapshots) -> None:
    moves = [(t["from"], e) for t in snapshots.truth["transitions"] for e in t["team_changes"]]
    assert len(moves) == 1
    week, move = moves[0]
    assert week == "2026-W39"  # into the middle snapshot, 2026-W40
    final = snapshots.reps(snapshots.out)
    assert final.at[move["rep_id"], "team_id"] == move["new"]
    first = snapshots.reps(snapshots.folders[0])
    assert first.at[move["rep_id"], "team_id"] == move["old"] != move["new"]


def test_snapshots_reaching_before_the_first_quarter_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="before the demo's first quarter"):
        generate(DemoSpec(reps=6, quarters=1, seed=1), tmp_path, snapshot_weeks=13)


def test_the_cli_writes_weekly_snapshots_and_refuses_another_cadence(tmp_path: Path) -> None:
    args = ["demo", "generate", "--reps", "6", "--quarters", "2", "--as-of", "2026-06-10"]
    result = runner.invoke(app, [*args, "--snapshots", "weekly", "--weeks", "2", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 weekly snapshot(s)" in result.output
    # as-of Wednesday 10 June: its eve is in week 24, taken at the as-of; week 23 on Friday.
    assert (tmp_path / "snapshots" / "2026-W23" / "taken_at.txt").read_text() == (
        "2026-06-05 18:00:00\n"
    )
    assert (tmp_path / "snapshots" / "2026-W24" / "taken_at.txt").read_text() == (
        "2026-06-10 00:00:00\n"
    )
    result = runner.invoke(app, [*args, "--snapshots", "daily", str(tmp_path / "other")])
    assert isinstance(result.exception, ConfigError)
    assert "the one cadence is 'weekly'" in str(result.exception)
