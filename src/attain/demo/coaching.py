"""Coaching sessions: fortnightly one-on-ones, shadowing a few times a year, team training
every six weeks and an onboarding programme for new hires, all given by the team manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from attain.demo import causes as c
from attain.demo.causes import Plants
from attain.demo.organisation import Organisation
from attain.demo.timeline import Ints, business_time, weekday
from attain.demo.writer import Array, ids, labels, pick, timestamps
from attain.schema.tables import COACHING_KINDS

ONE_ON_ONE, SHADOW, TRAINING, PROGRAM = (COACHING_KINDS.index(k) for k in COACHING_KINDS)
ONE_ON_ONE_DAYS = 14
SKIPPED_ONE_ON_ONES = 0.08
SHADOW_GAP_DAYS = (120, 170)
"""Days between shadow sessions: two to three a year, never a year without one."""
TRAINING_DAYS = 42
ONBOARDING_WEEKS = 6

TOPICS = (
    ("pipeline review", "forecast", "deal strategy", "career development", "activity plan"),
    ("discovery call", "demo delivery", "negotiation", "objection handling", "closing"),
    ("product update", "qualification framework", "pricing", "competitive positioning"),
    ("crm hygiene", "product basics", "sales process", "territory plan"),
)
"""Topics per kind of session (one_on_one, shadow, training, program)."""
DURATIONS = ((25, 30, 45), (60, 90, 120), (60, 90, 120), (120, 180))


def _topic_sets(kind: int) -> list[str]:
    singles = list(TOPICS[kind])
    return singles + [";".join(pair) for pair in combinations(singles, 2)]


TOPIC_SETS = [_topic_sets(kind) for kind in range(len(COACHING_KINDS))]
TOPIC_LABELS = [label for sets in TOPIC_SETS for label in sets]
TOPIC_START = np.cumsum([0] + [len(sets) for sets in TOPIC_SETS])


@dataclass(frozen=True)
class Sessions:
    """Coaching sessions: who was coached, by whom, what kind, when, how long, about what."""

    rep: Ints
    coach: Ints
    kind: Ints
    occurred: Ints
    minutes: Ints
    topics: Ints


def generate_coaching(
    org: Organisation, plants: Plants, people: Ints, rng: np.random.Generator
) -> Sessions:
    """Every session of `people` inside the window, sorted by time.

    Coaching-neglected reps get no one-on-one after their neglect day and no shadowing in the
    last NO_SHADOW_DAYS. The steps draw from `rng` in a fixed order.
    """
    timeline = org.timeline
    first = np.maximum(org.hire_day[people], timeline.window_start)
    stop = np.minimum(org.end_day[people] + 1, timeline.cutoff_day)
    one_day, one_ok = _one_on_ones(org, plants, people, first, rng)
    shadow_day, shadow_ok = _shadows(org, plants, people, rng)
    training_day = _trainings(org, people, rng)
    program_day = org.hire_day[people, None] + 7 * np.arange(ONBOARDING_WEEKS)[None, :] + 2
    program_ok = np.broadcast_to(
        org.hire_day[people, None] >= timeline.window_start, program_day.shape
    )

    kinds = (ONE_ON_ONE, SHADOW, TRAINING, PROGRAM)
    grids = (one_day, shadow_day, training_day, program_day)
    oks = (one_ok, shadow_ok, np.ones(training_day.shape, dtype=bool), program_ok)
    parts: list[tuple[Ints, Ints, Ints]] = []
    for code, grid, ok in zip(kinds, grids, oks, strict=True):
        day = grid - np.where(weekday(grid) >= 5, weekday(grid) - 4, 0)  # weekends -> Friday
        held = ok & (day >= first[:, None]) & (day < stop[:, None])
        held_row, _ = np.nonzero(held)
        parts.append((held_row, day[held], np.full(held_row.size, code)))
    row = np.concatenate([p[0] for p in parts])
    session_day = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([p[2] for p in parts]).astype(np.int64)
    rep = people[row]
    occurred = business_time(rng, session_day, org.utc_offset[rep])
    occurred = np.minimum(occurred, timeline.cutoff - 3600)
    minutes = np.select(
        [kind == k for k in range(len(COACHING_KINDS))],
        [rng.choice(DURATIONS[k], size=kind.size) for k in range(len(COACHING_KINDS))],
    )
    sizes = np.diff(TOPIC_START)
    topics = TOPIC_START[kind] + (rng.random(kind.size) * sizes[kind]).astype(np.int64)
    order = np.lexsort((occurred, rep))
    return Sessions(
        rep=rep[order],
        coach=org.team_managers[org.team[rep[order]]],
        kind=kind[order],
        occurred=occurred[order],
        minutes=minutes[order].astype(np.int64),
        topics=topics[order].astype(np.int64),
    )


def _slots(org: Organisation) -> int:
    """One-on-one slots that cover the window."""
    return (org.timeline.cutoff_day - org.timeline.window_start) // ONE_ON_ONE_DAYS + 2


def _one_on_ones(
    org: Organisation, plants: Plants, people: Ints, first: Ints, rng: np.random.Generator
) -> tuple[Ints, np.ndarray]:
    """Days of fortnightly one-on-ones a few days either way, and whether each is held (some
    are skipped; none after a neglected rep's neglect day)."""
    slots = _slots(org)
    one_day: Ints = (
        first[:, None]
        + rng.integers(0, ONE_ON_ONE_DAYS, people.size)[:, None]
        + ONE_ON_ONE_DAYS * np.arange(slots)[None, :]
        + rng.integers(-2, 3, (people.size, slots))
    )
    one_ok = (rng.random(one_day.shape) >= SKIPPED_ONE_ON_ONES) & (
        one_day <= plants.neglect_day[people, None]
    )
    return one_day, one_ok


def _shadows(
    org: Organisation, plants: Plants, people: Ints, rng: np.random.Generator
) -> tuple[Ints, np.ndarray]:
    """Days a manager shadows each rep (soon after hire for new hires), and whether each
    happens: none in the last NO_SHADOW_DAYS for a neglected rep."""
    start, cutoff = org.timeline.window_start, org.timeline.cutoff_day
    shape = (people.size, _slots(org) // 8 + 3)
    gaps = rng.integers(SHADOW_GAP_DAYS[0], SHADOW_GAP_DAYS[1] + 1, shape)
    new_hire = org.hire_day[people] >= start - 30
    shadow_start = np.where(
        new_hire,
        org.hire_day[people] + rng.integers(10, 30, people.size),
        start - rng.integers(0, 150, people.size),
    )
    shadow_day: Ints = shadow_start[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1]
    # No shadowing is a secondary symptom of coaching neglect: none in single-symptom variants.
    unshadowed = plants.has("coaching")[people, None] & (not plants.single_symptom)
    shadow_ok = ~(unshadowed & (shadow_day >= cutoff - c.NO_SHADOW_DAYS))
    return shadow_day, shadow_ok


def _trainings(org: Organisation, people: Ints, rng: np.random.Generator) -> Ints:
    """Days of each rep's team trainings, every TRAINING_DAYS, staggered by team."""
    start, cutoff = org.timeline.window_start, org.timeline.cutoff_day
    teams = int(org.team.max()) + 1
    training_slots = (cutoff - start) // TRAINING_DAYS + 1
    team_days = (
        start
        + np.arange(teams)[:, None] * 3 % TRAINING_DAYS
        + TRAINING_DAYS * np.arange(training_slots)[None, :]
        + rng.integers(0, 5, (teams, training_slots))
    )
    training_day: Ints = team_days[org.team[people]]
    return training_day


def coaching_columns(sessions: Sessions, org: Organisation, first_session: int) -> dict[str, Array]:
    """coaching_sessions.csv rows."""
    return {
        "session_id": ids("CS", first_session + 1 + np.arange(sessions.rep.size), 8),
        "rep_id": pick(org.person_ids, sessions.rep),
        "coach_rep_id": pick(org.person_ids, sessions.coach),
        "kind": labels(COACHING_KINDS, sessions.kind),
        "occurred_at": timestamps(sessions.occurred),
        "duration_min": np.asarray(sessions.minutes),
        "topics": labels(TOPIC_LABELS, sessions.topics),
    }
