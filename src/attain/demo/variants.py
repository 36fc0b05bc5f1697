"""Variants of the demo organisation: other funnels, sales cycles, quota periods and symptoms.

The standard organisation plants each cause through several symptoms at once (a lead-warming
rep both reaches leads late and gets more cold leads and opens deals late). The variants let a
detector be tried on organisations of another shape, so that it is not only right on the one
it was written beside:

- `single_symptom`: each cause shows through one symptom only (see causes.SINGLE_*);
- `seven_stages` / `four_stages`: other stage names and numbers of stages;
- `smb`: three-week sales cycles, three times the leads, a fifth of the deal size;
- `enterprise`: six-month cycles, a quarter of the leads, six times the deal size;
- `monthly_quotas` / `annual_quotas`: quotas per month or per calendar year.

A clean organisation (no planted cause) is `plant_share=0` and team size is `reps`: both are
in DemoSpec, so any variant can be combined with them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

QuotaPeriod = Literal["quarter", "month", "year", "fiscal_445"]


@dataclass(frozen=True)
class Funnel:
    """The open stages deals walk through, with a healthy rep's numbers per stage."""

    stages: tuple[str, ...]
    passing: tuple[float, ...]
    """Chance an ordinary rep's in-profile deal moves on from each stage (the last: to won)."""
    days: tuple[float, ...]
    """Median days spent in each stage."""
    entry: tuple[float, ...]
    """Where lead-sourced deals are first recorded."""
    expansion_entry: tuple[float, ...]
    """Where the reps' own expansion deals are first recorded."""
    warming_entry: tuple[float, ...]
    """Where a lead-warming rep's deals are first recorded (past the opening stages)."""
    won: str = "Closed Won"
    lost: str = "Closed Lost"

    def __post_init__(self) -> None:
        columns = (self.passing, self.days, self.entry, self.expansion_entry, self.warming_entry)
        if any(len(column) != len(self.stages) for column in columns):
            raise ValueError("every per-stage tuple of a funnel needs one value per stage")

    @property
    def all_stages(self) -> tuple[str, ...]:
        """The open stages, then won and lost, as stage indexes count them."""
        return (*self.stages, self.won, self.lost)

    @property
    def cycle_days(self) -> float:
        """The sales cycle: median days from creation to a win, the stages' days added up."""
        return float(sum(self.days))

    @property
    def leak_stages(self) -> tuple[int, ...]:
        """Stages a stage-leakage rep may leak at: past the two opening stages."""
        return tuple(range(2, len(self.stages)))

    def scaled(self, factor: float) -> Funnel:
        """The same funnel with every stage lasting `factor` times as long."""
        return replace(self, days=tuple(day * factor for day in self.days))


STANDARD_FUNNEL = Funnel(
    stages=("Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"),
    passing=(0.82, 0.78, 0.74, 0.68, 0.8),
    days=(6.0, 9.0, 14.0, 14.0, 10.0),
    entry=(0.85, 0.15, 0.0, 0.0, 0.0),
    expansion_entry=(0.2, 0.6, 0.2, 0.0, 0.0),
    warming_entry=(0.15, 0.15, 0.40, 0.30, 0.0),
)
"""About 26% of in-profile deals won, in about 53 days from creation."""

SEVEN_STAGES = Funnel(
    stages=(
        "Lead In",
        "Contact Made",
        "Needs Defined",
        "Demo Scheduled",
        "Proposal Made",
        "Negotiations Started",
        "Contract Sent",
    ),
    passing=(0.88, 0.85, 0.82, 0.8, 0.78, 0.82, 0.9),
    days=(3.0, 5.0, 8.0, 9.0, 11.0, 10.0, 6.0),
    entry=(0.8, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0),
    expansion_entry=(0.1, 0.4, 0.4, 0.1, 0.0, 0.0, 0.0),
    warming_entry=(0.1, 0.1, 0.2, 0.3, 0.3, 0.0, 0.0),
    won="Won",
    lost="Lost",
)
"""A Pipedrive-like funnel: seven stages, about 27% won."""

FOUR_STAGES = Funnel(
    stages=("Qualify", "Develop", "Propose", "Close"),
    passing=(0.72, 0.66, 0.7, 0.78),
    days=(8.0, 16.0, 16.0, 12.0),
    entry=(0.9, 0.1, 0.0, 0.0),
    expansion_entry=(0.3, 0.6, 0.1, 0.0),
    warming_entry=(0.2, 0.15, 0.65, 0.0),
    won="Closed - Won",
    lost="Closed - Lost",
)
"""A four-stage funnel (Qualify, Develop, Propose, Close), about 26% won."""


@dataclass(frozen=True)
class Variant:
    """How a demo organisation differs from the standard one."""

    name: str = "standard"
    funnel: Funnel = STANDARD_FUNNEL
    single_symptom: bool = False
    """Each cause planted through one symptom only."""
    volume: float = 1.0
    """Leads and expansion deals per rep, relative to the standard."""
    price: float = 1.0
    """Deal amounts, relative to the standard."""
    quota_period: QuotaPeriod = "quarter"


STANDARD = Variant()
SMB_CYCLE_DAYS = 21
ENTERPRISE_CYCLE_DAYS = 182
_STANDARD_CYCLE_DAYS = sum(STANDARD_FUNNEL.days)

VARIANTS: dict[str, Variant] = {
    "standard": STANDARD,
    "single_symptom": Variant(name="single_symptom", single_symptom=True),
    "seven_stages": Variant(name="seven_stages", funnel=SEVEN_STAGES),
    "four_stages": Variant(name="four_stages", funnel=FOUR_STAGES),
    "smb": Variant(
        name="smb",
        funnel=STANDARD_FUNNEL.scaled(SMB_CYCLE_DAYS / _STANDARD_CYCLE_DAYS),
        volume=3.0,
        price=0.2,
    ),
    "enterprise": Variant(
        name="enterprise",
        funnel=STANDARD_FUNNEL.scaled(ENTERPRISE_CYCLE_DAYS / _STANDARD_CYCLE_DAYS),
        volume=0.25,
        price=6.0,
    ),
    "monthly_quotas": Variant(name="monthly_quotas", quota_period="month"),
    "annual_quotas": Variant(name="annual_quotas", quota_period="year"),
    "fiscal_445": Variant(name="fiscal_445", quota_period="fiscal_445"),
}
"""Every named variant, for `attain demo generate --variant` and the accuracy benchmark."""
