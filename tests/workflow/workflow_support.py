"""What the workflow tests share besides fixtures: the demo organisation's handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from attain.demo.truth import Truth


@dataclass(frozen=True)
class Demo:
    """A generated demo store and the truth of what was planted in it."""

    store: Path
    truth: Truth
