"""Power of each detector's decision rule: for an effect of a given size, the smallest sample
that the rule catches in at least 90% of simulated reps (and how often it fires on a healthy
rep with that sample, the false-alarm rate).

Usage: python benchmarks/diagnosis_power.py [--trials 400] [--seed 5]

Each row draws the counts a rep would show (binomial shares, lognormal response hours, deals
passing a stage) and passes them to the detector's own test with its default thresholds:
`share_signal` (lead warming, marketing alignment, lead criteria), lead warming's
`_slow_signal`, stage leakage's `_leaking_stage`, follow-up's `_overdue_test` and product
mix's `_tests`. Coaching, activity drop and target setting decide by fixed thresholds, not
by a test on a sample, so they have no power curve (see docs/diagnosis.md). Asserts nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from attain.diagnosis import follow_up, lead_criteria, lead_warming, product_mix, stage_leakage
from attain.diagnosis import marketing_alignment as marketing
from attain.diagnosis.finding import share_signal

SAMPLES = (10, 15, 20, 30, 40, 60, 80, 120, 160, 240)
"""Sample sizes tried, in the unit of each rule (leads, deals, follow-ups)."""

Rule = Callable[[np.random.Generator, int, bool], bool]
"""(rng, n, planted) -> whether the rule fires on one simulated rep."""


def share_rule(
    base: float, gap: float, minimum: int, minimum_gap: float, alpha: float, alone: bool
) -> Rule:
    """A share `gap` above a benchmark of `base` (pooled from many reps), by share_signal;
    `alone`: decisive on its own (twice the minimum gap at alpha / 3)."""
    decisive = (2.0, 3) if alone else None

    def fires(rng: np.random.Generator, n: int, planted: bool) -> bool:
        k = int(rng.binomial(n, base + gap if planted else base))
        signal = share_signal((n, k), base, minimum, minimum_gap, alpha, decisive)
        return signal.decisive if alone else signal.fired

    return fires


def slow_rule(rep_hours: float, bench_hours: float, alone: bool) -> Rule:
    """First touches with a median of `rep_hours` against `bench_hours` (lognormal, sigma 0.8)."""
    t = lead_warming.Thresholds()

    def fires(rng: np.random.Generator, n: int, planted: bool) -> bool:
        hours = rng.lognormal(np.log(rep_hours if planted else bench_hours), 0.8, n)
        row = {"n": float(n), "median": float(np.median(hours))}
        signal = lead_warming._slow_signal(row, int((hours > bench_hours).sum()), bench_hours, t)
        return signal.decisive if alone else signal.fired

    return fires


def leak_rule(rate: float, peer_rate: float, stages: int = 4) -> Rule:
    """One of `stages` stages passed at `rate` against peers' `peer_rate` (2,000 peer deals a
    stage), the rep at the peers' level elsewhere."""
    t = stage_leakage.Thresholds()

    def fires(rng: np.random.Generator, n: int, planted: bool) -> bool:
        rows = []
        for k in range(stages):
            p = rate if planted and k == 1 else peer_rate
            adv = int(rng.binomial(n, p))
            rows.append(
                {
                    "rep_n": n,
                    "top_rate": peer_rate,
                    "rep_adv": adv,
                    "peer_n": 2000,
                    "peer_adv": int(2000 * peer_rate),
                    "peer_rate": peer_rate,
                    "rep_rate": adv / n,
                    "expected_rate": peer_rate,
                    "log_odds_gap": 0.0 if k != 1 else np.log((adv + 0.5) / (n - adv + 0.5)),
                    "level": 0.0,
                }
            )
        frame = pd.DataFrame(rows, index=[f"S{k}" for k in range(stages)])
        return stage_leakage._leaking_stage(frame, t) is not None

    return fires


def overdue_rule(share: float, peer_share: float) -> Rule:
    """Follow-ups overdue at `share` against `peer_share` over 4,000 peer follow-ups."""
    t = follow_up.Thresholds()

    def fires(rng: np.random.Generator, n: int, planted: bool) -> bool:
        late = int(rng.binomial(n, share if planted else peer_share))
        owed = {"R": {"owed": n, "overdue": late}}
        totals = (n + 4000.0, late + 4000 * peer_share)
        return bool(follow_up._overdue_test(owed, "R", totals, t)["flagged"])

    return fires


