"""`short()`: the one compact number format of the terminal tables and the chart labels;
`chance()`: a chance from simulations never reads as certainty."""

from __future__ import annotations

import pytest

from attain.reports.templating import chance, short


@pytest.mark.parametrize(
    ("value", "tenths", "expected"),
    [
        (None, False, "—"),
        (950.0, False, "950"),
        (252_400.0, False, "252k"),
        (1_540_000.0, False, "1.5M"),
        (12_340_000.0, False, "12M"),
        (12_340_000.0, True, "12.3M"),
        (-2_500.0, False, "-2.5k"),
        (3_000_000_000.0, False, "3.0B"),
    ],
)
def test_short_keeps_a_decimal_below_ten_of_a_unit(
    value: float | None, tenths: bool, expected: str
) -> None:
    assert short(value, tenths=tenths) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (float("nan"), "—"),
        (1.0, "> 99%"),
        (0.996, "> 99%"),
        (0.99, "99%"),
        (0.5, "50%"),
        (0.01, "1%"),
        (0.004, "< 1%"),
        (0.0, "< 1%"),
    ],
)
def test_chance_never_shows_certainty(value: float | None, expected: str) -> None:
    assert chance(value) == expected
