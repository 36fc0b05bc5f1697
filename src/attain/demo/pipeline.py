"""Leads, opportunities and stage history for a group of selling reps.

Leads arrive by day with seasonality, pass MQL -> SQL -> accepted/rejected -> converted with
source-dependent rates and latencies; converted leads and the reps' own expansion deals become
opportunities that walk the stages with win chances set by skill, fit, source and any planted
cause. Everything is generated from the burn-in start so the first quarter opens with a warm
pipeline; only what matters to the window is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from attain.demo import causes as c
from attain.demo.causes import Plants
from attain.demo.organisation import (
    ACCOUNTS_PER_REP,
    COUNTRIES,
    INDUSTRIES,
    PRODUCT_PRICE,
    PRODUCT_TIER,
    Organisation,
    account_ids,
    product_ids,
)
from attain.demo.timeline import (
    DAY,
    HOUR,
    Floats,
    Ints,
    day_weight,
    demand_weight,
    lognormal,
    quarter_end_day,
    sample_days,
    snap_to_business,
)
from attain.demo.variants import STANDARD_FUNNEL
from attain.demo.writer import Array, amounts, dates, ids, labels, pick, timestamps
from attain.schema.tables import LEAD_STATUSES

Bools = npt.NDArray[np.bool_]
NEVER = 2**62
"""Time of an event that did not happen (before as_of)."""

SOURCES = ("referral", "partner", "webinar", "events", "content", "paid_search", "outbound")
SOURCE_SHARE = (0.07, 0.06, 0.14, 0.11, 0.17, 0.25, 0.20)
SOURCE_WIN = (1.35, 1.2, 1.0, 0.95, 0.85, 0.75, 0.9)
"""Win-chance multiplier of deals by lead source: referrals are the best leads."""
SOURCE_MQL = (0.75, 0.7, 0.6, 0.5, 0.45, 0.5, 0.0)
"""Chance an inbound lead becomes marketing-qualified, by source."""
OUTBOUND = SOURCES.index("outbound")
EXPANSION = len(SOURCES)
DEAL_SOURCES = (*SOURCES, "expansion")
CAMPAIGNS = (
    ("partner", "Partner Co-sell"),
    ("webinar", "Forecasting Webinar"),
    ("webinar", "Pipeline Health Webinar"),
    ("events", "Revenue Summit"),
    ("events", "City Roadshow"),
    ("content", "Attainment Benchmark Report"),
    ("content", "Quota Planning Guide"),
    ("paid_search", "Search Brand"),
    ("paid_search", "Search Competitors"),
)
"""Campaigns by source; each runs every quarter (named like `2026-Q3 Search Brand`)."""
TITLES = (
    "VP Sales",
    "Head of Revenue Operations",
    "Sales Director",
    "CFO",
    "Sales Operations Manager",
    "Chief Revenue Officer",
    "Sales Manager",
    "Business Analyst",
)
REJECTION_REASONS = ("not_a_fit", "no_budget", "bad_contact_data", "duplicate", "not_ready")
REJECTION_SHARE = (0.35, 0.2, 0.15, 0.1, 0.2)

LEADS_PER_DAY = 3.2
"""Leads per weighted day for a fully ramped rep (about 130 a quarter)."""
EXPANSION_PER_DAY = 0.18
"""Rep-sourced expansion deals per working day."""
SQL_RATE = 0.8
CONVERSION = 0.6
"""Chance an accepted lead becomes an opportunity."""
OFF_ICP_CONVERSION = 0.85
OFF_ICP_WIN = 0.55
"""Win-chance multiplier for accounts outside the ideal customer profile."""

STAGES = STANDARD_FUNNEL.stages
"""The standard funnel's stages; a variant's are in org.spec.variant.funnel (see variants)."""
WON, LOST = STANDARD_FUNNEL.won, STANDARD_FUNNEL.lost
ALL_STAGES = STANDARD_FUNNEL.all_stages
QUARTER_END_PUSH = 0.45
"""Share of wins due in a quarter's last 40 days that land in its last week."""
LOSS_REASONS = ("price", "competitor", "no_decision", "timing", "budget", "product_fit")
LOSS_SHARE = (0.22, 0.25, 0.2, 0.13, 0.12, 0.08)
OFF_ICP_LOSS_SHARE = (0.15, 0.15, 0.15, 0.1, 0.1, 0.35)


