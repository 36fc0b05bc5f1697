"""Stage leakage: a rep whose deals stall at one funnel stage that their peers get through.

From the stage history, the funnel's stages are ordered by which one deals usually enter
first, and closing stages (where closed deals sit) are left out. A deal counts at a stage when
it entered the stage in the window and has left it by as_of: it converted if it entered a
later stage (or was won), it leaked if it closed without doing so; deals still in the stage
are not counted yet. Only deals first recorded at a usual entry stage count, so deals created
further down the funnel (imports, expansions, late logging) do not blur the rates.

A stage is flagged when the rep converts significantly less than their peers pooled there
(one-sided Fisher exact test) and also less than the peers' rate shifted to the rep's own
level on the other stages (exact binomial test), so a rep who is weaker everywhere is not read
as leaking at their weakest stage; both tests must pass at `alpha` divided by the stages
tested (Bonferroni), since the worst of several stages is picked, and the rep's rate must be
at most `max_relative_rate` of the expected one. A stage with fewer than `min_deals` deals (but
at least `min_deals` ÷ `decisive_factor`) is tested too when the drop is at least
`decisive_factor` times the minimum one (by default a rate at most half the expected one), so
a rep converting 15% where peers convert 65% is found at 10-14 deals. On the demo (200 reps)
this finds 9 or 10 of the 10 planted reps per seed with at most one false alarm; the misses
are planted reps whose sample happened to convert near their peers.

The window is the diagnosis window, or `window_cycles` (2) of the organisation's own sales
cycle when that is longer: the median days from creation to close of the deals won before
as_of (`leak_window`). A leak shows only in deals that have left the stage; with a six-month
cycle few deals that entered a stage in the last six months have, so the window reaches back
a year there. Each finding's evidence names the window it used and why.

`funnel_table` is the detector's table of every seller's rates, which the rep page shows for
every rep, finding or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from math import ceil
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import binomtest, fisher_exact

from attain.diagnosis.context import DiagnosisContext
from attain.diagnosis.finding import Detection, DetectorSpec, Finding, Skip
from attain.diagnosis.settings import StageLeakageThresholds as Thresholds
from attain.metrics.periods import Period

SPEC = DetectorSpec(
    cause="stage_leakage",
    stake_method="(peers' conversion from {stage} − rep's) × rep's open deals now in {stage} × "
    "peers' conversion from {next_stage} on to won",
    actions=(
        "Review the rep's deals lost at {stage} together and name the step that fails.",
        "Have the rep join a top performer's {stage} meetings and use the same checklist.",
        "Agree exit criteria for {stage} and check them on every open deal there.",
    ),
    questions=(
        "What has to be true before a deal leaves {stage}?",
        "Why did your last few deals stop at {stage}?",
        "What do you do differently at {stage} from the stage before it?",
    ),
)
"""Templates: each finding fills in {stage} and {next_stage}."""
CAUSE = SPEC.cause
WON = "won"
"""Name of the step after the last funnel stage when no stage of won deals is recorded."""


@dataclass(frozen=True)
class FunnelStep:
    """One rep at one funnel stage: their conversion to a later stage beside their peers' and
    the top performers' (the top performers leave the rep out)."""

    stage: str
    rep_n: int
    """The rep's deals that entered the stage in the window and have left it by as_of."""
    rep_adv: int
    """Of those, the ones that moved to a later stage or were won."""
    rep_rate: float | None
    """rep_adv / rep_n; None without deals."""
    peer_n: int
    """The same deals of every other seller, pooled."""
    peer_adv: int
    peer_rate: float | None
    top_n: int
    """The same deals of the top performers other than the rep, pooled."""
    top_adv: int
    top_rate: float | None

    @property
    def shortfall(self) -> float | None:
        """Deals the rep would have moved on at the top performers' rate, beyond those they did
        (negative when the rep did better); None when either rate is unknown."""
        if self.rep_rate is None or self.top_rate is None:
            return None
        return (self.top_rate - self.rep_rate) * self.rep_n


