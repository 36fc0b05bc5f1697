"""Shared Jinja2 set-up and number formats for every report template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


def money(value: float | None) -> str:
    """12,345 (no decimals); an em dash for missing values."""
    return "—" if value is None else f"{value:,.0f}"


def ratio(value: float | None) -> str:
    """87% for 0.87; an em dash for missing values (None or NaN)."""
    return "—" if value is None or value != value else f"{value:.0%}"


def chance(value: float | None) -> str:
    """A chance from simulations: 87% for 0.87, but "> 99%" and "< 1%" at the ends.

    A share of simulations that rounds to 100% or 0% says only that the model found no way
    (or no other way) to land there; the model's own uncertainty (its history, its features)
    is larger than that, so the page never claims certainty. An em dash for missing values.
    """
    if value is None or value != value:
        return "—"
    if value >= 0.995:
        return "> 99%"
    if value <= 0.005:
        return "< 1%"
    return f"{value:.0%}"


def times(value: float | None) -> str:
    """3.2× for a coverage ratio; an em dash for missing values."""
    return "—" if value is None else f"{value:.1f}×"


def short(value: float | None, *, tenths: bool = False) -> str:
    """1.5M, 252k or 950; from ten of a unit up no decimal (12M) unless `tenths` (12.3M, as
    chart labels show); an em dash for missing values."""
    if value is None:
        return "—"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            digits = 1 if tenths or abs(value) < 10 * size else 0
            return f"{value / size:.{digits}f}{suffix}"
    return f"{value:.0f}"


def label(value: str | None) -> str:
    """'at risk' for 'at_risk'; an em dash for missing values."""
    return "—" if not value else value.replace("_", " ")


def environment(**filters: Callable[..., Any]) -> Environment:
    """The templates folder with HTML autoescaped, the number formats and `filters` added."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, ratio=ratio, chance=chance, times=times, label=label, **filters)
    return env