def mix_rule(loss_share: float, peer_loss: float) -> Rule:
    """Loss-leader share of new deals `loss_share` against the peers' `peer_loss`."""
    t = product_mix.Thresholds()
    peers = pd.DataFrame(
        {"tier": ["priority", "standard", "loss_leader"], "deals": [350, 450, 1000 * peer_loss]}
    )
    peers.loc[1, "deals"] = 1000 - 350 - 1000 * peer_loss

    def fires(rng: np.random.Generator, n: int, planted: bool) -> bool:
        if n < t.min_deals:  # the detector judges only reps with min_deals new deals
            return False
        loss = int(rng.binomial(n, loss_share if planted else peer_loss))
        prio = int(rng.binomial(n - loss, 0.35 / (1 - peer_loss)))
        mine = pd.DataFrame(
            {
                "tier": ["priority", "standard", "loss_leader"],
                "deals": [prio, n - loss - prio, loss],
            }
        )
        tests = product_mix._tests(mine, peers, t)
        return bool(tests["loss_leader"]["flagged"] or tests["priority"]["flagged"])

    return fires


def rows() -> list[tuple[str, str, Rule]]:
    """(detector, effect, rule) for each effect measured."""
    lw, ma, lc = lead_warming.Thresholds(), marketing.Thresholds(), lead_criteria.Thresholds()
    result: list[tuple[str, str, Rule]] = []
    for hours in (30.0, 72.0, 240.0):
        for alone in (False, True):
            label = f"first touch median {hours:.0f} h vs 2.5 h" + (" (alone)" if alone else "")
            result.append(("lead_warming", label, slow_rule(hours, 2.5, alone)))
    for gap in (0.3, 0.36, 0.42):
        result.append(
            (
                "lead_warming",
                f"cold leads +{gap:.0%} vs 3% (alone)",
                share_rule(0.03, gap, lw.min_leads, lw.min_share_gap, lw.alpha, True),
            )
        )
    for gap in (0.3, 0.38, 0.45):
        result.append(
            (
                "marketing_alignment",
                f"rejected +{gap:.0%} vs 12% (alone)",
                share_rule(0.12, gap, ma.min_leads, ma.reject_gap, ma.alpha, True),
            )
        )
    for gap in (0.25, 0.3, 0.5):
        result.append(
            (
                "lead_criteria",
                f"off-profile leads +{gap:.0%} vs 15%",
                share_rule(0.15, gap, lc.min_leads, lc.min_gap, lc.alpha, False),
            )
        )
    for rate in (0.45, 0.25, 0.15):
        result.append(("stage_leakage", f"stage passed {rate:.0%} vs 70%", leak_rule(rate, 0.7)))
    for share in (0.05, 0.1, 0.2, 0.45):
        result.append(("follow_up", f"overdue {share:.0%} vs 0.5%", overdue_rule(share, 0.005)))
    for share in (0.4, 0.6, 0.9):
        result.append(("product_mix", f"loss leaders {share:.0%} vs 20%", mix_rule(share, 0.2)))
    return result


def power(rule: Rule, n: int, planted: bool, trials: int, rng: np.random.Generator) -> float:
    return sum(rule(rng, n, planted) for _ in range(trials)) / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    table = Table(title=f"Smallest sample caught 90% of the time ({args.trials} trials each)")
    for header in ("detector", "effect", "sample", "caught", "false alarms"):
        table.add_column(header, justify="left" if header in ("detector", "effect") else "right")
    for detector, effect, rule in rows():
        found = next(
            ((n, p) for n in SAMPLES if (p := power(rule, n, True, args.trials, rng)) >= 0.9),
            None,
        )
        if found is None:
            table.add_row(detector, effect, f"> {SAMPLES[-1]}", "—", "—")
            continue
        n, caught = found
        alarms = power(rule, n, False, args.trials, rng)
        table.add_row(detector, effect, str(n), f"{caught:.2f}", f"{alarms:.3f}")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