@dataclass(frozen=True)
class LeakWindow:
    """The days stage entries are counted over, and why that many."""

    period: Period
    cycle_days: float | None
    """The organisation's observed sales cycle: median days from creation to close of the deals
    won before as_of; None when none was won."""
    cycles: float
    """The window_cycles setting."""
    widened: bool
    """Whether cycles × cycle_days was longer than the diagnosis window, and used."""
    reason: str

    def evidence(self) -> dict[str, Any]:
        """The window as a finding's evidence shows it."""
        return {
            "window_start": self.period.start.isoformat(),
            "window_end": self.period.end.isoformat(),
            "window_days": self.period.days,
            "observed_cycle_days": self.cycle_days,
            "window_widened": self.widened,
            "window_reason": self.reason,
        }


def leak_window(ctx: DiagnosisContext, thresholds: Thresholds) -> LeakWindow:
    """The diagnosis window, or window_cycles of the organisation's observed sales cycle when
    that is longer: with a six-month cycle, few deals that entered a stage in the last six
    months have left it by as_of, and only those that have show a leak."""
    cycle = observed_cycle_days(ctx)
    base = ctx.window.days
    span = thresholds.window_cycles * cycle if cycle is not None else 0.0
    cycles = f"{thresholds.window_cycles:g} × the observed sales cycle"
    if cycle is None:
        reason = f"the diagnosis window of {base} days: no won deal gives a sales cycle"
    elif span > base:
        reason = (
            f"{cycles} of {cycle:.0f} days (median from creation to close of the deals won "
            f"before as_of), longer than the diagnosis window of {base} days"
        )
    else:
        reason = (
            f"the diagnosis window of {base} days, at least as long as {cycles} of {cycle:.0f} days"
        )
    days = max(base, ceil(span))
    period = Period(ctx.window.end - timedelta(days=days - 1), ctx.window.end)
    return LeakWindow(
        period=period,
        cycle_days=cycle,
        cycles=thresholds.window_cycles,
        widened=days > base,
        reason=reason,
    )


def observed_cycle_days(ctx: DiagnosisContext) -> float | None:
    """Median days from creation to close of the deals won before as_of; None without any."""
    _, stop = ctx.instants
    deals = ctx.backend.table("opportunities")
    won = deals.filter(
        deals.is_won.fill_null(False) & deals.closed_at.notnull() & (deals.closed_at < stop)
    )
    seconds = won.closed_at.epoch_seconds() - won.created_at.epoch_seconds()
    median = ctx.backend.execute(seconds.median())
    return None if median is None or pd.isna(median) else float(median) / 86_400


@dataclass(frozen=True, eq=False)
class FunnelTable:
    """Every seller's conversion at every funnel stage in the window, beside their peers' and
    the top performers', computed for all sellers at once."""

    stages: tuple[str, ...]
    """The open stages in funnel order."""
    won_stage: str
    """The stage won deals sit in, or WON when none is recorded."""
    window: Period
    """The days whose stage entries count: the diagnosis window, or longer (see LeakWindow)."""
    leak_window: LeakWindow
    sellers: tuple[str, ...]
    """The reps compared (selling through the whole window); those without deals have no rows."""
    rates: pd.DataFrame
    """One row per (rep_id, stage) of the sellers with deals: the FunnelStep numbers plus the
    rep's log-odds gap to the peers, their level on the other stages and the rate expected
    there (see `_stage_rates`)."""

    def steps(self, rep_id: str) -> tuple[FunnelStep, ...]:
        """The rep's funnel, stage by stage in funnel order (empty when they have no deals)."""
        if rep_id not in self.rates.index.get_level_values("rep_id"):
            return ()
        rows = self.rates.loc[rep_id]
        return tuple(
            FunnelStep(
                stage=str(stage),
                rep_n=int(row["rep_n"]),
                rep_adv=int(row["rep_adv"]),
                rep_rate=_rate(row["rep_rate"]),
                peer_n=int(row["peer_n"]),
                peer_adv=int(row["peer_adv"]),
                peer_rate=_rate(row["peer_rate"]),
                top_n=int(row["top_n"]),
                top_adv=int(row["top_adv"]),
                top_rate=_rate(row["top_rate"]),
            )
            for stage, row in rows.iterrows()
        )

    def widest_gap(self, rep_id: str) -> str | None:
        """The stage where converting at the top performers' rate would have moved the most
        more of the rep's deals on; None when the rep matches them everywhere."""
        gaps = [(s.shortfall, s.stage) for s in self.steps(rep_id) if s.shortfall]
        best = max(gaps, default=None)
        return best[1] if best is not None and best[0] > 0 else None


