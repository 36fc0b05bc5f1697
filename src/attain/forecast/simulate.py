"""Monte Carlo of period-end bookings: each run replays one past window, scaling every open
deal's win probability by how that window surprised the model and adding its new business. A
log-normal shock on top brings the runs' spread up to the one asked for, without counting the
replayed windows' own spread twice.

Vectorised with NumPy a few runs at a time, so 10,000 runs over 100,000 open deals take seconds
and little memory beyond their results. Each deal's win is decided by a 16-bit random number
(RESOLUTION): four draws from each 64-bit output of the generator, four times as many draws a
second as its float32 numbers give. The wins of GROUP_RUNS runs form a (deals × runs) matrix
that one sparse product (owners × deals, each deal's value in its owner's row) books per
owner, without holding the GIL. Many runs are split between two threads, each drawing its own
runs from the one random stream (the second from a copy of the generator moved ahead by the
first's draws), so the runs are those of one thread, bit for bit, on any machine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any, cast

import numpy as np

from attain.forecast.win_model import RATIO_FLOOR

RESOLUTION = 65_536
"""A deal is won in a run when a 16-bit random number (0 to 65,535) falls below its chance in
65,536ths, less half a step: its chance rounded to the nearest 65,536th (at most 0.0008
percentage points off), a chance of 0 never won and one of 1 always. A float32 draw per deal
took 3.5 ns against 0.85 ns for a quarter of a 64-bit output: at 1,000 reps (20,000 open deals
× 10,000 runs) 0.58 CPU s of draws against 0.14 s."""
GROUP_RUNS = 32
"""Runs drawn together: within a group each deal's draws for its runs come one after another,
so that the group's wins are a (deals × runs) matrix in the order they were drawn. Blocks and
the two threads' halves begin at a group's first run, so the draws are the same whatever the
blocks or the split (a multiple of 4: a group's draws fill whole 64-bit outputs)."""
BLOCK_CELLS = 500_000
"""Deal draws (runs × deals) made and booked at once, in whole groups (at least one): 2 MB of
float32 an array, where each of the passes over them finds them in the processor's cache."""
SPLIT_CELLS = 2_000_000
"""From this many deal draws (runs × deals), the runs are split between two threads (a fixed
number, so the work is the same on any machine; the draws are the same either way)."""
BUSINESS_RUNS = 1_000
"""The new business of this many runs is added at once (its gathered rows 8 MB a 1,000 owners)."""


def simulate(
    probability: np.ndarray,
    value: np.ndarray,
    owner: np.ndarray,
    owners: int,
    ratios: np.ndarray,
    new_business: np.ndarray,
    spread: float,
    simulations: int,
    seed: int,
) -> np.ndarray:
    """(owners × simulations) bookings still to come: won open deals plus one past window each
    (each owner's runs a contiguous row, as their quantiles want them).

    `owner` indexes each deal's owner in [0, owners). Each run replays one past window: its
    entry of `ratios` scales the probabilities and its row of `new_business` (windows × owners)
    is added; a log-normal shock scales both, so that the log of a run's scale spreads by
    `spread` in all (the windows' own spread plus the shock's). With no windows and no spread,
    probabilities stand. Every run's shock and window are drawn first, then the deals' draws,
    group after group of runs (GROUP_RUNS).
    """
    rng = np.random.default_rng(seed)
    replayed = np.log(np.clip(ratios, RATIO_FLOOR, 1 / RATIO_FLOOR)).var() if len(ratios) else 0.0
    shock_spread = float(np.sqrt(max(spread**2 - replayed, 0.0)))
    shock = np.exp(shock_spread * rng.standard_normal(simulations))
    window = rng.integers(len(ratios), size=simulations) if len(ratios) else None
    scale = (shock if window is None else shock * ratios[window]).astype(np.float32)
    totals = np.zeros((owners, simulations))
    if len(probability):
        _Booking(probability, value, owner, owners).split(rng.bit_generator, scale, totals)
    if window is not None:
        for first in range(0, simulations, BUSINESS_RUNS):
            runs = slice(first, first + BUSINESS_RUNS)
            totals[:, runs] += (shock[runs, None] * new_business[window[runs]]).T
    return totals


class _Booking:
    """The open deals and the bookings of runs drawn for them: the deals' wins of a group of
    runs, (deals × runs), times the (owners × deals) matrix of their values."""

    def __init__(
        self, probability: np.ndarray, value: np.ndarray, owner: np.ndarray, owners: int
    ) -> None:
        from scipy import sparse  # loaded with LightGBM before a forecast comes here

        self.levels = probability.astype(np.float32) * np.float32(RESOLUTION)
        worth = value.astype(np.float32)
        # A value that is not finite books as np.where(won, value, 0) would, NaN and all: apart,
        # as 0 × NaN in the product would be NaN for a lost deal too.
        self.odd = np.flatnonzero(~np.isfinite(worth))
        self.odd_worth, self.odd_owner = worth[self.odd, None], owner[self.odd]
        order = np.argsort(owner, kind="stable")
        values = np.where(np.isfinite(worth), worth, np.float32(0))[order]
        bounds = np.searchsorted(owner[order], np.arange(owners + 1))
        self.values = sparse.csr_array((values, order, bounds), shape=(owners, len(owner)))

    def split(
        self, bit_generator: np.random.BitGenerator, scale: np.ndarray, booked: np.ndarray
    ) -> None:
        """Fill `booked` (owners × runs) with the bookings of runs scaled by `scale`, drawing
        from `bit_generator`; the later half of many runs (from a group's first) on a second
        thread, from a copy of the generator moved past the first half's draws, and
        `bit_generator` left where one thread would leave it."""
        runs, deals = len(scale), len(self.levels)
        half = runs // 2 // GROUP_RUNS * GROUP_RUNS
        if runs * deals < SPLIT_CELLS or half == 0:
            self.rows(bit_generator, scale, booked)
            return
        ahead = advanced(bit_generator, half * deals // 4)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="attain-simulate") as helper:
            later = helper.submit(self.rows, ahead, scale[half:], booked[:, half:])
            self.rows(bit_generator, scale[:half], booked[:, :half])
            later.result()
        bit_generator.state = ahead.state

    def rows(
        self, bit_generator: np.random.BitGenerator, scale: np.ndarray, booked: np.ndarray
    ) -> None:
        """Fill `booked` (owners × runs) with the bookings of runs scaled by `scale`, whole
        groups a block (BLOCK_CELLS) and then any last part of a group, in buffers of its own;
        the draws come from `bit_generator` group after group."""
        runs, deals = len(scale), len(self.levels)
        whole = runs // GROUP_RUNS * GROUP_RUNS
        step = max(1, BLOCK_CELLS // (deals * GROUP_RUNS)) * GROUP_RUNS
        bounds = [*range(0, whole, step), whole, *([runs] if runs > whole else [])]
        buffer = np.empty(min(step, runs) * deals, dtype=np.float32)
        thresholds, won = buffer, np.empty_like(buffer)
        for first, stop in pairwise(bounds):
            size = min(GROUP_RUNS, stop - first)
            shape = ((stop - first) // size, deals, size)
            cells = shape[0] * deals * size
            self.block(
                bit_generator,
                scale[first:stop].reshape(shape[0], 1, size),
                thresholds[:cells].reshape(shape),
                won[:cells].reshape(shape),
                booked[:, first:stop],
            )

    def block(
        self,
        bit_generator: np.random.BitGenerator,
        scale: np.ndarray,
        thresholds: np.ndarray,
        won: np.ndarray,
        booked: np.ndarray,
    ) -> None:
        """Book groups of runs (`thresholds` and `won` their buffers, groups × deals × runs),
        each deal won when its draw falls below its scaled chance (RESOLUTION)."""
        groups, _, size = won.shape
        np.multiply(self.levels[None, :, None], scale, out=thresholds)
        np.subtract(thresholds, np.float32(0.5), out=thresholds)
        outputs = bit_generator.random_raw(-(-won.size // 4))
        # Little-endian first, so that every machine splits an output into the same draws.
        draws = outputs.astype("<u8", copy=False).view("<u2")[: won.size].reshape(won.shape)
        np.less(draws, thresholds, out=won, casting="unsafe")  # 1.0 won, 0.0 lost
        for group in range(groups):
            part = self.values @ won[group]
            if len(self.odd):
                odd = np.where(won[group][self.odd] > 0, self.odd_worth, np.float32(0))
                np.add.at(part, self.odd_owner, odd)
            booked[:, group * size : (group + 1) * size] = part


def advanced(bit_generator: np.random.BitGenerator, outputs: int) -> np.random.PCG64:
    """A copy of `bit_generator` (a PCG64, as np.random.default_rng makes) in the state that
    drawing `outputs` 64-bit outputs (`random_raw`) leaves it in. `advance` skips them but drops
    the half of an output kept for a later 32-bit draw (`has_uint32`, `uinteger`), which raw
    draws leave as it is: it is put back."""
    state: dict[str, Any] = dict(bit_generator.state)
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"advanced needs a PCG64 generator, not {state['bit_generator']}")
    copy = np.random.PCG64()
    copy.state = cast(Any, state)
    copy.advance(outputs)
    kept = {name: state[name] for name in ("has_uint32", "uinteger")}
    copy.state = cast(Any, {**copy.state, **kept})
    return copy