class _Rows:
    """Columns of equal length, one row per lead or deal (a frozen dataclass of arrays)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def subset(self, keep: Bools) -> Self:
        """The rows where `keep` is true, in the same order."""
        columns = {name: getattr(self, name)[keep] for name in self.__dataclass_fields__}
        return replace(self, **columns)


@dataclass(frozen=True)
class Leads(_Rows):
    """Leads of a group of reps; times in seconds, NEVER where the step did not happen."""

    rep: Ints
    owner: Ints
    account: Ints
    source: Ints
    campaign: Ints
    """Index into CAMPAIGNS, -1 for none."""
    title: Ints
    created: Ints
    mql: Ints
    sql: Ints
    accepted: Ints
    rejected: Ints
    reason: Ints
    converted: Ints
    marketing_touch: Ints
    sales_touch: Ints
    deal: Ints
    """Index of the opportunity it converted into, -1 if none."""


@dataclass(frozen=True)
class Deals(_Rows):
    """Opportunities of a group of reps with the time each stage was entered."""

    rep: Ints
    account: Ints
    lead: Ints
    source: Ints
    product: Ints
    created: Ints
    entered: Ints
    """(deals x 5) time each open stage was entered, NEVER if not."""
    amount: Floats
    stage_amount: Floats
    """(deals x 5) deal value while in each stage."""
    close: Ints
    """Close time, or planned close time (after as_of) for open deals."""
    won: Bools
    loss_reason: Ints


def generate_leads(
    org: Organisation, plants: Plants, reps: Ints, rng: np.random.Generator
) -> Leads:
    """Leads for the territories of `reps`, with their whole lifecycle up to as_of.

    The steps draw from `rng` in a fixed order, so the same spec gives the same leads.
    """
    rep, created = _arrivals(org, reps, rng)
    n = rep.size
    created_day = created // DAY
    source = rng.choice(len(SOURCES), size=n, p=SOURCE_SHARE)
    inbound = source != OUTBOUND
    criteria = plants.acting("lead_criteria", rep, created_day)
    icp = rng.random(n) < np.where(criteria, c.CRITERIA_ICP_SHARE, c.ICP_SHARE)
    slot = np.where(icp, 0, ACCOUNTS_PER_REP // 2) + rng.integers(0, ACCOUNTS_PER_REP // 2, n)
    account = rep * ACCOUNTS_PER_REP + slot
    owner = np.where(~inbound & (rng.random(n) < 0.5), org.sdr_of[rep], rep)
    fit = np.where(icp, 1.0, OFF_ICP_CONVERSION)
    mql, sql, marketing_touch, touch = _qualification(
        plants, rep, created, inbound, source, fit, rng
    )
    steps = _decisions(plants, rep, owner, created, inbound, sql, touch, fit, rng)
    offset = org.utc_offset[owner]
    times = [_snap(rng, t, offset) for t in (mql, steps["sql"], steps["accepted"])]
    times += [_snap(rng, steps[name], offset) for name in ("rejected", "converted", "touch")]
    mql, sql, accepted, rejected, converted, touch = times
    sql = _not_before(sql, mql)
    accepted = _not_before(accepted, sql)
    rejected = _not_before(rejected, sql)
    converted = _not_before(converted, accepted)
    cutoff = org.timeline.cutoff
    mql, sql, accepted, rejected, converted, touch = (
        _before(t, cutoff) for t in (mql, sql, accepted, rejected, converted, touch)
    )
    return Leads(
        rep=rep,
        owner=owner.astype(np.int64),
        account=account.astype(np.int64),
        source=source.astype(np.int64),
        campaign=_campaign(source, rng),
        title=rng.integers(0, len(TITLES), n),
        created=created.astype(np.int64),
        mql=mql,
        sql=sql,
        accepted=accepted,
        rejected=rejected,
        reason=steps["reason"].astype(np.int64),
        converted=converted,
        marketing_touch=marketing_touch.astype(np.int64),
        sales_touch=touch,
        deal=np.full(n, -1, dtype=np.int64),
    )


def _arrivals(org: Organisation, reps: Ints, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Each lead's rep and creation time: by day with seasonality, ramp and the variant's
    volume, in the rep's working hours."""
    days = org.timeline.generation_days()
    weight = (
        demand_weight(days)[None, :]
        * org.working(reps, days)
        * (0.5 + 0.5 * org.ramp(reps[:, None], days[None, :]))
    )
    per_day = LEADS_PER_DAY * org.spec.variant.volume
    row, day = sample_days(rng, weight, rng.poisson(per_day * weight.sum(axis=1)))
    n = row.size
    rep = reps[row]
    created = days[day] * DAY + rng.integers(6 * HOUR, 22 * HOUR, n) - org.utc_offset[rep] * HOUR
    created = np.minimum(created, org.timeline.cutoff - rng.integers(60, HOUR, n))
    return rep, created


