"""Synthetic demo organisations with planted causes: `generate(DemoSpec(...), out_dir)`.

The generator (NumPy, pandas, Arrow) is imported when one of its names is first asked for, so
that `attain.demo.config` (the defaults `attain demo --help` shows) loads without it."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from attain.demo.config import DEFAULT_AS_OF, DemoSpec
from attain.diagnosis.causes import CAUSES

if TYPE_CHECKING:
    from attain.demo.generator import Progress, TableStep, generate
    from attain.demo.truth import PlantedCause, Truth

_LAZY = {
    "Progress": "attain.demo.generator",
    "TableStep": "attain.demo.generator",
    "generate": "attain.demo.generator",
    "PlantedCause": "attain.demo.truth",
    "Truth": "attain.demo.truth",
}

__all__ = [
    "CAUSES",
    "DEFAULT_AS_OF",
    "DemoSpec",
    "PlantedCause",
    "Progress",
    "TableStep",
    "Truth",
    "generate",
]


def __getattr__(name: str) -> Any:
    """The generator's names, imported on first use."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
