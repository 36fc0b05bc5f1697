"""What to generate: the size, seed, reference date and planted causes of a demo organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from attain.demo.variants import STANDARD, Variant
from attain.diagnosis.causes import CAUSES
from attain.errors import ConfigError

DEFAULT_AS_OF = date(2026, 11, 13)
"""A Friday in week 7 of Q4 2026, so that generation never depends on the wall clock."""

DEFAULT_PLANT_SHARE = 0.05
"""Share of selling reps that each cause is planted on when no reps are named."""

DEFAULT_WEEKS = 13
"""Weekly snapshots written by `attain demo generate --snapshots weekly`: a quarter of them."""


@dataclass(frozen=True)
class DemoSpec:
    """A demo organisation: `reps` selling reps over `quarters` calendar quarters up to `as_of`.

    `plants` names reps for a cause explicitly (cause -> rep ids); causes not named there are
    planted on a deterministic `plant_share` of eligible selling reps. `variant` changes the
    organisation's shape (funnel, cycle, quota period, single-symptom causes; see variants).
    """

    reps: int
    quarters: int
    seed: int
    as_of: date = DEFAULT_AS_OF
    plants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plant_share: float = DEFAULT_PLANT_SHARE
    variant: Variant = STANDARD

    def __post_init__(self) -> None:
        if self.reps < 1:
            raise ConfigError(f"--reps must be at least 1, not {self.reps}")
        if not 1 <= self.quarters <= 40:
            raise ConfigError(f"--quarters must be between 1 and 40, not {self.quarters}")
        if not 0 <= self.plant_share <= 1 / len(CAUSES):
            raise ConfigError(
                f"--plant-share must be between 0 and {1 / len(CAUSES):.3f} (one cause per rep), "
                f"not {self.plant_share}"
            )
        unknown = sorted(set(self.plants) - set(CAUSES))
        if unknown:
            raise ConfigError(
                f"unknown cause {unknown[0]!r} in --plant; use one of {', '.join(CAUSES)}"
            )
