"""Calls, e-mails, meetings, demos, follow-ups and tasks of a group of selling reps.

Activities come from four places: touches on leads (the first at `first_sales_touch_at`),
touches on deals while they are open (with a meeting or demo when a stage is entered),
follow-ups owed after meetings and connected calls, and the daily prospecting rhythm of each
rep. All happen in local business hours on working days inside the window, before as_of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from attain.demo import causes as c
from attain.demo.causes import Plants
from attain.demo.organisation import Organisation
from attain.demo.pipeline import NEVER, Deals, Leads, deal_ids, lead_ids
from attain.demo.timeline import (
    DAY,
    HOUR,
    Ints,
    business_time,
    day_weight,
    sample_days,
    snap_to_business,
)
from attain.demo.writer import Array, ids, labels, pick, timestamps
from attain.schema.tables import ACTIVITY_TYPES

Bools = npt.NDArray[np.bool_]
CALL, EMAIL, MEETING, DEMO, FOLLOW_UP, TASK = (
    ACTIVITY_TYPES.index(name) for name in ("call", "email", "meeting", "demo", "follow_up", "task")
)
OUTCOMES = (
    "connected",
    "no_answer",
    "left_voicemail",
    "sent",
    "replied",
    "held",
    "no_show",
    "done",
)

BACKGROUND_PER_DAY = 21.0
"""Prospecting calls, e-mails and tasks per weighted working day of a ramped rep."""
BACKGROUND_MIX = {EMAIL: 0.5, CALL: 0.4, TASK: 0.07, MEETING: 0.03}
DEAL_TOUCHES_PER_WEEK = 3.0
DEAL_MIX = {EMAIL: 0.45, CALL: 0.36, MEETING: 0.12, DEMO: 0.04, TASK: 0.03}
LEAD_TOUCHES = 2.0
"""Mean touches on a lead after the first one."""
FOLLOW_UP_AFTER_CALL = 0.05
"""Chance a call leaves a follow-up to do."""
TASK_OUTCOMES = (0.93, 0.05, 0.02)
"""Tasks done on time, late, never."""


@dataclass(frozen=True)
class Activities:
    """Activities of a group of reps; NEVER for a missing due or completion time."""

    rep: Ints
    kind: Ints
    occurred: Ints
    due: Ints
    completed: Ints
    deal: Ints
    lead: Ints
    outcome: Ints


def _parts(*parts: dict[str, Ints]) -> dict[str, Ints]:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _rows(
    rep: Ints, kind: Ints, occurred: Ints, deal: Ints | None = None, lead: Ints | None = None
) -> dict[str, Ints]:
    n = rep.size
    none = np.full(n, -1, dtype=np.int64)
    return {
        "rep": rep.astype(np.int64),
        "kind": kind.astype(np.int64),
        "occurred": occurred.astype(np.int64),
        "deal": none if deal is None else deal.astype(np.int64),
        "lead": none if lead is None else lead.astype(np.int64),
    }


def _kinds(rng: np.random.Generator, mix: dict[int, float], n: int) -> Ints:
    return rng.choice(list(mix), size=n, p=list(mix.values())).astype(np.int64)


def generate_activities(
    org: Organisation,
    plants: Plants,
    reps: Ints,
    leads: Leads,
    deals: Deals,
    rng: np.random.Generator,
) -> Activities:
    """Every activity of `reps` (and of SDRs on these reps' leads) inside the window."""
    offset = org.utc_offset

    # Touches on leads: the first sales touch, then a few more in the next two weeks.
    touched = np.flatnonzero(leads.sales_touch < NEVER)
    owner = leads.owner[touched]
    first = _rows(
        owner,
        np.where(rng.random(touched.size) < 0.6, CALL, EMAIL),
        leads.sales_touch[touched],
        lead=touched,
    )
    extra = np.repeat(np.arange(touched.size), rng.poisson(LEAD_TOUCHES, touched.size))
    later = snap_to_business(
        rng,
        leads.sales_touch[touched][extra] + rng.integers(DAY // 2, 14 * DAY, extra.size),
        offset[owner[extra]],
    )
    more = _rows(
        owner[extra],
        np.where(rng.random(extra.size) < 0.5, CALL, EMAIL),
        later,
        lead=touched[extra],
    )

    deal_rows, neglected_final = _deal_touches(org, plants, deals, rng)
    background = _background(org, reps, rng)
    rows = _parts(first, more, deal_rows, background)

    # Follow-ups owed after meetings, demos and some calls; none after a neglected deal's end.
    final = np.zeros(rows["rep"].size, dtype=bool)
    final_start = first["rep"].size + more["rep"].size + deal_rows["rep"].size
    final[final_start - neglected_final["rep"].size : final_start] = True
    # Fewer follow-ups created after meetings is a secondary symptom of follow_up.
    neglecting = plants.also("follow_up", rows["rep"], rows["occurred"] // DAY)
    chance = np.select(
        [final, np.isin(rows["kind"], (MEETING, DEMO)), rows["kind"] == CALL],
        [
            np.zeros(final.size),
            np.where(neglecting, c.NEGLECTED_FOLLOW_UP_AFTER_MEETING, c.FOLLOW_UP_AFTER_MEETING),
            np.full(final.size, FOLLOW_UP_AFTER_CALL),
        ],
        0.0,
    )
    spawn = rng.random(chance.size) < chance
    source = {key: value[spawn] for key, value in rows.items()}
    follow = _rows(
        source["rep"],
        np.full(source["rep"].size, FOLLOW_UP),
        source["occurred"] + rng.integers(10 * 60, 3 * HOUR, source["rep"].size),
        source["deal"],
        source["lead"],
    )
    return _finish(org, plants, _parts(rows, follow), rng)


def prospecting_activities(
    org: Organisation, plants: Plants, people: Ints, rng: np.random.Generator
) -> Activities:
    """Only the daily prospecting rhythm of `people` (the SDRs' own calls and e-mails)."""
    return _finish(org, plants, _background(org, people, rng), rng)


def _finish(
    org: Organisation, plants: Plants, rows: dict[str, Ints], rng: np.random.Generator
) -> Activities:
    """Due and completion times, outcomes; only what falls in the window and employment."""
    start, cutoff = org.timeline.window_start * DAY, org.timeline.cutoff
    offset = org.utc_offset
    n = rows["rep"].size
    kind = rows["kind"]
    due_gap = np.where(
        kind == FOLLOW_UP, rng.integers(DAY, 3 * DAY, n), rng.integers(DAY, 5 * DAY, n)
    )
    due = snap_to_business(rng, rows["occurred"] + due_gap, offset[rows["rep"]])
    neglecting = plants.acting("follow_up", rows["rep"], rows["occurred"] // DAY)
    shares = np.where(
        (kind == FOLLOW_UP)[:, None],
        np.where(neglecting[:, None], c.NEGLECTED_FOLLOW_UP_OUTCOMES, c.FOLLOW_UP_OUTCOMES),
        TASK_OUTCOMES,
    )
    draw = rng.random(n)
    on_time = draw < shares[:, 0]
    late = ~on_time & (draw < shares[:, 0] + shares[:, 1])
    early = due - (rng.random(n) * np.minimum(20 * HOUR, due - rows["occurred"])).astype(np.int64)
    overdue = snap_to_business(rng, due + rng.integers(HOUR, 3 * DAY, n), offset[rows["rep"]])
    completed = np.select([on_time, late], [early, overdue], NEVER)
    completed = np.where(completed < cutoff, completed, NEVER)
    owed = np.isin(kind, (FOLLOW_UP, TASK))
    due = np.where(owed, due, NEVER)
    completed = np.where(owed, completed, NEVER)

    outcome = _outcomes(rng, kind, completed)
    occurred = rows["occurred"]
    rep = rows["rep"]
    day = occurred // DAY
    keep = (
        (occurred >= start)
        & (occurred < cutoff)
        & (day >= org.hire_day[rep])
        & (day <= org.end_day[rep])
    )
    keep &= ~(plants.acting("activity_drop", rep, day) & (rng.random(n) >= c.DROP_FACTOR))
    order = np.flatnonzero(keep)[np.argsort(occurred[keep], kind="stable")]
    return Activities(
        rep=rep[order],
        kind=kind[order],
        occurred=occurred[order],
        due=due[order],
        completed=completed[order],
        deal=rows["deal"][order],
        lead=rows["lead"][order],
        outcome=outcome[order],
    )


def _deal_touches(
    org: Organisation, plants: Plants, deals: Deals, rng: np.random.Generator
) -> tuple[dict[str, Ints], dict[str, Ints]]:
    """Touches on open deals, stage meetings, closing e-mails; and final meetings of neglect.

    A rep who neglects follow-up touches deals less, lets lost deals end on a meeting with
    nothing after it, and lets most older open deals go dark 30-60 days before as_of.
    """
    n = deals.rep.size
    offset = org.utc_offset[deals.rep]
    span = _touch_span(org, plants, deals, rng)
    begin, last, neglect = span["begin"], span["last"], span["neglect"].astype(bool)
    active = last > begin
    weeks = np.where(active, (last - begin) / (7 * DAY), 0.0)
    rate = (
        DEAL_TOUCHES_PER_WEEK
        * org.activity[deals.rep]
        * np.where(neglect, c.NEGLECTED_TOUCH_FACTOR, 1.0)
    )
    counts = rng.poisson(rate * weeks)
    deal = np.repeat(np.arange(n), counts)
    moment = begin[deal] + (rng.random(deal.size) * (last[deal] - begin[deal])).astype(np.int64)
    moment = np.minimum(snap_to_business(rng, moment, offset[deal]), last[deal])
    touches = _rows(
        deals.rep[deal], _kinds(rng, DEAL_MIX, deal.size), moment, deal, deals.lead[deal]
    )
    stage_rows = _stage_meetings(org, deals, span, rng)
    closed = deals.close < org.timeline.cutoff
    lost = closed & ~deals.won
    closing = np.flatnonzero(closed & ~(neglect & lost) & (deals.close >= begin))
    close_rows = _rows(
        deals.rep[closing],
        np.full(closing.size, EMAIL),
        deals.close[closing],
        closing,
        deals.lead[closing],
    )
    final = np.flatnonzero(neglect & lost & active)
    final_rows = _rows(
        deals.rep[final], np.full(final.size, MEETING), last[final], final, deals.lead[final]
    )
    return _parts(touches, stage_rows, close_rows, final_rows), final_rows


def _touch_span(
    org: Organisation, plants: Plants, deals: Deals, rng: np.random.Generator
) -> dict[str, Ints]:
    """Per deal: the first (`begin`) and last (`last`) moment the rep touches it, the end of
    its life in the window (`end`) and whether the rep neglects it (`neglect`, 0 or 1)."""
    timeline = org.timeline
    cutoff = timeline.cutoff
    n = deals.rep.size
    begin = np.maximum(deals.created, timeline.window_start * DAY)
    closed = deals.close < cutoff
    end = np.where(closed, deals.close, cutoff)
    # Fading and dark deals are secondary symptoms of follow_up: none in single-symptom variants.
    neglect = plants.has("follow_up")[deals.rep] & (end > plants.onset_day * DAY)
    neglect &= not plants.single_symptom
    neglect_from = np.maximum(begin, plants.onset_day * DAY)
    lost = closed & ~deals.won
    fade = neglect_from + (rng.uniform(0.35, 0.75, n) * (end - neglect_from)).astype(np.int64)
    last = np.where(neglect & lost, fade, end)
    dark = (
        neglect
        & ~closed
        & (deals.created < cutoff - 31 * DAY)
        & (rng.random(n) < c.GONE_DARK_SHARE)
    )
    last = np.where(dark, np.maximum(begin, cutoff - rng.integers(31 * DAY, 60 * DAY, n)), last)
    return {"begin": begin, "end": end, "last": last, "neglect": neglect.astype(np.int64)}


def _stage_meetings(
    org: Organisation, deals: Deals, span: dict[str, Ints], rng: np.random.Generator
) -> dict[str, Ints]:
    """A meeting (a demo at the fourth stage) within two days of entering each stage from the
    third on, while the rep still touches the deal."""
    offset = org.utc_offset[deals.rep]
    begin, end, last = span["begin"], span["end"], span["last"]
    stage_deal, stage = np.nonzero(deals.entered[:, 2:] < NEVER)
    entered = deals.entered[stage_deal, stage + 2]
    meet = np.minimum(
        snap_to_business(rng, entered + rng.integers(0, 2 * DAY, entered.size), offset[stage_deal]),
        end[stage_deal],
    )
    in_reach = (meet <= last[stage_deal]) & (entered >= begin[stage_deal])
    stage_deal, stage, meet = stage_deal[in_reach], stage[in_reach], meet[in_reach]
    return _rows(
        deals.rep[stage_deal],
        np.where(stage == 1, DEMO, MEETING),
        meet,
        stage_deal,
        deals.lead[stage_deal],
    )


def _background(org: Organisation, reps: Ints, rng: np.random.Generator) -> dict[str, Ints]:
    """The daily rhythm of prospecting calls, e-mails, tasks and meetings."""
    timeline = org.timeline
    days = np.arange(timeline.window_start, timeline.cutoff_day, dtype=np.int64)
    weight = (
        day_weight(days)[None, :]
        * org.working(reps, days)
        * (0.7 + 0.3 * org.ramp(reps[:, None], days[None, :]))
    )
    expected = BACKGROUND_PER_DAY * org.activity[reps] * weight.sum(axis=1)
    row, day = sample_days(rng, weight, rng.poisson(expected))
    rep = reps[row]
    moment = business_time(rng, days[day], org.utc_offset[rep])
    return _rows(rep, _kinds(rng, BACKGROUND_MIX, rep.size), moment)


def _outcomes(rng: np.random.Generator, kind: Ints, completed: Ints) -> Ints:
    """What came of each activity (index into OUTCOMES); follow-ups and tasks: done or empty."""
    n = kind.size
    draw = rng.random(n)
    call = np.select([draw < 0.35, draw < 0.8], [0, 1], 2)
    email = np.where(draw < 0.85, 3, 4)
    meeting = np.where(draw < 0.92, 5, 6)
    owed = np.where(completed < NEVER, 7, -1)
    return np.select(
        [kind == CALL, kind == EMAIL, kind == MEETING, kind == DEMO],
        [call, email, meeting, np.full(n, 5)],
        owed,
    ).astype(np.int64)


def activities_columns(
    acts: Activities, org: Organisation, first_activity: int, first_lead: int, first_deal: int
) -> dict[str, Array]:
    """activities.csv rows."""
    return {
        "activity_id": ids("ACT", first_activity + 1 + np.arange(acts.rep.size), 10),
        "rep_id": pick(org.person_ids, acts.rep),
        "type": labels(ACTIVITY_TYPES, acts.kind),
        "occurred_at": timestamps(acts.occurred),
        "due_at": timestamps(acts.due, acts.due < NEVER),
        "completed_at": timestamps(acts.completed, acts.completed < NEVER),
        "opportunity_id": deal_ids(first_deal + acts.deal, acts.deal >= 0),
        "lead_id": lead_ids(first_lead + acts.lead, acts.lead >= 0),
        "outcome": labels(OUTCOMES, acts.outcome),
    }