def _qualification(
    plants: Plants,
    rep: Ints,
    created: Ints,
    inbound: Bools,
    source: Ints,
    fit: Floats,
    rng: np.random.Generator,
) -> tuple[Ints, Ints, Ints, Ints]:
    """MQL, SQL, first marketing touch and first sales touch of each lead (NEVER if none)."""
    n = rep.size
    created_day = created // DAY
    warming = plants.acting("lead_warming", rep, created_day)
    mql_time = created + lognormal(rng, 4 * HOUR, 1.0, n).astype(np.int64)
    mql = np.where(
        inbound & (rng.random(n) < np.asarray(SOURCE_MQL)[source] * fit), mql_time, NEVER
    )
    sql = np.where(
        (mql < NEVER) & (rng.random(n) < SQL_RATE),
        mql + lognormal(rng, 8 * HOUR, 0.8, n).astype(np.int64),
        NEVER,
    )
    cold = plants.also("lead_warming", rep, created_day)
    missing = rng.random(n) < np.where(cold, c.WARMING_NO_MARKETING_TOUCH, c.NO_MARKETING_TOUCH)
    marketing_touch = np.where(
        inbound & ~missing, created - rng.integers(10 * 60, 21 * DAY, n), NEVER
    )
    # First sales touch: hours after the MQL for healthy reps, days for lead-warming reps.
    delay = lognormal(
        rng, np.where(warming, c.WARMING_TOUCH_DELAY_HOURS, c.TOUCH_DELAY_HOURS) * HOUR, 0.8, n
    )
    if plants.single_symptom:  # the delay is the only symptom, so it is long: 8-25 days
        low, high = c.SINGLE_WARMING_DELAY_DAYS
        delay = np.where(warming, rng.uniform(low * DAY, high * DAY, n), delay)
    late_touch = created + lognormal(rng, 2 * DAY, 0.7, n)
    touch = np.select(
        [~inbound, mql < NEVER, rng.random(n) < 0.3],
        [created + lognormal(rng, 0.3 * HOUR, 0.5, n), mql + delay, late_touch],
        NEVER,
    ).astype(np.int64)
    return mql, sql, marketing_touch, touch


