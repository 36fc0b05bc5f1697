"""The Monte Carlo: certain deals, impossible deals, averages, shocks and new business."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from attain.forecast import simulate as simulate_module
from attain.forecast.simulate import advanced, simulate

NONE = np.zeros(0)
NO_WINDOWS = np.zeros((0, 2))


def test_certain_and_impossible_deals_book_exactly_their_values() -> None:
    runs = simulate(
        np.array([1.0, 0.0, 1.0]),
        np.array([100.0, 50.0, 30.0]),
        np.array([0, 0, 1]),
        2,
        NONE,
        NO_WINDOWS,
        0.0,
        500,
        seed=1,
    )
    assert runs.shape == (2, 500)
    assert np.all(runs[0] == 100.0)
    assert np.all(runs[1] == 30.0)


def test_two_coin_flips_give_four_equally_likely_totals() -> None:
    runs = simulate(
        np.array([0.5, 0.5]),
        np.array([100.0, 200.0]),
        np.array([0, 0]),
        1,
        NONE,
        np.zeros((0, 1)),
        0.0,
        20_000,
        seed=2,
    )[0]
    values, counts = np.unique(runs, return_counts=True)
    assert values.tolist() == [0.0, 100.0, 200.0, 300.0]
    assert counts / counts.sum() == pytest.approx([0.25] * 4, abs=0.02)


def test_mean_is_the_sum_of_probability_times_value_and_owners_without_deals_get_zero() -> None:
    rng = np.random.default_rng(3)
    chance = rng.uniform(0, 1, 2000)
    value = rng.uniform(100, 1000, 2000)
    runs = simulate(chance, value, np.zeros(2000, int), 3, NONE, np.zeros((0, 3)), 0.0, 4000, 4)
    assert runs[0].mean() == pytest.approx((chance * value).sum(), rel=0.01)
    assert np.all(runs[1:] == 0.0)


def test_each_run_replays_one_window_its_ratio_and_its_new_business() -> None:
    runs = simulate(
        np.array([0.5]),
        np.array([100.0]),
        np.array([0]),
        1,
        np.array([0.0, 2.0]),
        np.array([[7.0], [11.0]]),
        0.0,
        4000,
        seed=5,
    )[0]
    # window 0: chance 0 and 7 new; window 1: chance min(1, 0.5 × 2) and 11 new
    assert set(np.unique(runs)) == {7.0, 111.0}
    assert (runs == 7.0).mean() == pytest.approx(0.5, abs=0.03)


def test_a_shock_widens_the_spread_without_moving_the_middle_much() -> None:
    args = (np.full(500, 0.4), np.full(500, 10.0), np.zeros(500, int), 1, NONE, np.zeros((0, 1)))
    calm = simulate(*args, 0.0, 5000, 6)[0]
    shaken = simulate(*args, 0.3, 5000, 6)[0]
    assert np.quantile(shaken, 0.9) - np.quantile(shaken, 0.1) > 3 * (
        np.quantile(calm, 0.9) - np.quantile(calm, 0.1)
    )
    assert np.median(shaken) == pytest.approx(np.median(calm), rel=0.05)


def test_same_seed_same_runs() -> None:
    args = (np.full(50, 0.3), np.full(50, 5.0), np.arange(50) % 3, 3, NONE, np.zeros((0, 3)))
    assert np.array_equal(simulate(*args, 0.1, 300, 9), simulate(*args, 0.1, 300, 9))


def test_replayed_windows_count_towards_the_spread_so_no_shock_is_added_on_top() -> None:
    """Windows whose log-ratios already spread by `spread` leave nothing for the shock."""
    ratios = np.array([0.5, 1.0, 2.0])
    args = (np.full(200, 0.4), np.full(200, 10.0), np.zeros(200, int), 1, ratios, np.zeros((3, 1)))
    own = float(np.log(ratios).std())
    calm = simulate(*args, 0.0, 2000, 7)
    assert np.array_equal(simulate(*args, own, 2000, 7), calm)
    assert not np.array_equal(simulate(*args, 2 * own, 2000, 7), calm)


def _live(state: Mapping[str, Any]) -> tuple[object, ...]:
    """What a PCG64 state's next draws depend on (the kept half only while it is kept)."""
    kept = state["uinteger"] if state["has_uint32"] else None
    return state["state"]["state"], state["state"]["inc"], state["has_uint32"], kept


