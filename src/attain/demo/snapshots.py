"""Weekly snapshots of a demo organisation: the same CRM exported week after week.

`attain demo generate OUT --snapshots weekly [--weeks N]` writes, beside the final export,
OUT/snapshots/<ISO week>/ for each of the N weeks ending with the week of the demo's last day.
Each folder is a complete canonical export as the CRM showed it at that week's Friday 18:00
UTC (or at the as-of, 00:00 UTC, when that comes first: the demo records nothing after it),
and holds `taken_at.txt` with that moment (UTC, `2026-10-02 18:00:00`) for
`attain import --taken-at "$(cat taken_at.txt)"`.

What a snapshot shows is read off the generated timestamps (records created by then, a deal's
stage from its stage history, leads' steps and tasks' completions that had happened), plus
changes planted between consecutive snapshots, drawn from the seed:

- slipped: the expected close date was in the quarter of the later snapshot, and moves into
  the next quarter;
- pulled in: it was in the next quarter and moves into the later snapshot's quarter;
- resized: the amount changes by 10-40% while the stage stays;
- reassigned: the owner was another rep of the same team;
- deleted: a duplicate deal (a copy of a real one, typed in again) disappears, never closed;
- one selling rep moves team from the middle snapshot on.

Every planted change sets the *earlier* value: from the change on, a deal and the mover show
what the generator made. So the final export is the one `attain demo generate` writes without
snapshots, byte for byte, the detectors' truth is untouched, and the last snapshot, when taken
at the as-of, equals the final export file for file. OUT/snapshots/truth.json lists per
transition what a diff of the written files shows, checked against the planted list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from attain.demo.activity import OUTCOMES, Activities
from attain.demo.causes import Plants
from attain.demo.coaching import Sessions
from attain.demo.organisation import Organisation, reps_columns
from attain.demo.pipeline import (
    NEVER,
    Deals,
    Leads,
    current_stage,
    deals_columns,
    leads_columns,
    stage_columns,
)
from attain.demo.timeline import DAY, HOUR, Ints, epoch_day, month_index, quarter_end_day
from attain.demo.writer import Array, CsvFiles, dates, ids, labels, timestamps
from attain.errors import ConfigError

SNAPSHOT_WEEKDAY = 4
SNAPSHOT_HOUR = 18
"""Snapshots are taken on Fridays (Monday = 0) at 18:00 UTC, after the week's work."""
RATES = {
    "slipped": 0.05,
    "pulled_in": 0.03,
    "resized": 0.05,
    "reassigned": 0.03,
    "deleted": 0.025,
}
"""Planted changes per selling rep and week: about 3, 2, 3, 2 and 1.5 a week for 60 reps."""
RESIZE = (0.10, 0.40)
"""Relative size of a planted resize, up or down."""
PHANTOM_FIRST = 90_000_000
"""Deleted duplicates are numbered OPP90000001...; real deals never reach that many."""
KINDS = ("slipped", "pulled_in", "resized", "reassigned", "deleted")


@dataclass(frozen=True)
class Week:
    """One snapshot: its folder (ISO week) and the moment it shows, in seconds since 1970."""

    label: str
    taken_at: int

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.taken_at, UTC)


def snapshot_weeks(as_of: date, weeks: int) -> list[Week]:
    """The `weeks` ISO weeks ending with the one holding as_of's eve, each taken on its Friday
    at 18:00 UTC, or at as_of 00:00 UTC when that is earlier."""
    if weeks < 1:
        raise ConfigError(f"--weeks must be at least 1, not {weeks}")
    last_day = as_of - timedelta(days=1)
    friday = last_day + timedelta(days=SNAPSHOT_WEEKDAY - last_day.weekday())
    cutoff = epoch_day(as_of) * DAY
    result = []
    for back in range(weeks - 1, -1, -1):
        day = friday - timedelta(weeks=back)
        year, week, _ = day.isocalendar()
        moment = min(epoch_day(day) * DAY + SNAPSHOT_HOUR * HOUR, cutoff)
        result.append(Week(f"{year}-W{week:02d}", moment))
    return result


