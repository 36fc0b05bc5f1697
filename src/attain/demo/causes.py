"""Which reps carry which planted cause, and the numbers that make each cause show in the data.

A cause never becomes a column: it changes how the rep's leads, deals, activities, coaching
or quotas are generated from the onset (`cause_onset`) onwards, and every other rep keeps the
healthy behaviour.

What "planted" means: a cause acts from two quarters before the current one, or from two of the
organisation's sales cycles before the data ends when that is earlier (an enterprise cycle of
six months: a year back). A cause younger than two cycles has moved too few deals through to
an outcome to show, and is not a fair test for any detector.

The constants below are the planted and the healthy values side by side; the generator modules
read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np

from attain.demo.organisation import Organisation
from attain.demo.timeline import Ints, Timeline, as_date, weekday
from attain.demo.variants import Funnel
from attain.diagnosis.finding import CAUSES
from attain.errors import ConfigError

# lead_warming
TOUCH_DELAY_HOURS = 2.5
"""Median hours from MQL to first sales touch for a healthy rep."""
WARMING_TOUCH_DELAY_HOURS = 72.0
NO_MARKETING_TOUCH = 0.03
"""Share of inbound leads that arrive with no marketing touch (list imports)."""
WARMING_NO_MARKETING_TOUCH = 0.45
WARMING_WIN_FACTOR = 0.6
SINGLE_WARMING_DELAY_DAYS = (8, 25)
"""Single-symptom lead warming: the first sales touch comes this many days after the lead
(uniform), and nothing else differs from a healthy rep."""

# marketing_alignment: shares of sales-qualified leads accepted, rejected, left untouched
DECISIONS = (0.82, 0.12, 0.06)
ALIGNMENT_DECISIONS = (0.3, 0.5, 0.20)
DECISION_HOURS = 20.0
"""Median hours from SQL to the owner's accept/reject decision."""
ALIGNMENT_DECISION_HOURS = 144.0
SINGLE_ALIGNMENT_DECISIONS = (0.45, 0.5, 0.05)
"""Single-symptom misalignment: half the leads rejected, decided as fast as anyone's."""

# lead_criteria
ICP_SHARE = 0.85
"""Share of a healthy rep's leads drawn from the ideal customer profile."""
CRITERIA_ICP_SHARE = 0.35

# follow_up
FOLLOW_UP_OUTCOMES = (0.9, 0.095, 0.005)
"""Follow-ups done on time, late, never."""
NEGLECTED_FOLLOW_UP_OUTCOMES = (0.25, 0.30, 0.45)
FOLLOW_UP_AFTER_MEETING = 0.9
NEGLECTED_FOLLOW_UP_AFTER_MEETING = 0.15
NEGLECTED_TOUCH_FACTOR = 0.45
"""Touches per deal week relative to a healthy rep."""
GONE_DARK_SHARE = 0.75
"""Share of a neglecting rep's older open deals with no activity in the last 30-60 days."""
FOLLOW_UP_WIN_FACTOR = 0.55

# coaching
NEGLECT_WEEKS = (22, 28)
"""A neglected rep's last one-on-one was this many weeks before as_of."""
NO_SHADOW_DAYS = 395
"""A neglected rep has had no shadow session for at least this many days."""
COACHING_WIN_FACTOR = 0.55

# stage_leakage (the stages that can leak are the funnel's, past its two opening ones)
LEAK_RATE = 0.25
"""Conversion from the leaking stage to the next one (healthy reps: STAGE_PASS in pipeline)."""

# activity_drop
DROP_FACTOR = 0.3
"""Share of the usual activity left after the drop starts."""

# product_mix: shares of new deals by tier (priority, standard, loss_leader)
PRODUCT_TIER_SHARES = (0.35, 0.45, 0.20)
MIX_PRODUCT_TIER_SHARES = (0.03, 0.07, 0.90)

