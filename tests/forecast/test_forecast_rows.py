"""The forecast's rows take their statistics from all runs at once: each row's P10, P50, P90,
mean and chance of target are the very floats NumPy gives for that row's runs alone.

Twelve reps, 1,001 runs drawn at random (not whole numbers, so that the order in which a
group's runs are added shows in the last digits): r01-r09 in team "east", r10 in "west", r11
and r12 in no team; r01, r10 and r11 have targets, so east's target is r01's and west's r10's.
A group's runs are added rep after rep, as `runs[:, members].sum(axis=1)` adds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attain.forecast.forecast import _rows

OWNERS = [f"r{i:02}" for i in range(1, 13)]
TEAMS: dict[str, str | None] = {
    **{owner: "east" for owner in OWNERS[:9]},
    "r10": "west",
    "r11": None,
}
TARGETS = {"r01": 1_000.0, "r10": 700.0, "r11": 5_000.0}
MEMBERS = {"company": list(range(12)), "east": list(range(9)), "west": [9]}


def _alone(totals: np.ndarray, target: float | None) -> tuple[float, ...]:
    """A row's statistics computed for its runs alone, as one row at a time did before."""
    p10, p50, p90 = np.quantile(totals, [0.1, 0.5, 0.9])
    chance = -1.0 if target is None else float((totals >= target).mean())
    return float(totals.mean()), float(p10), float(p50), float(p90), chance


def test_every_row_has_the_floats_of_its_own_runs() -> None:
    runs = np.random.default_rng(7).gamma(2.0, 400.0, size=(1_001, len(OWNERS))) / 3.7
    per_owner = pd.DataFrame(
        {
            "owner": OWNERS,
            "booked": [100.0, *[0.0] * 11],
            "open_deals": [3, *[0] * 11],
            "open_value": [900.0, *[0.0] * 11],
            "expected_open": [450.0, *[0.0] * 11],
            "expected_new": [300.0, *[80.0] * 11],
            "weighted": [400.0, *[0.0] * 11],
        }
    )
    rows = _rows(per_owner, runs.T.copy(), TEAMS, TARGETS, {"east": "East"}, elapsed=0.5)

    assert [(row.scope, row.id) for row in rows] == [
        ("company", "company"),
        ("team", "east"),
        ("team", "west"),
        *[("rep", owner) for owner in OWNERS],
    ]
    expected_targets = {"company": 6_700.0, "east": 1_000.0, "west": 700.0}
    for row in rows:
        if row.scope == "rep":
            totals, target = runs[:, OWNERS.index(row.id)].copy(), TARGETS.get(row.id)
        else:
            totals, target = runs[:, MEMBERS[row.id]].sum(axis=1), expected_targets[row.id]
        stats = (row.mean, row.p10, row.p50, row.p90, row.chance_of_target)
        expected = _alone(totals, target)
        assert stats[:4] == expected[:4], row.id  # exactly: the JSON must not change a digit
        assert row.target == target
        assert row.chance_of_target == (None if target is None else expected[4])
    east = rows[1]
    assert (east.name, east.booked, east.open_deals, east.weighted_pipeline) == (
        "East",
        100.0,
        3,
        400.0,
    )
    assert east.run_rate == 200.0
