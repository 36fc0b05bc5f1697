"""A store with two data versions a week apart in the CRM's life, for the Monday view (#24).

The demo organisation's export is imported twice:

1. version 1, taken at the end of `before_day` (a week before the data's last day): what the
   CRM held then, so no activity after that day;
2. version 2, taken at the end of `after_day` (the data's last day): the whole export, except
   that every open deal of `slipper` now expects to close a quarter later (its deals slip) and
   `idler` logged nothing in the 7 days to `after_day` (their activity drops; left out of both
   exports, as the CRM never held it).

The helper returns which deals slipped, so tests compare the Monday view with what was changed
by hand here rather than with what the code under test computes.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from attain.demo.config import DemoSpec
from attain.demo.generator import generate
from attain.ingest.importer import import_files
from attain.store import connect, raw_duckdb

SLIP_DAYS = 92
"""How far a slipped deal's expected close date moves: past the end of its quarter."""


@dataclass(frozen=True)
class TwoVersions:
    """The store, the two days its versions hold data through, and what changed between."""

    folder: Path
    store: Path
    before_day: date
    after_day: date
    team: str
    slipper: str
    idler: str
    slipped: dict[str, tuple[str, str]]
    """Slipped deal id -> (expected close date before, after)."""
    idle_activities: int
    """How many of the idler's activities version 2 left out."""


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _export(source: Path, target: Path) -> Path:
    """A copy of the demo's CSV files in `target` (the toml and truth files left out)."""
    target.mkdir()
    for path in source.glob("*.csv"):
        shutil.copy(path, target / path.name)
    return target


def two_versions(folder: Path, seed: int = 3) -> TwoVersions:
    """Generate the demo in `folder` and import it as the two versions described above."""
    demo = folder / "demo"
    generate(DemoSpec(reps=12, quarters=4, seed=seed), demo)
    fields, activities = _rows(demo / "activities.csv")
    after_day = max(datetime.fromisoformat(a["occurred_at"]).date() for a in activities)
    before_day = after_day - timedelta(days=7)
    _, reps = _rows(demo / "reps.csv")
    sellers = sorted((r for r in reps if r["role"] == "rep"), key=lambda r: r["rep_id"])
    team = sellers[0]["team_id"]
    slipper, idler = [r["rep_id"] for r in sellers if r["team_id"] == team][:2]

    week_start = after_day - timedelta(days=6)
    kept = [
        a
        for a in activities
        if not (
            a["rep_id"] == idler and datetime.fromisoformat(a["occurred_at"]).date() >= week_start
        )
    ]
    first = _export(demo, folder / "v1")
    then = [a for a in kept if datetime.fromisoformat(a["occurred_at"]).date() <= before_day]
    _write(first / "activities.csv", fields, then)
    second = _export(demo, folder / "v2")
    _write(second / "activities.csv", fields, kept)
    deal_fields, deals = _rows(second / "opportunities.csv")
    slipped = {}
    for deal in deals:
        if (
            deal["owner_rep_id"] == slipper
            and not deal["closed_at"]
            and deal["expected_close_date"]
        ):
            old = deal["expected_close_date"]
            new = (date.fromisoformat(old) + timedelta(days=SLIP_DAYS)).isoformat()
            deal["expected_close_date"] = new
            slipped[deal["opportunity_id"]] = (old, new)
    _write(second / "opportunities.csv", deal_fields, deals)

    store = folder / "store.duckdb"
    backend = connect(str(store))
    try:
        for export, day in ((first, before_day), (second, after_day)):
            taken = datetime.combine(day, time(23, 0))
            import_files(raw_duckdb(backend), [export], taken_at=taken)
    finally:
        backend.disconnect()
    return TwoVersions(
        folder=demo,
        store=store,
        before_day=before_day,
        after_day=after_day,
        team=team,
        slipper=slipper,
        idler=idler,
        slipped=slipped,
        idle_activities=len(activities) - len(kept),
    )
