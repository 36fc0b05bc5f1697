"""The Monte Carlo: certain deals, impossible deals, averages, shocks and new business."""

from __future__ import annotations

import numpy as np
import pytest

from attain.forecast.simulate import simulate

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
    assert runs.shape == (500, 2)
    assert np.all(runs[:, 0] == 100.0)
    assert np.all(runs[:, 1] == 30.0)


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
    )[:, 0]
    values, counts = np.unique(runs, return_counts=True)
    assert values.tolist() == [0.0, 100.0, 200.0, 300.0]
    assert counts / counts.sum() == pytest.approx([0.25] * 4, abs=0.02)


def test_mean_is_the_sum_of_probability_times_value_and_owners_without_deals_get_zero() -> None:
    rng = np.random.default_rng(3)
    chance = rng.uniform(0, 1, 2000)
    value = rng.uniform(100, 1000, 2000)
    runs = simulate(chance, value, np.zeros(2000, int), 3, NONE, np.zeros((0, 3)), 0.0, 4000, 4)
    assert runs[:, 0].mean() == pytest.approx((chance * value).sum(), rel=0.01)
    assert np.all(runs[:, 1:] == 0.0)


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
    )[:, 0]
    # window 0: chance 0 and 7 new; window 1: chance min(1, 0.5 × 2) and 11 new
    assert set(np.unique(runs)) == {7.0, 111.0}
    assert (runs == 7.0).mean() == pytest.approx(0.5, abs=0.03)


def test_a_shock_widens_the_spread_without_moving_the_middle_much() -> None:
    args = (np.full(500, 0.4), np.full(500, 10.0), np.zeros(500, int), 1, NONE, np.zeros((0, 1)))
    calm = simulate(*args, 0.0, 5000, 6)[:, 0]
    shaken = simulate(*args, 0.3, 5000, 6)[:, 0]
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