# target_setting
RATCHET = (1.3, 1.45, 1.6)
"""Initial target of successive recent periods relative to the standard quota."""
MID_PERIOD_RAISE = 1.12
"""A second, mid-period revision raises the target again by this factor."""
RATCHETED_SKILL = 1.1
"""Ratcheted reps are good reps: they hit before the ratchet starts."""

TENURE_DAYS = 182
"""Reps hired less than two quarters before the onset are never planted."""
ONSET_CYCLES = 2
"""A planted cause acts for at least this many sales cycles before the data ends."""


@dataclass(frozen=True)
class Plants:
    """The planted cause of every person (-1 for none) and what each planting looks like."""

    cause: Ints
    """Index into CAUSES per person, -1 when healthy."""
    leak_stage: Ints
    """Stage index (0=Prospecting) that leaks, per person; -1 for none."""
    neglect_day: Ints
    """Day of the last one-on-one for coaching-neglected reps; a far-future day otherwise."""
    drop_day: int
    """First day of the activity drop."""
    onset_day: int
    """First day the other causes act."""
    single_symptom: bool = False
    """Each cause shows through its main symptom only (see variants)."""

    def has(self, cause: str) -> np.ndarray:
        """Boolean mask over people planted with `cause`."""
        result: np.ndarray = self.cause == CAUSES.index(cause)
        return result

    def also(self, cause: str, person: Ints, moment_days: Ints) -> np.ndarray:
        """Like `acting`, for a cause's secondary symptoms: never in single-symptom variants."""
        if self.single_symptom:
            return np.zeros(np.shape(person), dtype=np.bool_)
        return self.acting(cause, person, moment_days)

    def acting(self, cause: str, person: Ints, moment_days: Ints) -> np.ndarray:
        """Whether `cause` acts on each (person, day) pair: planted on them and after its onset."""
        start = self.drop_day if cause == "activity_drop" else self.onset_day
        result: np.ndarray = self.has(cause)[person] & (moment_days >= start)
        return result


def cause_onset(timeline: Timeline, funnel: Funnel) -> int:
    """First day planted causes act: `Timeline.onset` (two quarters before the current one), or
    ONSET_CYCLES sales cycles before as_of when that is earlier, never before generation."""
    by_cycles = timeline.cutoff_day - ceil(ONSET_CYCLES * funnel.cycle_days)
    return max(timeline.generation_start, min(timeline.onset, by_cycles))


def choose_plants(org: Organisation, rng: np.random.Generator) -> Plants:
    """Named reps first, then a deterministic share of the eligible reps for each cause.

    Eligible: selling reps still employed at as_of and hired at least two quarters before the
    onset. Each rep carries at most one cause.
    """
    spec, timeline = org.spec, org.timeline
    onset = cause_onset(timeline, spec.variant.funnel)
    people = org.role.size
    eligible = (
        (np.arange(people) < org.selling) & ~org.has_left() & (org.hire_day <= onset - TENURE_DAYS)
    )
    index = {rep_id: i for i, rep_id in enumerate(org.person_ids.to_pylist())}
    cause = np.full(people, -1, dtype=np.int64)
    for name, rep_ids in spec.plants.items():
        for rep_id in rep_ids:
            person = _named_rep(rep_id, index, org, eligible, onset)
            if cause[person] >= 0:
                raise ConfigError(
                    f"{rep_id} is named for both {CAUSES[cause[person]]} and {name}; "
                    "plant one cause per rep"
                )
            cause[person] = CAUSES.index(name)
    pool = list(rng.permutation(np.flatnonzero(eligible & (cause < 0))))
    per_cause = round(spec.plant_share * org.selling)
    if spec.plant_share > 0:
        per_cause = max(per_cause, 2 if org.selling >= 40 else 1)
    for k, name in enumerate(CAUSES):
        if name in spec.plants:
            continue
        for _ in range(per_cause):
            if pool:
                cause[pool.pop(0)] = k
    leak_stage = np.full(people, -1, dtype=np.int64)
    leaking = cause == CAUSES.index("stage_leakage")
    stages = spec.variant.funnel.leak_stages
    leak_stage[leaking] = np.asarray(stages)[rng.integers(0, len(stages), int(leaking.sum()))]
    neglect_day = np.full(people, 10**6, dtype=np.int64)
    neglected = cause == CAUSES.index("coaching")
    weeks = rng.integers(NEGLECT_WEEKS[0], NEGLECT_WEEKS[1] + 1, int(neglected.sum()))
    neglect_day[neglected] = timeline.cutoff_day - 7 * weeks
    as_of_monday = timeline.cutoff_day - int(weekday(np.array([timeline.cutoff_day]))[0])
    return Plants(
        cause=cause,
        leak_stage=leak_stage,
        neglect_day=neglect_day,
        drop_day=max(as_of_monday - 14, timeline.window_start),
        onset_day=onset,
        single_symptom=spec.variant.single_symptom,
    )