def funnel_table(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> FunnelTable | Skip:
    """Every seller's stage-by-stage conversion in the window, or why it cannot be computed."""
    thresholds = thresholds or Thresholds()
    history = ctx.backend.table("opportunity_stages")
    if not int(ctx.backend.execute(history.count())):
        return Skip(CAUSE, "no stage history (opportunity_stages) is recorded")
    funnel, won_stage = _funnel(ctx, thresholds)
    if len(funnel) < 2:
        return Skip(CAUSE, "the stage history has fewer than two open stages to compare")
    window = leak_window(ctx, thresholds)
    counts = _conversions(ctx, funnel, thresholds.min_entry_share, window.period)
    counts = counts[counts["rep_id"].isin(ctx.sellers)]
    if counts.empty:
        return Skip(
            CAUSE, f"no deal entered and left a stage in the last {window.period.days} days"
        )
    advanced = counts.pivot_table(
        index="rep_id", columns="stage", values="advanced", aggfunc="sum", fill_value=0
    ).reindex(columns=funnel, fill_value=0)
    resolved = counts.pivot_table(
        index="rep_id", columns="stage", values="resolved", aggfunc="sum", fill_value=0
    ).reindex(columns=funnel, fill_value=0)
    return FunnelTable(
        stages=tuple(funnel),
        won_stage=won_stage,
        window=window.period,
        leak_window=window,
        sellers=ctx.sellers,
        rates=_stage_rates(advanced, resolved.loc[advanced.index], ctx.top_performers),
    )


def detect(ctx: DiagnosisContext, thresholds: Thresholds | None = None) -> Detection:
    """Findings for sellers who convert far less than their peers at one funnel stage."""
    thresholds = thresholds or Thresholds()
    funnel = funnel_table(ctx, thresholds)
    if isinstance(funnel, Skip):
        return Detection(skipped=[funnel])
    rates = funnel.rates
    suspects = _testable(rates, thresholds) & (
        rates["rep_rate"] <= thresholds.max_relative_rate * rates["expected_rate"]
    )
    open_amounts = _open_by_stage(ctx, list(funnel.stages))
    targets = ctx.targets()
    findings = []
    for rep in sorted(set(rates.index.get_level_values("rep_id")[suspects.to_numpy()])):
        leak = _leaking_stage(rates.loc[rep], thresholds)
        if leak is None:
            continue
        findings.append(
            _finding(
                funnel,
                str(rep),
                leak,
                open_amounts.get((str(rep), leak["stage"]), 0.0),
                targets.get(str(rep)),
            )
        )
    return Detection(findings=findings)


def _funnel(ctx: DiagnosisContext, thresholds: Thresholds) -> tuple[list[str], str]:
    """The open stages in funnel order, and the stage won deals sit in (or WON)."""
    deals = ctx.backend.table("opportunities")
    closed = deals.closed_at.notnull() | deals.is_won.notnull()
    where = deals.group_by("stage").aggregate(
        deals=deals.count(), closed=deals.count(where=closed), won=deals.count(where=deals.is_won)
    )
    now = ctx.backend.execute(where).set_index("stage")
    closing = set(now.index[now["closed"] >= thresholds.closing_share * now["deals"]])
    won = now.loc[list(closing)]["won"] if closing else pd.Series(dtype=float)
    won_stage = str(won.idxmax()) if len(won) and won.max() > 0 else WON

    history = ctx.backend.table("opportunity_stages")
    _, stop = ctx.instants
    rows = history.filter(history.entered_at < stop)
    if closing:
        rows = rows.filter(~rows.stage.isin(sorted(closing)))
    a = rows.select(deal=rows.opportunity_id, stage=rows.stage, at=rows.entered_at)
    b = rows.select(other_deal=rows.opportunity_id, other=rows.stage, other_at=rows.entered_at)
    pairs = a.join(b, (a.deal == b.other_deal) & (a.stage != b.other))
    order = pairs.group_by(pairs.stage).aggregate(
        before=pairs.count(where=pairs.at < pairs.other_at),
        after=pairs.count(where=pairs.at > pairs.other_at),
    )
    frame = ctx.backend.execute(order)
    stages = ctx.backend.execute(rows.select("stage").distinct())["stage"].astype(str)
    frame = frame.set_index("stage").reindex(stages, fill_value=0)
    total = (frame["before"] + frame["after"]).replace(0, 1)
    frame["score"] = (frame["after"] - frame["before"]) / total
    return frame.sort_values(["score"], kind="stable").index.astype(str).tolist(), won_stage


def _conversions(
    ctx: DiagnosisContext, funnel: list[str], min_entry_share: float, window: Period
) -> pd.DataFrame:
    """Per rep and stage: deals that entered it in `window` and have left it by as_of, and of
    those the ones that moved to a later stage or were won."""
    _, stop = ctx.instants
    start = datetime.combine(window.start, time.min)
    rank = {stage: k for k, stage in enumerate(funnel)}
    history = ctx.backend.table("opportunity_stages")
    deals = ctx.backend.table("opportunities")
    past = history.filter(history.entered_at < stop)
    first = past.group_by(deal=past.opportunity_id).aggregate(
        first_stage=past.stage.argmin(past.entered_at)
    )
    starts = ctx.backend.execute(first.group_by("first_stage").aggregate(deals=first.count()))
    shares = starts.set_index("first_stage")["deals"] / max(int(starts["deals"].sum()), 1)
    front = [stage for stage in funnel if shares.get(stage, 0.0) >= min_entry_share]
    first = first.filter(first.first_stage.isin(front or funnel[:1]))
    steps = past.filter(past.stage.isin(funnel)).mutate(k=past.stage.cases(*rank.items()))
    entries = steps.group_by(deal=steps.opportunity_id, stage=steps.stage, k=steps.k).aggregate(
        at=steps.entered_at.min()
    )
    entries = entries.filter(entries.at >= start)
    entries = entries.join(first, "deal")
    later = steps.select(
        later_deal=steps.opportunity_id, later_k=steps.k, later_at=steps.entered_at
    )
    moved = entries.join(
        later,
        (entries.deal == later.later_deal)
        & (later.later_k > entries.k)
        & (later.later_at >= entries.at),
    )
    moved = moved.group_by(deal=moved.deal, stage=moved.stage).aggregate(moved=moved.count())
    outcome = entries.left_join(moved, ["deal", "stage"]).join(
        deals.select(
            deal=deals.opportunity_id,
            rep_id=deals.owner_rep_id,
            closed_at=deals.closed_at,
            is_won=deals.is_won,
        ),
        "deal",
    )
    closed = outcome.closed_at.notnull() & (outcome.closed_at < stop)
    advanced = outcome.moved.notnull() | (closed & outcome.is_won.fill_null(False))
    expr = outcome.group_by(rep_id=outcome.rep_id, stage=outcome.stage).aggregate(
        resolved=outcome.count(where=advanced | closed),
        advanced=outcome.count(where=advanced),
    )
    frame: pd.DataFrame = ctx.backend.execute(expr)
    return frame.astype({"rep_id": str, "stage": str})


def _open_by_stage(ctx: DiagnosisContext, funnel: list[str]) -> dict[tuple[str, str], float]:
    """Amount of each rep's deals open at as_of, by the funnel stage they were last in."""
    _, stop = ctx.instants
    history = ctx.backend.table("opportunity_stages")
    deals = ctx.backend.table("opportunities")
    past = history.filter(history.entered_at < stop)
    last = past.group_by(deal=past.opportunity_id).aggregate(
        stage=past.stage.argmax(past.entered_at)
    )
    open_deals = deals.filter(deals.closed_at.isnull() | (deals.closed_at >= stop))
    joined = open_deals.join(last, open_deals.opportunity_id == last.deal)
    joined = joined.filter(joined.stage.isin(funnel))
    expr = joined.group_by(rep_id=joined.owner_rep_id, stage=joined.stage).aggregate(
        amount=joined.amount.sum().coalesce(0.0)
    )
    frame: pd.DataFrame = ctx.backend.execute(expr)
    return {
        (str(rep), str(stage)): float(amount)
        for rep, stage, amount in zip(frame["rep_id"], frame["stage"], frame["amount"], strict=True)
    }


def _stage_rates(
    advanced: pd.DataFrame, resolved: pd.DataFrame, top_performers: frozenset[str]
) -> pd.DataFrame:
    """One row per rep and funnel stage: the rep's, the peers' and the top performers' rates.

    Peers are all other sellers; top performers exclude the rep. Computed for every rep at once.
    """
    adv, n = advanced.to_numpy(dtype=float), resolved.to_numpy(dtype=float)
    top = advanced.index.isin(sorted(top_performers))[:, None]
    peer_adv, peer_n = adv.sum(axis=0) - adv, n.sum(axis=0) - n
    top_adv = (adv * top).sum(axis=0) - adv * top
    top_n = (n * top).sum(axis=0) - n * top
    with np.errstate(divide="ignore", invalid="ignore"):
        rep_rate = np.where(n > 0, adv / n, np.nan)
        peer_rate = np.where(peer_n > 0, peer_adv / peer_n, np.nan)
        top_rate = np.where(top_n > 0, top_adv / top_n, np.nan)
        # Log-odds of the rep against the peers, with half a deal added each way so 0 and 1
        # stay finite; the rep's level is the deal-weighted mean of it over the other stages.
        peer = np.clip(np.nan_to_num(peer_rate, nan=0.5), 0.001, 0.999)
        gap = logit((adv + 0.5) / (n + 1)) - logit(peer)
        usable = (n > 0) & ~np.isnan(peer_rate)
        weights = np.where(usable, n, 0.0)
        weighted = np.where(usable, gap * weights, 0.0)
        other = weights.sum(axis=1, keepdims=True) - weights
        level = (weighted.sum(axis=1, keepdims=True) - weighted) / np.where(
            other > 0, other, np.nan
        )
    level = np.minimum(np.nan_to_num(level, nan=0.0), 0.0)
    columns = {
        "rep_adv": adv,
        "rep_n": n,
        "peer_adv": peer_adv,
        "peer_n": peer_n,
        "top_adv": top_adv,
        "top_n": top_n,
        "rep_rate": rep_rate,
        "peer_rate": peer_rate,
        "top_rate": top_rate,
        "log_odds_gap": gap,
        "level": level,
        "expected_rate": expit(logit(peer) + level),
    }
    index = pd.MultiIndex.from_product(
        [advanced.index.astype(str), advanced.columns.astype(str)], names=["rep_id", "stage"]
    )
    frame = pd.DataFrame({name: values.ravel() for name, values in columns.items()}, index=index)
    counts = ["rep_adv", "rep_n", "peer_adv", "peer_n", "top_adv", "top_n"]
    return frame.astype(dict.fromkeys(counts, int))


def _testable(rates: pd.DataFrame, thresholds: Thresholds) -> pd.Series:
    """Stages to test: min_deals or more, or fewer (down to min_deals ÷ decisive_factor) with a
    drop at least decisive_factor times the minimum one."""
    factor = thresholds.decisive_factor
    strict = max(0.0, 1 - factor * (1 - thresholds.max_relative_rate))
    small = (rates["rep_n"] >= thresholds.min_deals / factor) & (
        rates["rep_rate"] <= strict * rates["expected_rate"]
    )
    result: pd.Series = ((rates["rep_n"] >= thresholds.min_deals) | small) & (
        rates["peer_rate"] > 0
    )
    return result


def _leaking_stage(rates: pd.DataFrame, thresholds: Thresholds) -> dict[str, Any] | None:
    """The stage where the rep falls furthest below their own level, if both tests agree."""
    tested = rates[_testable(rates, thresholds)]
    if tested.empty:
        return None
    cut = thresholds.alpha / len(tested)
    best: dict[str, Any] | None = None
    for stage, row in tested.iterrows():
        adv, n = int(row["rep_adv"]), int(row["rep_n"])
        table = [[adv, n - adv], [int(row["peer_adv"]), int(row["peer_n"] - row["peer_adv"])]]
        p_peers = float(fisher_exact(table, alternative="less")[1])
        p_level = float(binomtest(adv, n, float(row["expected_rate"]), alternative="less").pvalue)
        drop = float(row["log_odds_gap"] - row["level"])
        real = row["rep_rate"] <= thresholds.max_relative_rate * row["expected_rate"]
        if real and p_peers < cut and p_level < cut and (best is None or drop < best["drop"]):
            best = {
                "stage": str(stage),
                "drop": drop,
                "p_value": p_peers,
                "p_value_own_level": p_level,
                "alpha_per_stage": cut,
            }
    return best


def _rate(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _finding(
    funnel: FunnelTable, rep: str, leak: dict[str, Any], open_amount: float, target: float | None
) -> Finding:
    stage = leak["stage"]
    k = funnel.stages.index(stage)
    next_stage = funnel.stages[k + 1] if k + 1 < len(funnel.stages) else funnel.won_stage
    steps = funnel.steps(rep)
    row = funnel.rates.loc[(rep, stage)]
    onward = float(np.prod([step.peer_rate or 0.0 for step in steps[k + 1 :]]))
    gap = max(float(row["peer_rate"]) - float(row["rep_rate"]), 0.0)
    stake = gap * open_amount * onward
    names = {"stage": stage, "next_stage": next_stage}
    return SPEC.finding(
        rep,
        stake=stake,
        target=target,
        stake_method=SPEC.stake_method.format(**names),
        evidence=_evidence(leak, row, open_amount, steps, next_stage)
        | funnel.leak_window.evidence(),
        explanation=(
            f"Only {row['rep_rate']:.0%} of this rep's {int(row['rep_n'])} deals that reached "
            f"{stage} {_since(funnel.leak_window)} moved on to {next_stage}, against "
            f"{row['peer_rate']:.0%} for peers{_top_clause(row['top_rate'])} "
            f"(p = {leak['p_value']:.1g}); at the rep's level on the other stages about "
            f"{row['expected_rate']:.0%} would be expected."
        ),
        actions=tuple(action.format(**names) for action in SPEC.actions),
        questions=tuple(question.format(**names) for question in SPEC.questions),
    )


def _evidence(
    leak: dict[str, Any],
    row: pd.Series,
    open_amount: float,
    steps: tuple[FunnelStep, ...],
    next_stage: str,
) -> dict[str, Any]:
    """The leaking stage's rates and tests beside the rep's whole funnel."""
    return {
        "stage": leak["stage"],
        "next_stage": next_stage,
        "rep_rate": float(row["rep_rate"]),
        "rep_n": int(row["rep_n"]),
        "peer_rate": float(row["peer_rate"]),
        "peer_n": int(row["peer_n"]),
        "top_rate": _rate(row["top_rate"]),
        "expected_rate_at_rep_level": float(row["expected_rate"]),
        "p_value": leak["p_value"],
        "p_value_own_level": leak["p_value_own_level"],
        "alpha_per_stage": leak["alpha_per_stage"],
        "open_amount_in_stage": open_amount,
        "funnel": [
            {
                "stage": step.stage,
                "rep_rate": step.rep_rate,
                "rep_n": step.rep_n,
                "peer_rate": step.peer_rate,
                "top_rate": step.top_rate,
            }
            for step in steps
        ],
    }


def _since(window: LeakWindow) -> str:
    """When the counted deals entered the stage, as the explanation says it."""
    if not window.widened or window.cycle_days is None:
        return "in the last 6 months"
    return (
        f"in the last {window.period.days} days ({window.cycles:g} of this organisation's "
        f"{window.cycle_days:.0f}-day sales cycles)"
    )


def _top_clause(rate: Any) -> str:
    return "" if rate is None or pd.isna(rate) else f" and {float(rate):.0%} for top performers"
