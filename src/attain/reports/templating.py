"""Shared Jinja2 set-up and number formats for every report template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


def money(value: float | None) -> str:
    """12,345 (no decimals); an em dash for missing values."""
    return "—" if value is None else f"{value:,.0f}"


def ratio(value: float | None) -> str:
    """87% for 0.87; an em dash for missing values."""
    return "—" if value is None else f"{value:.0%}"


def times(value: float | None) -> str:
    """3.2× for a coverage ratio; an em dash for missing values."""
    return "—" if value is None else f"{value:.1f}×"


def label(value: str | None) -> str:
    """'at risk' for 'at_risk'; an em dash for missing values."""
    return "—" if not value else value.replace("_", " ")


def environment(**filters: Callable[..., Any]) -> Environment:
    """The templates folder with HTML autoescaped, the number formats and `filters` added."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, ratio=ratio, times=times, label=label, **filters)
    return env