def _decisions(
    plants: Plants,
    rep: Ints,
    owner: Ints,
    created: Ints,
    inbound: Bools,
    sql: Ints,
    touch: Ints,
    fit: Floats,
    rng: np.random.Generator,
) -> dict[str, Ints]:
    """The owner's accept or reject decision on inbound SQLs (outbound leads are accepted by
    the rep they serve), and the conversion of accepted leads to deals."""
    n = rep.size
    aligned = plants.acting("marketing_alignment", rep, created // DAY)
    draw = rng.random(n)
    shares = c.SINGLE_ALIGNMENT_DECISIONS if plants.single_symptom else c.ALIGNMENT_DECISIONS
    accept_p = np.where(aligned, shares[0], c.DECISIONS[0])
    reject_p = np.where(aligned, shares[1], c.DECISIONS[1])
    slow = plants.also("marketing_alignment", rep, created // DAY)
    hours = np.where(slow, c.ALIGNMENT_DECISION_HOURS, c.DECISION_HOURS) * HOUR
    decided = sql + lognormal(rng, hours, 0.7, n).astype(np.int64)
    decided = np.where(sql < NEVER, decided, NEVER)
    untouched = aligned & (draw >= accept_p + reject_p) & (sql < NEVER)
    touch = np.where(untouched, NEVER, touch)
    outbound_sql = np.where(
        ~inbound & (rng.random(n) < 0.35),
        touch + lognormal(rng, 6 * DAY, 0.6, n).astype(np.int64),
        NEVER,
    )
    sql = np.where(inbound, sql, outbound_sql)
    outbound_accept = np.where(
        owner == rep, outbound_sql + 600, outbound_sql + lognormal(rng, DAY, 0.6, n)
    )
    accepted = np.where(inbound, np.where(draw < accept_p, decided, NEVER), outbound_accept)
    accepted = np.where(sql < NEVER, accepted, NEVER).astype(np.int64)
    rejected = np.where(inbound & (draw >= accept_p) & (draw < accept_p + reject_p), decided, NEVER)
    reason = rng.choice(len(REJECTION_REASONS), size=n, p=REJECTION_SHARE)
    convert_p = CONVERSION * fit * np.where(inbound, 1.0, 1.08)
    converted = accepted + lognormal(rng, 3 * DAY, 0.7, n).astype(np.int64)
    converted = np.where((accepted < NEVER) & (rng.random(n) < convert_p), converted, NEVER)
    converted = _drop_after(converted, rep, plants, rng)
    return {
        "sql": sql,
        "accepted": accepted,
        "rejected": rejected,
        "converted": converted,
        "touch": touch,
        "reason": reason,
    }


def _campaign(source: Ints, rng: np.random.Generator) -> Ints:
    """A campaign of the lead's source, -1 for sources without campaigns."""
    campaign = np.full(source.size, -1, dtype=np.int64)
    for k, name in enumerate(SOURCES):
        options = np.array([i for i, (s, _) in enumerate(CAMPAIGNS) if s == name], dtype=np.int64)
        chosen = source == k
        if options.size:
            campaign[chosen] = options[rng.integers(0, options.size, int(chosen.sum()))]
    return campaign


def _snap(rng: np.random.Generator, times: Ints, offset: Ints) -> Ints:
    """Business-hour times for the events that happened."""
    happened = times < NEVER
    return np.where(happened, snap_to_business(rng, np.where(happened, times, 0), offset), NEVER)


def _not_before(times: Ints, prior: Ints) -> Ints:
    """Each time moved to at least a minute after the step before it, where both happened."""
    both = (times < NEVER) & (prior < NEVER)
    return np.where(both, np.maximum(times, prior + 60), times)


def _before(times: Ints, cutoff: int) -> Ints:
    """Times at or after `cutoff` did not happen yet."""
    return np.where(times < cutoff, times, NEVER).astype(np.int64)


def _drop_after(times: Ints, rep: Ints, plants: Plants, rng: np.random.Generator) -> Ints:
    """For reps whose activity dropped, keep only DROP_FACTOR of the events after the drop."""
    dropped = plants.acting("activity_drop", rep, times // DAY) & (times < NEVER)
    lost = dropped & (rng.random(times.size) >= c.DROP_FACTOR)
    return np.where(lost, NEVER, times).astype(np.int64)


def generate_deals(
    org: Organisation, plants: Plants, reps: Ints, leads: Leads, rng: np.random.Generator
) -> tuple[Leads, Deals]:
    """Opportunities from converted leads plus the reps' own expansion deals.

    Returns the leads with their `deal` links set and the deals, both restricted to what the
    window needs: everything created in it, and older deals still open or closed in it.
    """
    timeline = org.timeline
    from_lead = np.flatnonzero(leads.converted < NEVER)
    days = timeline.generation_days()
    weight = (
        day_weight(days)[None, :] * org.working(reps, days) * org.ramp(reps[:, None], days[None, :])
    )
    per_day = EXPANSION_PER_DAY * org.spec.variant.volume
    row, day = sample_days(rng, weight, rng.poisson(per_day * weight.sum(axis=1)))
    own_rep = reps[row]
    own_created = snap_to_business(rng, days[day] * DAY, org.utc_offset[own_rep])
    own_created = _drop_after(_before(own_created, timeline.cutoff), own_rep, plants, rng)
    kept_own = own_created < NEVER
    own_rep, own_created = own_rep[kept_own], own_created[kept_own]
    k = own_rep.size
    own_icp = rng.random(k) < np.where(
        plants.acting("lead_criteria", own_rep, own_created // DAY),
        c.CRITERIA_ICP_SHARE,
        c.ICP_SHARE,
    )
    own_slot = np.where(own_icp, 0, ACCOUNTS_PER_REP // 2) + rng.integers(
        0, ACCOUNTS_PER_REP // 2, k
    )

    rep = np.concatenate([leads.rep[from_lead], own_rep])
    created = np.concatenate([leads.converted[from_lead], own_created])
    order = np.argsort(created, kind="stable")
    rep, created = rep[order], created[order]
    account = np.concatenate([leads.account[from_lead], own_rep * ACCOUNTS_PER_REP + own_slot])[
        order
    ]
    lead = np.concatenate([from_lead, np.full(k, -1)])[order].astype(np.int64)
    source = np.concatenate([leads.source[from_lead], np.full(k, EXPANSION)])[order]
    deals = _walk_stages(org, plants, rep, account, lead, source, created.astype(np.int64), rng)

    keep = (deals.created >= timeline.window_start * DAY) | (
        deals.close >= timeline.window_start * DAY
    )
    deals = deals.subset(keep)
    deal_of_lead = np.full(leads.created.size, -1, dtype=np.int64)
    linked = deals.lead >= 0
    deal_of_lead[deals.lead[linked]] = np.flatnonzero(linked)
    leads = replace(leads, deal=deal_of_lead)
    keep_lead = (leads.created >= timeline.window_start * DAY) | (deal_of_lead >= 0)
    renumber = np.cumsum(keep_lead) - 1
    leads = leads.subset(keep_lead)
    deals = replace(deals, lead=np.where(deals.lead >= 0, renumber[np.maximum(deals.lead, 0)], -1))
    return leads, deals


def _walk_stages(
    org: Organisation,
    plants: Plants,
    rep: Ints,
    account: Ints,
    lead: Ints,
    source: Ints,
    created: Ints,
    rng: np.random.Generator,
) -> Deals:
    """Stage entries, outcome, close time and amounts of new deals.

    The steps draw from `rng` in a fixed order, so the same spec gives the same deals.
    """
    n = rep.size
    created_day = created // DAY
    icp = org.account_icp[account]
    product = _products(plants, rep, created_day, rng)
    size = np.clip((org.account_employees[account] / 800) ** 0.25, 0.5, 2.0)
    amount = np.round(
        PRODUCT_PRICE[product]
        * org.spec.variant.price
        * size
        * rng.lognormal(0, 0.25, n)
        * org.skill[rep] ** 0.25,
        -1,
    )
    win = _win_chance(org, plants, rep, created_day, source, icp)
    entry, durations, entered = _entries(org, plants, rep, source, created, amount, icp, rng)
    won, close, entered = _outcomes(org, plants, rep, entry, entered, durations, win, rng)
    close = _late_closes(org, plants, rep, won, close, rng)
    entered = np.where(entered < org.timeline.cutoff, entered, NEVER)
    stage_amount = _stage_amounts(amount, len(org.spec.variant.funnel.stages), rng)
    loss_reason = np.where(
        icp,
        rng.choice(len(LOSS_REASONS), size=n, p=LOSS_SHARE),
        rng.choice(len(LOSS_REASONS), size=n, p=OFF_ICP_LOSS_SHARE),
    )
    return Deals(
        rep=rep,
        account=account,
        lead=lead,
        source=source.astype(np.int64),
        product=product,
        created=created,
        entered=entered,
        amount=amount,
        stage_amount=np.round(stage_amount, -1),
        close=close.astype(np.int64),
        won=won,
        loss_reason=loss_reason.astype(np.int64),
    )


def _products(plants: Plants, rep: Ints, created_day: Ints, rng: np.random.Generator) -> Ints:
    """A product per deal: its tier by the rep's mix (product-mix reps sell loss leaders)."""
    n = rep.size
    tier_shares = np.where(
        plants.acting("product_mix", rep, created_day)[:, None],
        c.MIX_PRODUCT_TIER_SHARES,
        c.PRODUCT_TIER_SHARES,
    )
    tier = (rng.random(n)[:, None] > np.cumsum(tier_shares, axis=1)).sum(axis=1)
    tier = np.minimum(tier, 2)
    in_tier = [np.flatnonzero(t == PRODUCT_TIER) for t in range(3)]
    product: Ints = np.select(
        [tier == t for t in range(3)],
        [members[rng.integers(0, members.size, n)] for members in in_tier],
    ).astype(np.int64)
    return product


def _win_chance(
    org: Organisation, plants: Plants, rep: Ints, created_day: Ints, source: Ints, icp: Bools
) -> Floats:
    """Relative win chance per deal: skill and ramp, fit, source, and the planted causes that
    cost wins (secondary symptoms, absent in single-symptom variants)."""
    skill = org.skill[rep] * (0.6 + 0.4 * org.ramp(rep, created_day))
    neglected = plants.has("coaching")[rep] & (created_day >= plants.neglect_day[rep] - 56)
    neglected &= not plants.single_symptom
    win: Floats = (
        skill
        * np.where(icp, 1.0, OFF_ICP_WIN)
        * np.asarray((*SOURCE_WIN, 1.1))[source]
        * np.where(plants.also("lead_warming", rep, created_day), c.WARMING_WIN_FACTOR, 1.0)
        * np.where(plants.also("follow_up", rep, created_day), c.FOLLOW_UP_WIN_FACTOR, 1.0)
        * np.where(neglected, c.COACHING_WIN_FACTOR, 1.0)
    )
    return win


def _entries(
    org: Organisation,
    plants: Plants,
    rep: Ints,
    source: Ints,
    created: Ints,
    amount: Floats,
    icp: Bools,
    rng: np.random.Generator,
) -> tuple[Ints, Ints, Ints]:
    """The stage each deal is first recorded in, its days per stage, and when it would enter
    each stage if it got that far (NEVER before its entry stage)."""
    funnel = org.spec.variant.funnel
    stages = len(funnel.stages)
    n = rep.size
    entry_shares = np.tile(np.asarray(funnel.entry), (n, 1))
    entry_shares[source == EXPANSION] = funnel.expansion_entry
    late = plants.also("lead_warming", rep, created // DAY) & (source != EXPANSION)
    entry_shares[late] = funnel.warming_entry
    entry = (rng.random(n)[:, None] > np.cumsum(entry_shares, axis=1)).sum(axis=1)
    entry = np.minimum(entry, stages - 1)

    # Larger and off-profile deals take longer at every stage.
    scale = (amount / 25_000) ** 0.15 * np.where(icp, 1.0, 1.2)
    durations = np.stack(
        [lognormal(rng, funnel.days[k] * DAY * scale, 0.5, n) for k in range(stages)], axis=1
    ).astype(np.int64)
    entered = np.full((n, stages), NEVER, dtype=np.int64)
    moment = created.copy()
    offset = org.utc_offset[rep]
    for k in range(stages):
        starts = k == entry
        later = k > entry
        moment = np.where(
            later, snap_to_business(rng, moment + durations[:, k - 1], offset), moment
        )
        entered[:, k] = np.where(starts | later, moment, NEVER)
    return entry, durations, entered


def _outcomes(
    org: Organisation,
    plants: Plants,
    rep: Ints,
    entry: Ints,
    entered: Ints,
    durations: Ints,
    win: Floats,
    rng: np.random.Generator,
) -> tuple[Bools, Ints, Ints]:
    """Whether each deal is won, when it closes, and its stage entries up to the last stage
    it reached; a stage-leakage rep's deals pass their leaking stage at LEAK_RATE."""
    funnel = org.spec.variant.funnel
    stages = len(funnel.stages)
    n = rep.size
    # A deal first recorded in a later stage keeps the whole funnel's win chance.
    log_pass = np.log(np.asarray(funnel.passing))
    remaining = np.where(np.arange(stages)[None, :] >= entry[:, None], log_pass[None, :], 0.0)
    exponent = log_pass.sum() / win / remaining.sum(axis=1)
    passing = np.exp(log_pass[None, :] * exponent[:, None])
    leak = plants.leak_stage[rep]
    leaking = (leak >= 0)[:, None] & (np.arange(stages)[None, :] == leak[:, None])
    leaking &= entered // DAY >= plants.onset_day
    passing = np.where(leaking, c.LEAK_RATE, np.minimum(passing, 0.97))
    passes = (rng.random((n, stages)) < passing) | (np.arange(stages)[None, :] < entry[:, None])
    fail = np.where(passes.all(axis=1), stages, np.argmin(passes, axis=1))
    won = fail == stages
    last = np.minimum(fail, stages - 1)
    rows = np.arange(n)
    lost_at = entered[rows, last] + (durations[rows, last] * rng.uniform(0.3, 1.2, n)).astype(
        np.int64
    )
    won_at = entered[rows, last] + durations[rows, last]
    close = snap_to_business(rng, np.where(won, won_at, lost_at), org.utc_offset[rep])
    entered = entered.copy()
    entered[np.arange(stages)[None, :] > last[:, None]] = NEVER
    return won, close, entered


def _late_closes(
    org: Organisation, plants: Plants, rep: Ints, won: Bools, close: Ints, rng: np.random.Generator
) -> Ints:
    """Close times after the end-of-quarter push and the wins an activity drop lets slip."""
    n = rep.size
    offset = org.utc_offset[rep]
    cutoff = org.timeline.cutoff
    # End-of-quarter push: many wins due late in a quarter land in its final week.
    quarter_end = quarter_end_day(close // DAY)
    pushed = won & (quarter_end - close // DAY < 40) & (rng.random(n) < QUARTER_END_PUSH)
    target = snap_to_business(rng, (quarter_end - rng.integers(0, 7, n)) * DAY, offset)
    close = np.where(
        pushed, np.maximum(close, np.minimum(target, (quarter_end + 1) * DAY - 1)), close
    )
    # Reps whose activity dropped let wins slip past as_of.
    slipping = (
        won
        & plants.acting("activity_drop", rep, close // DAY)
        & (close < cutoff)
        & (rng.random(n) >= c.DROP_FACTOR)
    )
    moved: Ints = np.where(slipping, cutoff + rng.integers(5 * DAY, 40 * DAY, n), close)
    return moved


def _stage_amounts(amount: Floats, stages: int, rng: np.random.Generator) -> Floats:
    """The amount recorded at each stage: estimates shrink towards the final amount."""
    n = amount.size
    ranges = [(0.9, 1.3)] * (stages - 3) + [(0.9, 1.2), (1.0, 1.1)]
    columns = [amount * rng.uniform(low, high, n) for low, high in ranges[: stages - 1]]
    return np.stack([*columns, amount], axis=1)


def lead_status(leads: Leads, cutoff: int) -> Ints:
    """Current status of each lead (index into LEAD_STATUSES), read off its timestamps."""
    recent_mql = (leads.mql < NEVER) & (leads.mql >= cutoff - 21 * DAY)
    outbound = leads.source == OUTBOUND
    rules = (
        (leads.converted < NEVER, "converted"),
        (leads.rejected < NEVER, "rejected"),
        ((leads.accepted < NEVER) & (leads.accepted >= cutoff - 45 * DAY), "working"),
        (leads.accepted < NEVER, "disqualified"),
        (leads.sql < NEVER, "qualified"),
        (recent_mql, "new"),
        (leads.mql < NEVER, "nurturing"),
        (outbound & (leads.created >= cutoff - 45 * DAY), "working"),
        (outbound, "disqualified"),
        (leads.created >= cutoff - 14 * DAY, "new"),
    )
    status = np.select(
        [condition for condition, _ in rules],
        [LEAD_STATUSES.index(name) for _, name in rules],
        LEAD_STATUSES.index("nurturing"),
    )
    return status.astype(np.int64)


def lead_ids(index: Ints, valid: Bools | None = None) -> Array:
    """Lead identifiers for global lead numbers (null where not `valid`)."""
    return ids("L", index + 1, 8, valid)


def deal_ids(index: Ints, valid: Bools | None = None) -> Array:
    """Opportunity identifiers for global opportunity numbers (null where not `valid`)."""
    return ids("OPP", index + 1, 8, valid)


def _happened(times: Ints) -> Array:
    return timestamps(times, times < NEVER)


def _campaign_names(leads: Leads) -> Array:
    quarter = (leads.created // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(
        np.int64
    ) // 3
    first = int(quarter.min()) if quarter.size else 0
    quarters = [
        f"{1970 + q // 4}-Q{q % 4 + 1}"
        for q in range(first, int(quarter.max()) + 1 if quarter.size else first)
    ]
    return pc.binary_join_element_wise(
        labels(quarters, quarter - first),
        labels([name for _, name in CAMPAIGNS], leads.campaign),
        " ",
    )


def leads_columns(
    leads: Leads, org: Organisation, cutoff: int, first_lead: int, first_deal: int
) -> dict[str, Array]:
    """leads.csv rows; `first_lead` and `first_deal` number this group's leads and deals."""
    status = lead_status(leads, cutoff)
    return {
        "lead_id": lead_ids(first_lead + np.arange(leads.created.size)),
        "created_at": timestamps(leads.created),
        "source": labels(SOURCES, leads.source),
        "campaign": _campaign_names(leads),
        "company": pick(org.account_names, leads.account),
        "industry": labels(INDUSTRIES, org.account_industry[leads.account]),
        "employees": pa.array(org.account_employees[leads.account]),
        "country": labels(COUNTRIES, org.account_country[leads.account]),
        "title": labels(TITLES, leads.title),
        "owner_rep_id": pick(org.person_ids, leads.owner),
        "status": labels(LEAD_STATUSES, status),
        "mql_at": _happened(leads.mql),
        "sql_at": _happened(leads.sql),
        "accepted_at": _happened(leads.accepted),
        "rejected_at": _happened(leads.rejected),
        "rejection_reason": labels(
            REJECTION_REASONS, np.where(leads.rejected < NEVER, leads.reason, -1)
        ),
        "converted_at": _happened(np.where(leads.deal >= 0, leads.converted, NEVER)),
        "opportunity_id": deal_ids(first_deal + leads.deal, leads.deal >= 0),
        "first_marketing_touch_at": _happened(leads.marketing_touch),
        "first_sales_touch_at": _happened(leads.sales_touch),
    }


def current_stage(deals: Deals, cutoff: int) -> Ints:
    """Index into the funnel's stages, then won and lost, of each deal's stage at `cutoff`."""
    stages = deals.entered.shape[1]
    closed = deals.close < cutoff
    last_entered = (stages - 1) - np.argmax((deals.entered < NEVER)[:, ::-1], axis=1)
    stage: Ints = np.where(closed, np.where(deals.won, stages, stages + 1), last_entered)
    return stage


def deals_columns(
    deals: Deals, org: Organisation, cutoff: int, first_deal: int, first_lead: int
) -> dict[str, Array]:
    """opportunities.csv rows."""
    n = deals.created.size
    stages = deals.entered.shape[1]
    closed = deals.close < cutoff
    stage = current_stage(deals, cutoff)
    amount = np.where(
        stage < stages,
        deals.stage_amount[np.arange(n), np.minimum(stage, stages - 1)],
        deals.amount,
    )
    return {
        "opportunity_id": deal_ids(first_deal + np.arange(n)),
        "account_id": account_ids(deals.account),
        "owner_rep_id": pick(org.person_ids, deals.rep),
        "product_id": product_ids(deals.product),
        "lead_id": lead_ids(first_lead + deals.lead, deals.lead >= 0),
        "source": labels(DEAL_SOURCES, deals.source),
        "created_at": timestamps(deals.created),
        "expected_close_date": dates(deals.close // DAY),
        "closed_at": timestamps(deals.close, closed),
        "stage": labels(org.spec.variant.funnel.all_stages, stage),
        "is_won": pa.array(deals.won, pa.bool_(), mask=~closed),
        "amount": amounts(amount),
        "loss_reason": labels(LOSS_REASONS, np.where(closed & ~deals.won, deals.loss_reason, -1)),
    }


def stage_columns(
    deals: Deals, cutoff: int, first_deal: int, names: tuple[str, ...] = ALL_STAGES
) -> dict[str, Array]:
    """opportunity_stages.csv rows: every stage entered, then the close, per deal in time order.

    `names`: the funnel's stages, then won and lost (the organisation's funnel.all_stages)."""
    stages = deals.entered.shape[1]
    deal, stage = np.nonzero(deals.entered < NEVER)
    entered = deals.entered[deal, stage]
    amount = deals.stage_amount[deal, stage]
    closed = np.flatnonzero(deals.close < cutoff)
    deal = np.concatenate([deal, closed])
    stage = np.concatenate([stage, np.where(deals.won[closed], stages, stages + 1)])
    entered = np.concatenate([entered, deals.close[closed]])
    amount = np.concatenate([amount, deals.amount[closed]])
    order = np.lexsort((entered, deal))
    return {
        "opportunity_id": deal_ids(first_deal + deal[order]),
        "stage": labels(names, stage[order]),
        "entered_at": timestamps(entered[order]),
        "amount": amounts(amount[order]),
    }
