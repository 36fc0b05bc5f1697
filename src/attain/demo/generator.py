"""Generate a demo organisation: ten canonical CSV files and truth.json, team group by group.

Memory stays bounded by one group of about 48 reps: each group's leads, deals, stage history,
activities and coaching are generated and appended to the open files before the next group.
Every group draws from its own random stream, so the output depends only on the spec.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from attain.demo import causes as c
from attain.demo.activity import (
    MEETING,
    Activities,
    activities_columns,
    generate_activities,
    prospecting_activities,
)
from attain.demo.causes import Plants, choose_plants, plant_details
from attain.demo.coaching import coaching_columns, generate_coaching
from attain.demo.comp_plan import write_comp_plan
from attain.demo.config import DemoSpec
from attain.demo.organisation import (
    PRODUCT_TIER,
    TIER_NAMES,
    TOP,
    UNDER,
    Organisation,
    accounts_columns,
    build_organisation,
    icp_definition,
    products_columns,
    reps_columns,
    teams_columns,
)
from attain.demo.pipeline import (
    Deals,
    deals_columns,
    generate_deals,
    generate_leads,
    leads_columns,
    stage_columns,
)
from attain.demo.quotas import quota_columns
from attain.demo.snapshots import Snapshots
from attain.demo.timeline import DAY, Timeline, as_date
from attain.demo.truth import PlantedCause, Truth
from attain.demo.writer import CsvFiles
from attain.diagnosis.finding import CAUSES
from attain.schema.tables import PRODUCT_PRIORITIES, REP_ROLES, TABLES

_STREAMS = {"organisation": 1, "plants": 2, "group": 3, "support": 4, "quotas": 5, "snapshots": 6}


@dataclass(frozen=True)
class TableStep:
    """Progress of one table: rows just written, seconds spent on them, steps done of total."""

    table: str
    rows: int
    seconds: float
    done: int
    total: int


Progress = Callable[[TableStep], None]


def _rng(seed: int, stream: str, index: int = 0) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, _STREAMS[stream], index]))
    )


class _Run:
    """Bookkeeping of one generation: open files, id counters, totals for quotas and truth."""

    def __init__(
        self,
        org: Organisation,
        files: CsvFiles,
        progress: Progress | None,
        groups: int,
        snapshots: Snapshots | None = None,
    ):
        self.org = org
        self.files = files
        self.snapshots = snapshots
        self.progress = progress
        self.steps = dict.fromkeys(TABLES, 1)
        for name in ("leads", "opportunities", "opportunity_stages"):
            self.steps[name] = groups
        for name in ("activities", "coaching_sessions"):
            self.steps[name] = groups + 1
        self.done = dict.fromkeys(TABLES, 0)
        self.next = {"leads": 0, "deals": 0, "activities": 0, "sessions": 0}
        quarters = org.timeline.quarters
        self.bookings = np.zeros((org.selling, quarters))
        self.meetings = np.zeros((org.selling, quarters))
        self.recent_tiers = np.zeros((org.selling, len(PRODUCT_PRIORITIES)))

    def write(self, table: str, columns: dict[str, object], seconds: float) -> None:
        started = time.perf_counter()
        rows = self.files.append(table, columns)
        self.done[table] += 1
        if self.progress is not None:
            spent = seconds + time.perf_counter() - started
            self.progress(TableStep(table, rows, spent, self.done[table], self.steps[table]))

    def tally_deals(self, deals: Deals, onset: int) -> None:
        timeline = self.org.timeline
        won = (
            deals.won
            & (deals.close < timeline.cutoff)
            & (deals.close >= timeline.window_start * DAY)
        )
        quarter = timeline.quarter_of(deals.close[won] // DAY)
        np.add.at(self.bookings, (deals.rep[won], quarter), deals.amount[won])
        recent = won & (deals.close >= onset * DAY)
        np.add.at(
            self.recent_tiers,
            (deals.rep[recent], PRODUCT_TIER[deals.product[recent]]),
            deals.amount[recent],
        )

    def tally_meetings(self, acts: Activities) -> None:
        selling = (acts.kind == MEETING) & (acts.rep < self.org.selling)
        quarter = self.org.timeline.quarter_of(acts.occurred[selling] // DAY)
        np.add.at(self.meetings, (acts.rep[selling], quarter), 1)


def generate(
    spec: DemoSpec, out_dir: Path, progress: Progress | None = None, *, snapshot_weeks: int = 0
) -> Truth:
    """Write the ten canonical CSV files, truth.json, comp-plan.toml and attain.toml (the ICP
    and the plan's path) into `out_dir`.

    The same spec always gives byte-identical files. `progress` is called after each append
    to a file with the rows written and the seconds they took. With `snapshot_weeks`, also
    write that many weekly exports of the same organisation into `out_dir`/snapshots (see
    attain.demo.snapshots); the files above stay the same.
    """
    timeline = Timeline.ending(spec.as_of, spec.quarters)
    org = build_organisation(spec, timeline, _rng(spec.seed, "organisation"))
    plants = choose_plants(org, _rng(spec.seed, "plants"))
    skill = np.where(plants.has("target_setting"), c.RATCHETED_SKILL, org.skill)
    org = replace(org, skill=skill)
    groups = org.chunks()
    snapshots = None
    if snapshot_weeks:
        snapshots = Snapshots(
            org, plants, out_dir, snapshot_weeks, lambda index: _rng(spec.seed, "snapshots", index)
        )
    with CsvFiles(out_dir) as files:
        run = _Run(org, files, progress, len(groups), snapshots)
        started = time.perf_counter()
        tables = {
            "teams": teams_columns(org),
            "reps": reps_columns(org),
            "accounts": accounts_columns(org),
            "products": products_columns(),
        }
        seconds = (time.perf_counter() - started) / len(tables)
        for name, columns in tables.items():
            run.write(name, columns, seconds)
        if snapshots is not None:
            snapshots.write_fixed(tables)
        for index, reps in enumerate(groups):
            _write_group(run, plants, reps, _rng(spec.seed, "group", index))
        _write_support(run, plants, _rng(spec.seed, "support"))
        started = time.perf_counter()
        columns, revisions = quota_columns(
            org, plants, run.bookings, run.meetings, _rng(spec.seed, "quotas")
        )
        run.write("quotas", columns, time.perf_counter() - started)
        if snapshots is not None:
            snapshots.write_quotas(columns)
            snapshots.close()
            snapshots.finish(spec.seed, spec.as_of)
    truth = _truth(org, plants, revisions, run)
    truth.write(out_dir / "truth.json")
    write_comp_plan(out_dir / "comp-plan.toml", spec.as_of)
    truth.write_config(out_dir / "attain.toml", out_dir / "comp-plan.toml")
    if spec.variant.quota_period == "fiscal_445":  # its quotas are for the retail calendar's
        with (out_dir / "attain.toml").open("a") as config:
            config.write('[calendar]\nstart_month = 2\npattern = "4-4-5"\nweek_start = "sunday"\n')
    return truth


def _write_group(run: _Run, plants: Plants, reps: np.ndarray, rng: np.random.Generator) -> None:
    org = run.org
    cutoff = org.timeline.cutoff
    started = time.perf_counter()
    leads = generate_leads(org, plants, reps, rng)
    leads, deals = generate_deals(org, plants, reps, leads, rng)
    spent = (time.perf_counter() - started) / 3
    first_lead, first_deal = run.next["leads"], run.next["deals"]
    run.write("leads", leads_columns(leads, org, cutoff, first_lead, first_deal), spent)
    run.write("opportunities", deals_columns(deals, org, cutoff, first_deal, first_lead), spent)
    names = org.spec.variant.funnel.all_stages
    run.write("opportunity_stages", stage_columns(deals, cutoff, first_deal, names), spent)
    run.tally_deals(deals, plants.onset_day)

    started = time.perf_counter()
    acts = generate_activities(org, plants, reps, leads, deals, rng)
    act_columns = activities_columns(acts, org, run.next["activities"], first_lead, first_deal)
    run.write("activities", act_columns, time.perf_counter() - started)
    run.tally_meetings(acts)

    started = time.perf_counter()
    sessions = generate_coaching(org, plants, reps, rng)
    session_columns = coaching_columns(sessions, org, run.next["sessions"])
    run.write("coaching_sessions", session_columns, time.perf_counter() - started)
    if run.snapshots is not None:
        first = {"leads": first_lead, "deals": first_deal}
        run.snapshots.write_group(leads, deals, acts, act_columns, sessions, session_columns, first)

    run.next["leads"] += leads.created.size
    run.next["deals"] += deals.created.size
    run.next["activities"] += acts.rep.size
    run.next["sessions"] += sessions.rep.size


def _write_support(run: _Run, plants: Plants, rng: np.random.Generator) -> None:
    """SDRs' own prospecting and their coaching."""
    org = run.org
    sdrs = np.flatnonzero(org.role == REP_ROLES.index("sdr"))
    started = time.perf_counter()
    acts = prospecting_activities(org, plants, sdrs, rng)
    columns = activities_columns(acts, org, run.next["activities"], 0, 0)
    run.write("activities", columns, time.perf_counter() - started)
    run.next["activities"] += acts.rep.size
    started = time.perf_counter()
    sessions = generate_coaching(org, plants, sdrs, rng)
    session_columns = coaching_columns(sessions, org, run.next["sessions"])
    run.write("coaching_sessions", session_columns, time.perf_counter() - started)
    if run.snapshots is not None:
        run.snapshots.write_support(acts, columns, sessions, session_columns)
    run.next["sessions"] += sessions.rep.size


def _truth(
    org: Organisation, plants: Plants, revisions: dict[int, list[dict[str, object]]], run: _Run
) -> Truth:
    spec, timeline = org.spec, org.timeline
    details = plant_details(plants, org)
    ids = org.person_ids.to_pylist()
    stages = spec.variant.funnel.all_stages
    planted = []
    for person in np.flatnonzero(plants.cause >= 0).tolist():
        cause = CAUSES[plants.cause[person]]
        detail = dict(details[cause])
        if cause == "stage_leakage":
            detail["stage"] = stages[plants.leak_stage[person]]
            detail["next_stage"] = stages[plants.leak_stage[person] + 1]
        elif cause == "coaching":
            detail["last_one_on_one_before"] = str(as_date(int(plants.neglect_day[person]) + 1))
            detail["no_shadow_since"] = str(as_date(timeline.cutoff_day - c.NO_SHADOW_DAYS))
        elif cause == "product_mix":
            total = run.recent_tiers[person].sum()
            shares = run.recent_tiers[person] / total if total else run.recent_tiers[person]
            detail["bookings_shares"] = {
                tier: round(float(share), 3)
                for tier, share in zip(PRODUCT_PRIORITIES, shares, strict=True)
            }
        elif cause == "target_setting":
            detail["revisions"] = revisions.get(person, [])
        planted.append(PlantedCause(rep_id=ids[person], cause=cause, detail=detail))
    selling = np.arange(org.selling)
    return Truth(
        seed=spec.seed,
        as_of=spec.as_of,
        planted=planted,
        icp=icp_definition(),
        window={"start": str(as_date(timeline.window_start)), "end": str(spec.as_of)},
        parameters={
            "reps": spec.reps,
            "quarters": spec.quarters,
            "plant_share": spec.plant_share,
            "variant": spec.variant.name,
            "causes_since": str(as_date(plants.onset_day)),
            "tiers": {
                name: int((org.tier[selling] == k).sum()) for k, name in enumerate(TIER_NAMES)
            },
        },
        stages=list(stages),
        top_performers=[ids[p] for p in selling[org.tier[selling] == TOP].tolist()],
        under_performers=[ids[p] for p in selling[org.tier[selling] == UNDER].tolist()],
    )