@dataclass(frozen=True)
class Planted:
    """One planted change: between snapshot `transition` and the next, `kind` on a deal."""

    kind: str
    transition: int
    key: str
    """The deal's opportunity_id; the rep's rep_id for a team change."""
    old: Any
    new: Any


@dataclass
class _GroupPlan:
    """The planted changes of one group's deals, as arrays indexed by deal."""

    until: dict[str, Ints]
    """Per kind: the last snapshot showing the old value (-1 where not planted)."""
    old_close: Ints
    old_rep: Ints
    scale: np.ndarray
    phantoms: Deals | None = None
    phantom_until: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class Snapshots:
    """Writes the weekly snapshots group by group, alongside the final export."""

    def __init__(
        self,
        org: Organisation,
        plants: Plants,
        out_dir: Path,
        weeks: int,
        streams: Callable[[int], np.random.Generator],
    ) -> None:
        """`streams(0)` draws the team move, `streams(g + 1)` group g's planted changes."""
        self.org = org
        self.streams = streams
        self.groups = 0
        self.plants = plants
        self.dir = out_dir / "snapshots"
        self.weeks = snapshot_weeks(org.spec.as_of, weeks)
        first = self.weeks[0]
        if first.taken_at < org.timeline.window_start * DAY:
            raise ConfigError(
                f"--weeks {weeks} reaches back to {first.label}, before the demo's first "
                f"quarter; use fewer weeks or more --quarters"
            )
        self.times = np.array([w.taken_at for w in self.weeks], dtype=np.int64)
        self.planted: list[Planted] = []
        self.next_phantom = 0
        self.mover, self.old_team, self.move_from = self._choose_mover(streams(0))
        if self.mover >= 0:
            rep_id = org.person_ids[self.mover].as_py()
            new_team = int(org.team[self.mover])
            self.planted.append(
                Planted(
                    "team_changes",
                    self.move_from - 1,
                    rep_id,
                    f"T{self.old_team + 1:03d}",
                    f"T{new_team + 1:03d}",
                )
            )
        self.files = [CsvFiles(self.dir / week.label) for week in self.weeks]

    # -- the organisation ---------------------------------------------------------------------

    def _choose_mover(self, rng: np.random.Generator) -> tuple[int, int, int]:
        """A healthy selling rep employed throughout, who sat in another sales team until the
        middle snapshot. (-1, -1, 0) when there is one sales team or too few snapshots."""
        org, n = self.org, len(self.weeks)
        sales_teams = len(org.team_names) - 2
        selling = np.arange(org.role.size) < org.selling
        eligible = (
            selling
            & (self.plants.cause < 0)
            & (org.hire_day * DAY <= self.times[0])
            & (org.end_day >= self.times[-1] // DAY)
        )
        candidates = np.flatnonzero(eligible)
        if n < 2 or sales_teams < 2 or candidates.size == 0:
            return -1, -1, 0
        mover = int(rng.choice(candidates))
        others = [t for t in range(sales_teams) if t != org.team[mover]]
        return mover, int(rng.choice(others)), n // 2

    def team_at(self, snapshot: int) -> Ints:
        """Each person's team in a snapshot."""
        team = self.org.team.copy()
        if self.mover >= 0 and snapshot < self.move_from:
            team[self.mover] = self.old_team
        return team

    def write_fixed(self, tables: dict[str, dict[str, Array]]) -> None:
        """teams, accounts and products as generated; reps hired by then, in their team then."""
        org = self.org
        for j, (files, t) in enumerate(zip(self.files, self.times.tolist(), strict=True)):
            for name, columns in tables.items():
                if name != "reps":
                    files.append(name, columns)
            reps = reps_columns(org)
            reps["team_id"] = ids("T", self.team_at(j) + 1, 3)
            reps["end_date"] = dates(org.end_day, org.end_day < t // DAY)
            files.append("reps", _filter(reps, org.hire_day * DAY <= t))

    # -- one group of reps ----------------------------------------------------------------------

    def write_group(
        self,
        leads: Leads,
        deals: Deals,
        acts: Activities,
        activity_columns: dict[str, Array],
        sessions: Sessions,
        session_columns: dict[str, Array],
        first: dict[str, int],
    ) -> None:
        """Append one group's leads, deals, stages, activities and coaching to every snapshot.

        `first` holds the numbers of the group's first lead and deal in the final export;
        `activity_columns` and `session_columns` are the rows written there.
        """
        self.groups += 1
        plan = self._plan(deals, first["deals"], self.streams(self.groups))
        first_phantom = PHANTOM_FIRST + self.next_phantom
        if plan.phantoms is not None:
            self.next_phantom += plan.phantoms.created.size
        for j, (files, t) in enumerate(zip(self.files, self.times.tolist(), strict=True)):
            lead_view = _leads_at(leads, t)
            columns = leads_columns(lead_view, self.org, t, first["leads"], first["deals"])
            files.append("leads", _filter(columns, leads.created < t))
            view = _deals_at(deals, t, plan, j)
            columns = deals_columns(view, self.org, t, first["deals"], first["leads"])
            files.append("opportunities", _filter(columns, deals.created < t))
            natural = replace(deals, entered=view.entered)
            names = self.org.spec.variant.funnel.all_stages
            files.append("opportunity_stages", stage_columns(natural, t, first["deals"], names))
            if plan.phantoms is not None:
                self._append_phantoms(files, plan, j, t, first_phantom)
            self._append_activities(files, acts, activity_columns, t)
            files.append("coaching_sessions", _filter(session_columns, sessions.occurred < t))

    def write_support(
        self,
        acts: Activities,
        activity_columns: dict[str, Array],
        sessions: Sessions,
        session_columns: dict[str, Array],
    ) -> None:
        """The SDRs' prospecting and coaching, as of each snapshot."""
        for files, t in zip(self.files, self.times.tolist(), strict=True):
            self._append_activities(files, acts, activity_columns, t)
            files.append("coaching_sessions", _filter(session_columns, sessions.occurred < t))

    def write_quotas(self, columns: dict[str, Array]) -> None:
        """Quotas set by then."""
        set_at = pc.cast(columns["set_at"], pa.int64()).to_numpy()
        for files, t in zip(self.files, self.times.tolist(), strict=True):
            files.append("quotas", _filter(columns, set_at < t))

    def _append_activities(
        self, files: CsvFiles, acts: Activities, columns: dict[str, Array], t: int
    ) -> None:
        """Activities that had occurred (they come in time order); later completions undone."""
        rows = int(np.searchsorted(acts.occurred, t, side="left"))
        completed = acts.completed[:rows]
        done = completed < t
        outcome = np.where((acts.due[:rows] < NEVER) & ~done, -1, acts.outcome[:rows])
        view = {name: values[:rows] for name, values in columns.items()}
        view["completed_at"] = timestamps(completed, done)
        view["outcome"] = labels(OUTCOMES, outcome)
        files.append("activities", view)

    def _append_phantoms(
        self, files: CsvFiles, plan: _GroupPlan, snapshot: int, t: int, first_phantom: int
    ) -> None:
        phantoms = plan.phantoms
        assert phantoms is not None
        present = (phantoms.created < t) & (plan.phantom_until >= snapshot)
        view = replace(phantoms, entered=np.where(phantoms.entered < t, phantoms.entered, NEVER))
        columns = deals_columns(view, self.org, t, first_phantom, 0)
        files.append("opportunities", _filter(columns, present))
        stages = stage_columns(view, t, first_phantom, self.org.spec.variant.funnel.all_stages)
        wanted = pc.is_in(
            stages["opportunity_id"], value_set=columns["opportunity_id"].filter(present)
        )
        files.append("opportunity_stages", {k: pc.filter(v, wanted) for k, v in stages.items()})

    # -- planting ---------------------------------------------------------------------------------

    def _plan(self, deals: Deals, first_deal: int, rng: np.random.Generator) -> _GroupPlan:
        """Draw each transition's slips, pull-ins, resizes, reassignments and deleted duplicates
        among this group's deals; each deal carries at most one planted change."""
        n = deals.created.size
        plan = _GroupPlan(
            until={kind: np.full(n, -1, dtype=np.int64) for kind in KINDS[:4]},
            old_close=deals.close.copy(),
            old_rep=deals.rep.copy(),
            scale=np.ones(n),
        )
        used = np.zeros(n, dtype=bool)
        copied = np.zeros(n, dtype=bool)
        sources: list[Ints] = []
        until: list[Ints] = []
        ids_of = _deal_names(first_deal, n)
        for k in range(len(self.weeks) - 1):
            chosen = self._plan_week(plan, deals, k, used, copied, ids_of, rng)
            copied[chosen] = True
            sources.append(chosen)
            until.append(np.full(chosen.size, k, dtype=np.int64))
        if sources and np.concatenate(sources).size:
            self._plan_phantoms(plan, deals, np.concatenate(sources), np.concatenate(until), rng)
        return plan

    def _plan_week(
        self,
        plan: _GroupPlan,
        deals: Deals,
        k: int,
        used: np.ndarray,
        copied: np.ndarray,
        ids_of: list[str],
        rng: np.random.Generator,
    ) -> Ints:
        """Plant the changes between snapshots k and k + 1 (marking the deals in `used`);
        returns the deals copied as duplicates to be deleted."""
        t0, t1 = int(self.times[k]), int(self.times[k + 1])
        day1 = t1 // DAY
        close_day = deals.close // DAY
        close_quarter = month_index(close_day) // 3
        quarter1 = int(month_index(np.array([day1]))[0] // 3)
        open_both = (deals.created < t0) & (deals.close >= t1)
        stage0 = current_stage(_entered_before(deals, t0), t0)
        stage1 = current_stage(_entered_before(deals, t1), t1)
        counts = {kind: int(rng.poisson(RATES[kind] * np.unique(deals.rep).size)) for kind in KINDS}

        def draw(mask: np.ndarray, kind: str) -> Ints:
            candidates = np.flatnonzero(mask)
            chosen = rng.choice(candidates, min(counts[kind], candidates.size), replace=False)
            return np.sort(chosen.astype(np.int64))

        quarter_end = int(quarter_end_day(np.array([day1]))[0])
        if quarter_end > day1:
            for i in draw(open_both & ~used & (close_quarter == quarter1 + 1), "slipped"):
                old = int(rng.integers(day1 + 1, quarter_end + 1))
                self._plant_close(plan, "slipped", k, int(i), old, ids_of, close_day)
                used[i] = True
        for i in draw(open_both & ~used & (close_quarter == quarter1), "pulled_in"):
            old = quarter_end + 1 + int(rng.integers(0, 45))
            self._plant_close(plan, "pulled_in", k, int(i), old, ids_of, close_day)
            used[i] = True
        for i in draw(open_both & ~used & (stage0 == stage1), "resized"):
            self._plant_resize(plan, deals, k, int(i), stage1, rng, ids_of)
            used[i] = True
        owners = self._other_owners(deals, t1)
        for i in draw(open_both & ~used & (owners.sum(axis=1) > 0), "reassigned"):
            self._plant_reassign(
                plan, deals, k, int(i), int(rng.choice(np.flatnonzero(owners[i]))), ids_of
            )
            used[i] = True
        copyable = (deals.created + 3 * HOUR < t0) & (deals.close > t0) & ~copied
        return draw(copyable, "deleted")

    def _plant_reassign(
        self, plan: _GroupPlan, deals: Deals, k: int, i: int, old_rep: int, ids_of: list[str]
    ) -> None:
        """Deal i was owned by `old_rep` until snapshot k and by its final owner after."""
        plan.until["reassigned"][i] = k
        plan.old_rep[i] = old_rep
        names = self.org.person_ids
        self.planted.append(
            Planted(
                "reassigned", k, ids_of[i], names[old_rep].as_py(), names[int(deals.rep[i])].as_py()
            )
        )

    def _plant_close(
        self,
        plan: _GroupPlan,
        kind: str,
        transition: int,
        deal: int,
        old_day: int,
        names: list[str],
        close_day: Ints,
    ) -> None:
        plan.until[kind][deal] = transition
        plan.old_close[deal] = old_day * DAY + 12 * HOUR
        self.planted.append(
            Planted(
                kind,
                transition,
                names[deal],
                str(np.datetime64(old_day, "D")),
                str(np.datetime64(int(close_day[deal]), "D")),
            )
        )

    def _plant_resize(
        self,
        plan: _GroupPlan,
        deals: Deals,
        transition: int,
        deal: int,
        stage: Ints,
        rng: np.random.Generator,
        names: list[str],
    ) -> None:
        change = rng.uniform(*RESIZE) * (1 if rng.random() < 0.5 else -1)
        plan.until["resized"][deal] = transition
        plan.scale[deal] = 1 / (1 + change)
        new = float(deals.stage_amount[deal, stage[deal]])
        old = float(np.round(new * plan.scale[deal], -1))
        self.planted.append(Planted("resized", transition, names[deal], old, new))

    def _other_owners(self, deals: Deals, t1: int) -> np.ndarray:
        """(deals x people): selling reps of the deal owner's team, not the owner nor the
        mover, employed from the deal's creation to the later snapshot."""
        org = self.org
        people = np.unique(deals.rep)
        employed = (org.hire_day[None, people] * DAY <= deals.created[:, None]) & (
            org.end_day[None, people] >= t1 // DAY
        )
        same_team = org.team[None, people] == org.team[deals.rep][:, None]
        allowed = (people[None, :] != deals.rep[:, None]) & (people[None, :] != self.mover)
        owners: np.ndarray = employed & same_team & allowed
        owners[deals.rep == self.mover] = False
        return owners

    def _plan_phantoms(
        self, plan: _GroupPlan, deals: Deals, sources: Ints, until: Ints, rng: np.random.Generator
    ) -> None:
        """Duplicates of real deals, typed in minutes to hours after them, deleted later."""
        offset = rng.integers(10 * 60, 3 * HOUR, sources.size)
        copy = deals.subset(np.isin(np.arange(deals.created.size), sources))
        order = np.argsort(sources)
        sources, until, offset = sources[order], until[order], offset[order]
        shifted = np.where(copy.entered < NEVER, copy.entered + offset[:, None], NEVER)
        plan.phantoms = replace(
            copy,
            created=copy.created + offset,
            entered=shifted,
            close=copy.close + offset,
            lead=np.full(sources.size, -1, dtype=np.int64),
        )
        plan.phantom_until = until
        names = _deal_names(PHANTOM_FIRST + self.next_phantom, sources.size)
        for name, k in zip(names, until.tolist(), strict=True):
            self.planted.append(Planted("deleted", int(k), name, None, None))

    # -- the end ----------------------------------------------------------------------------------

    def close(self) -> None:
        for files in self.files:
            files.close()

    def finish(self, seed: int, as_of: date) -> dict[str, Any]:
        """Write each snapshot's taken_at.txt and snapshots/truth.json; return the truth."""
        for week in self.weeks:
            # The layout `attain import --taken-at` reads, in UTC as it expects.
            (self.dir / week.label / "taken_at.txt").write_text(
                week.moment.strftime("%Y-%m-%d %H:%M:%S") + "\n"
            )
        truth = snapshot_truth(self.dir, self.weeks, self.planted)
        truth = {"seed": seed, "as_of": str(as_of), **truth}
        (self.dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
        return truth


def _deal_names(first: int, n: int) -> list[str]:
    return [f"OPP{first + i + 1:08d}" for i in range(n)]


def _filter(columns: dict[str, Array], keep: np.ndarray) -> dict[str, Array]:
    """The rows of `columns` where `keep` holds."""
    mask = pa.array(keep, pa.bool_())
    return {
        name: pc.filter(pa.array(values) if isinstance(values, np.ndarray) else values, mask)
        for name, values in columns.items()
    }


def _entered_before(deals: Deals, t: int) -> Deals:
    return replace(deals, entered=np.where(deals.entered < t, deals.entered, NEVER))


def _leads_at(leads: Leads, t: int) -> Leads:
    """The leads as of `t`: steps not taken yet are undone, deals not converted yet unlinked."""

    def by_then(times: Ints) -> Ints:
        return np.where(times < t, times, NEVER).astype(np.int64)

    return replace(
        leads,
        mql=by_then(leads.mql),
        sql=by_then(leads.sql),
        accepted=by_then(leads.accepted),
        rejected=by_then(leads.rejected),
        converted=by_then(leads.converted),
        sales_touch=by_then(leads.sales_touch),
        deal=np.where(leads.converted < t, leads.deal, -1),
    )


def _deals_at(deals: Deals, t: int, plan: _GroupPlan, snapshot: int) -> Deals:
    """The deals as of `t`, with the old value of every change planted at or after this
    snapshot."""
    view = _entered_before(deals, t)
    moved = (plan.until["slipped"] >= snapshot) | (plan.until["pulled_in"] >= snapshot)
    resized = plan.until["resized"] >= snapshot
    reassigned = plan.until["reassigned"] >= snapshot
    scaled = np.round(deals.stage_amount * plan.scale[:, None], -1)
    return replace(
        view,
        close=np.where(moved, plan.old_close, deals.close),
        rep=np.where(reassigned, plan.old_rep, deals.rep),
        stage_amount=np.where(resized[:, None], scaled, deals.stage_amount),
    )


# -- truth: a diff of the written snapshots --------------------------------------------------------

_DEAL_COLUMNS = (
    "opportunity_id",
    "owner_rep_id",
    "expected_close_date",
    "stage",
    "is_won",
    "amount",
)


def read_deals(folder: Path) -> pd.DataFrame:
    """A snapshot's opportunities: id, owner, expected close, stage, is_won, amount."""
    options = pa_csv.ConvertOptions(
        include_columns=list(_DEAL_COLUMNS),
        column_types={"expected_close_date": pa.string(), "is_won": pa.string()},
        strings_can_be_null=True,
    )
    table = pa_csv.read_csv(folder / "opportunities.csv", convert_options=options)
    frame: pd.DataFrame = table.to_pandas().set_index("opportunity_id")
    return frame


def read_teams(folder: Path) -> pd.Series:
    options = pa_csv.ConvertOptions(include_columns=["rep_id", "team_id"])
    table = pa_csv.read_csv(folder / "reps.csv", convert_options=options)
    series: pd.Series = table.to_pandas().set_index("rep_id")["team_id"]
    return series


def _quarter(dates_text: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(dates_text)
    result: pd.Series = parsed.dt.year * 4 + (parsed.dt.month - 1) // 3
    return result


def diff_snapshots(
    before: pd.DataFrame, after: pd.DataFrame, teams_before: pd.Series, teams_after: pd.Series
) -> dict[str, list[dict[str, Any]]]:
    """What changed between two snapshots' deals and reps.

    created: new ids; deleted: ids gone; won / lost: closed in `after` and open or absent in
    `before`; among deals open in both: slipped / pulled_in (expected close in a later /
    earlier quarter), resized (amount), moved_stage; reassigned: owner changed; team_changes:
    reps in both whose team changed.
    """
    open_before = before["is_won"].isna()
    open_after = after["is_won"].isna()
    created = after.index.difference(before.index)
    deleted = before.index.difference(after.index)
    newly_closed = after.index[~open_after].difference(before.index[~open_before])
    won = [i for i in newly_closed if after.at[i, "is_won"] == "true"]
    lost = [i for i in newly_closed if after.at[i, "is_won"] != "true"]
    both = before.index.intersection(after.index)
    b, a = before.loc[both], after.loc[both]
    still_open = b.index[open_before.loc[both].to_numpy() & open_after.loc[both].to_numpy()]
    bo, ao = b.loc[still_open], a.loc[still_open]
    shift = _quarter(ao["expected_close_date"]) - _quarter(bo["expected_close_date"])

    def moves(mask: pd.Series, column: str) -> list[dict[str, Any]]:
        return [
            {"opportunity_id": i, "old": _plain(bo.at[i, column]), "new": _plain(ao.at[i, column])}
            for i in bo.index[mask.to_numpy()]
        ]

    def items(frame: pd.DataFrame, index: Any) -> list[dict[str, Any]]:
        return [
            {
                "opportunity_id": i,
                "amount": _plain(frame.at[i, "amount"]),
                "expected_close_date": frame.at[i, "expected_close_date"],
            }
            for i in sorted(index)
        ]

    changed_owner = b.index[(b["owner_rep_id"] != a["owner_rep_id"]).to_numpy()]
    team_both = teams_before.index.intersection(teams_after.index)
    moved = team_both[(teams_before.loc[team_both] != teams_after.loc[team_both]).to_numpy()]
    return {
        "created": items(after, created),
        "won": items(after, won),
        "lost": items(after, lost),
        "deleted": items(before, deleted),
        "slipped": moves(shift > 0, "expected_close_date"),
        "pulled_in": moves(shift < 0, "expected_close_date"),
        "resized": moves(bo["amount"] != ao["amount"], "amount"),
        "moved_stage": moves(bo["stage"] != ao["stage"], "stage"),
        "reassigned": [
            {"opportunity_id": i, "old": b.at[i, "owner_rep_id"], "new": a.at[i, "owner_rep_id"]}
            for i in changed_owner
        ],
        "team_changes": [
            {"rep_id": r, "old": teams_before.at[r], "new": teams_after.at[r]} for r in moved
        ],
    }


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def snapshot_truth(folder: Path, weeks: list[Week], planted: list[Planted]) -> dict[str, Any]:
    """Diff consecutive snapshots and check the diff against the planted changes.

    Slips, pull-ins, reassignments, deletions and the team move happen only where planted, so
    the diff must list exactly the planted ones; amounts also change when a deal moves stage,
    so every planted resize must be among the diff's, with its old and new amount.
    """
    transitions = []
    deals = [read_deals(folder / week.label) for week in weeks]
    teams = [read_teams(folder / week.label) for week in weeks]
    for k in range(len(weeks) - 1):
        changes = diff_snapshots(deals[k], deals[k + 1], teams[k], teams[k + 1])
        mine = [p for p in planted if p.transition == k]
        _check(k, changes, mine)
        planted_resizes = {p.key for p in mine if p.kind == "resized"}
        for entry in changes["resized"]:
            entry["planted"] = entry["opportunity_id"] in planted_resizes
        transitions.append(
            {
                "from": weeks[k].label,
                "to": weeks[k + 1].label,
                "from_taken_at": _iso(weeks[k]),
                "to_taken_at": _iso(weeks[k + 1]),
                "counts": {kind: len(entries) for kind, entries in changes.items()},
                **changes,
            }
        )
    return {
        "snapshots": [
            {"folder": w.label, "taken_at": _iso(w), "opportunities": len(d)}
            for w, d in zip(weeks, deals, strict=True)
        ],
        "transitions": transitions,
        "planted": [
            {
                "kind": p.kind,
                "from": weeks[p.transition].label,
                "to": weeks[p.transition + 1].label,
                "rep_id" if p.kind == "team_changes" else "opportunity_id": p.key,
                "old": p.old,
                "new": p.new,
            }
            for p in planted
        ],
    }


def _iso(week: Week) -> str:
    return week.moment.isoformat().replace("+00:00", "Z")


def _check(
    transition: int, changes: dict[str, list[dict[str, Any]]], planted: list[Planted]
) -> None:
    """Raise when the written snapshots disagree with what was planted (a generator bug)."""
    for kind in ("slipped", "pulled_in", "reassigned", "resized", "team_changes"):
        key = "rep_id" if kind == "team_changes" else "opportunity_id"
        seen = {e[key]: (e["old"], e["new"]) for e in changes[kind]}
        wanted = {p.key: (p.old, p.new) for p in planted if p.kind == kind}
        exact = kind != "resized"
        if (seen != wanted) if exact else any(seen.get(i) != v for i, v in wanted.items()):
            raise AssertionError(f"snapshot transition {transition}: {kind} {seen} != {wanted}")
    deleted = {e["opportunity_id"] for e in changes["deleted"]}
    wanted_deleted = {p.key for p in planted if p.kind == "deleted"}
    if deleted != wanted_deleted:
        raise AssertionError(
            f"snapshot transition {transition}: deleted {deleted} != {wanted_deleted}"
        )