def _named_rep(
    rep_id: str, index: dict[str, int], org: Organisation, eligible: np.ndarray, onset: int
) -> int:
    """The person index of a rep named in --plant, if that rep can carry a cause."""
    person = index.get(rep_id)
    if person is None or person >= org.selling:
        last = org.person_ids[org.selling - 1].as_py()
        raise ConfigError(f"{rep_id} is not a selling rep; name reps from R0001 to {last}")
    if not eligible[person]:
        raise ConfigError(
            f"{rep_id} cannot carry a cause: only reps hired by "
            f"{as_date(onset - TENURE_DAYS)} who have not left are eligible"
        )
    return person


def plant_details(plants: Plants, org: Organisation) -> dict[str, dict[str, object]]:
    """What each cause looks like in the data, for truth.json (target_setting added by quotas)."""
    since = str(as_date(plants.onset_day))
    return {
        "lead_warming": {
            "since": since,
            "first_touch_median_hours": WARMING_TOUCH_DELAY_HOURS,
            "peer_first_touch_median_hours": TOUCH_DELAY_HOURS,
            "no_marketing_touch_share": WARMING_NO_MARKETING_TOUCH,
            "peer_no_marketing_touch_share": NO_MARKETING_TOUCH,
            "win_factor": WARMING_WIN_FACTOR,
        },
        "marketing_alignment": {
            "since": since,
            "reject_share": ALIGNMENT_DECISIONS[1],
            "untouched_share": ALIGNMENT_DECISIONS[2],
            "peer_reject_share": DECISIONS[1],
            "accept_latency_median_hours": ALIGNMENT_DECISION_HOURS,
            "peer_accept_latency_median_hours": DECISION_HOURS,
        },
        "lead_criteria": {
            "since": since,
            "off_icp_lead_share": round(1 - CRITERIA_ICP_SHARE, 2),
            "peer_off_icp_lead_share": round(1 - ICP_SHARE, 2),
        },
        "follow_up": {
            "since": since,
            "never_completed_share": NEGLECTED_FOLLOW_UP_OUTCOMES[2],
            "peer_never_completed_share": FOLLOW_UP_OUTCOMES[2],
            "touch_factor": NEGLECTED_TOUCH_FACTOR,
            "gone_dark_share": GONE_DARK_SHARE,
        },
        "coaching": {"no_shadow_days": NO_SHADOW_DAYS},
        "stage_leakage": {"since": since, "rate": LEAK_RATE},
        "activity_drop": {"factor": DROP_FACTOR, "since": str(as_date(plants.drop_day))},
        "product_mix": {
            "since": since,
            "tier_shares": dict(
                zip(("priority", "standard", "loss_leader"), MIX_PRODUCT_TIER_SHARES, strict=True)
            ),
            "peer_tier_shares": dict(
                zip(("priority", "standard", "loss_leader"), PRODUCT_TIER_SHARES, strict=True)
            ),
        },
        "target_setting": {"since": since},
    }