@pytest.mark.parametrize("primed", [False, True])
@pytest.mark.parametrize("outputs", [0, 1, 2, 3, 8, 1001])
def test_the_advanced_generator_is_where_drawing_that_many_raw_outputs_leaves_it(
    primed: bool, outputs: int
) -> None:
    """Primed: one float32 drawn before, so half of a 64-bit output is kept for the next
    32-bit draw, which raw draws leave kept."""
    rng = np.random.default_rng(11)
    if primed:
        rng.random(dtype=np.float32)
    ahead = np.random.Generator(advanced(rng.bit_generator, outputs))
    rng.bit_generator.random_raw(outputs)
    assert _live(ahead.bit_generator.state) == _live(rng.bit_generator.state)
    assert np.array_equal(ahead.random(5, dtype=np.float32), rng.random(5, dtype=np.float32))


def test_a_chance_is_rounded_to_the_nearest_65536th_and_only_that() -> None:
    """Chances just below and just above half a step (one 65,536th is 1.5e-5): the first is
    never won in 400,000 runs (drawn as it stands, about 2.4 times), the second as often as a
    whole step."""
    step = 1 / simulate_module.RESOLUTION
    chance = np.array([0.4 * step, 0.6 * step])
    runs = simulate(chance, np.ones(2), np.arange(2), 2, NONE, np.zeros((0, 2)), 0.0, 400_000, 8)
    won = runs.mean(axis=1)
    assert won[0] == 0.0
    assert won[1] == pytest.approx(step, abs=4 * np.sqrt(step / 400_000))


@pytest.mark.parametrize("value_sign", [1.0, -1.0])
def test_runs_split_between_two_threads_are_those_of_one_thread_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, value_sign: float
) -> None:
    """An odd number of deals (a run's last output half used), an odd number of runs, windows
    and a shock, and negative values (the np.where path) too."""
    rng = np.random.default_rng(12)
    deals, owners = 301, 7
    arguments = (
        rng.uniform(0, 1, deals),
        value_sign * rng.uniform(10, 1000, deals),
        rng.integers(owners, size=deals),
        owners + 1,
        rng.uniform(0.5, 1.5, 6),
        rng.uniform(0, 100, (6, owners + 1)),
        0.4,
        1001,
    )
    monkeypatch.setattr(simulate_module, "SPLIT_CELLS", 10**12)
    one_thread = simulate(*arguments, seed=13)
    monkeypatch.setattr(simulate_module, "SPLIT_CELLS", 1)
    two_threads = simulate(*arguments, seed=13)
    assert np.array_equal(one_thread, two_threads)
    assert not np.array_equal(one_thread, simulate(*arguments, seed=14))


@pytest.mark.parametrize("split", [False, True])
def test_runs_drawn_a_few_at_a_time_are_those_of_one_pass_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, split: bool
) -> None:
    """Blocks of 3 runs (BLOCK_CELLS), so that 1,001 runs and their halves end on a partial
    block; on one thread and split between two."""
    rng = np.random.default_rng(21)
    deals, owners = 301, 7
    arguments = (
        rng.uniform(0, 1, deals),
        rng.uniform(10, 1000, deals),
        rng.integers(owners, size=deals),
        owners,
        rng.uniform(0.5, 1.5, 6),
        rng.uniform(0, 100, (6, owners)),
        0.4,
        1001,
    )
    monkeypatch.setattr(simulate_module, "SPLIT_CELLS", 1 if split else 10**12)
    monkeypatch.setattr(simulate_module, "BLOCK_CELLS", 10**12)
    one_pass = simulate(*arguments, seed=5)
    monkeypatch.setattr(simulate_module, "BLOCK_CELLS", 301 * 3)
    assert np.array_equal(one_pass, simulate(*arguments, seed=5))


def test_a_value_that_is_not_finite_books_only_in_the_runs_its_deal_is_won() -> None:
    """As np.where(won, value, 0): a NaN value never won adds nothing, one always won makes
    every run's total NaN, and an infinite value is infinite in the runs its deal is won."""
    runs = simulate(
        np.array([0.0, 1.0, 0.5, 0.5]),
        np.array([np.nan, np.nan, np.inf, 10.0]),
        np.array([0, 1, 2, 2]),
        3,
        NONE,
        np.zeros((0, 3)),
        0.0,
        4000,
        seed=9,
    )
    assert np.all(runs[0] == 0.0)
    assert np.all(np.isnan(runs[1]))
    infinite = np.isinf(runs[2])
    assert infinite.mean() == pytest.approx(0.5, abs=0.05)
    assert set(np.unique(runs[2][~infinite])) == {0.0, 10.0}
