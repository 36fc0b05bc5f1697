"""Compensation plans: each rep's payout for a period, and whether the plan pays more for
priority products than for loss leaders.

A plan (a TOML file, see docs/workflow.md) has a base commission rate per product tier,
accelerators and SPIFs:

- base: each won deal earns its amount × the rate of its product's tier (the tier in force,
  see `attain.workflow.products`; a deal without a product is `standard`);
- accelerators: bookings beyond `above` × quota (attainment thresholds, e.g. 1.0 = quota) earn
  their base rate × `multiplier`; deals count in the order they closed, and a deal that
  crosses a threshold is split at it. A rep without a bookings quota for the period gets no
  acceleration;
- SPIFs: a fixed `amount` per won deal of `product_id` closed between `start` and `end`.

The check: the effective rate of a tier is everything paid for its deals ÷ their bookings
(the plan's base rate when the period has none). When priority products do not earn more than
loss leaders, the plan pays reps to sell the wrong things, and that is a finding.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from attain.appdb.models import ProductTier
from attain.errors import InputError
from attain.metrics.facts import local_time
from attain.metrics.periods import Period, parse_quarter
from attain.metrics.targets import quota_targets
from attain.store.handle import Store


class Accelerator(BaseModel):
    """Bookings beyond `above` × quota earn the base rate × `multiplier`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    above: float = Field(ge=0, description="Attainment threshold, e.g. 1.0 for quota.")
    multiplier: float = Field(gt=0, description="Multiplier of the base rate beyond it.")


class Spif(BaseModel):
    """A fixed bonus per won deal of a product, closed between `start` and `end` (inclusive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: str
    amount: float = Field(ge=0, description="Paid per won deal.")
    start: date | None = None
    end: date | None = None

    def applies(self, product_id: str | None, closed_on: date) -> bool:
        """Whether a deal of `product_id` closed on `closed_on` earns this SPIF."""
        return (
            product_id == self.product_id
            and (self.start is None or closed_on >= self.start)
            and (self.end is None or closed_on <= self.end)
        )


class CompPlan(BaseModel):
    """A compensation plan: base rate per tier, accelerators above quota, SPIFs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "plan"
    base_rates: dict[ProductTier, float] = Field(
        description="Commission rate per product tier, e.g. priority = 0.10."
    )
    accelerators: tuple[Accelerator, ...] = ()
    spifs: tuple[Spif, ...] = ()

    @model_validator(mode="after")
    def _every_tier_has_a_rate(self) -> CompPlan:
        missing = [tier.value for tier in ProductTier if tier not in self.base_rates]
        if missing:
            raise ValueError(f"base_rates needs a rate for {', '.join(missing)}")
        if any(rate < 0 for rate in self.base_rates.values()):
            raise ValueError("base rates cannot be negative")
        return self

    def bands(self, quota: float | None) -> list[tuple[float, float]]:
        """(bookings from which, multiplier) in order, starting at (0, 1)."""
        bands = [(0.0, 1.0)]
        if quota is None or quota <= 0:
            return bands
        for accelerator in sorted(self.accelerators, key=lambda a: a.above):
            bands.append((accelerator.above * quota, accelerator.multiplier))
        return bands


def load_plan(path: Path) -> CompPlan:
    """The plan in a TOML file; InputError saying what is wrong with it."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"no plan file {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"plan {path} is not valid TOML: {error}") from None
    try:
        return CompPlan.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in error.errors()
        )
        raise InputError(f"plan {path}: {problems}") from None


def parse_period(text: str) -> Period:
    """'2026-Q4' (or '2026Q4'), 'FY2027-Q1' (a quarter of the fiscal calendar in force,
    attain.metrics.periods) or 'YYYY-MM-DD..YYYY-MM-DD'."""
    text = text.strip()
    quarter = parse_quarter(text)
    if quarter is not None:
        return quarter
    if ".." in text:
        first, last = text.split("..", 1)
        try:
            return Period(date.fromisoformat(first), date.fromisoformat(last))
        except ValueError as error:
            raise InputError(f"period {text!r}: {error}") from None
    raise InputError(f"a period is like 2026-Q4, FY2027-Q1 or 2026-10-01..2026-12-31, not {text!r}")


@dataclass(frozen=True)
class WonDeal:
    """A won deal paid on: owner, product and its tier, amount, local day it closed."""

    opportunity_id: str
    rep_id: str
    product_id: str | None
    tier: ProductTier
    amount: float
    closed_on: date


@dataclass(frozen=True)
class DealPayout:
    """What one won deal pays: base, accelerator on top of base, SPIF."""

    opportunity_id: str
    product_id: str | None
    tier: ProductTier
    amount: float
    closed_on: date
    base: float
    accelerator: float
    spif: float

    @property
    def total(self) -> float:
        """base + accelerator + SPIF."""
        return self.base + self.accelerator + self.spif


@dataclass(frozen=True)
class RepPayout:
    """A rep's payout for a period, deal by deal."""

    rep_id: str
    bookings: float
    quota: float | None
    deals: tuple[DealPayout, ...]

    @property
    def attainment(self) -> float | None:
        """bookings ÷ quota."""
        return self.bookings / self.quota if self.quota else None

    @property
    def base(self) -> float:
        return sum(deal.base for deal in self.deals)

    @property
    def accelerator(self) -> float:
        return sum(deal.accelerator for deal in self.deals)

    @property
    def spif(self) -> float:
        return sum(deal.spif for deal in self.deals)

    @property
    def total(self) -> float:
        return self.base + self.accelerator + self.spif

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, with the deals."""
        return {
            "rep_id": self.rep_id,
            "bookings": self.bookings,
            "quota": self.quota,
            "attainment": self.attainment,
            "base": self.base,
            "accelerator": self.accelerator,
            "spif": self.spif,
            "total": self.total,
            "deals": [
                {**asdict(d), "tier": d.tier.value, "closed_on": d.closed_on.isoformat()}
                for d in self.deals
            ],
        }


def rep_payout(
    plan: CompPlan, rep_id: str, deals: Sequence[WonDeal], quota: float | None
) -> RepPayout:
    """The rep's payout from their won deals of the period (pure)."""
    bands = plan.bands(quota)
    paid = []
    cumulative = 0.0
    for deal in sorted(deals, key=lambda d: (d.closed_on, d.opportunity_id)):
        rate = plan.base_rates[deal.tier]
        start, end = cumulative, cumulative + deal.amount
        extra = 0.0
        # Deals count in the order they closed; a deal that crosses a band boundary earns each
        # band's multiplier on the part of its amount inside that band (docs/workflow.md).
        for index, (low, multiplier) in enumerate(bands):
            high = bands[index + 1][0] if index + 1 < len(bands) else float("inf")
            portion = max(0.0, min(end, high) - max(start, low))
            extra += portion * rate * (multiplier - 1.0)
        cumulative = end
        spif = sum(s.amount for s in plan.spifs if s.applies(deal.product_id, deal.closed_on))
        paid.append(
            DealPayout(
                opportunity_id=deal.opportunity_id,
                product_id=deal.product_id,
                tier=deal.tier,
                amount=deal.amount,
                closed_on=deal.closed_on,
                base=deal.amount * rate,
                accelerator=extra,
                spif=spif,
            )
        )
    return RepPayout(rep_id=rep_id, bookings=cumulative, quota=quota, deals=tuple(paid))


@dataclass(frozen=True)
class TierRate:
    """What a tier's deals paid, against their bookings."""

    tier: ProductTier
    bookings: float
    paid: float
    base_rate: float

    @property
    def effective_rate(self) -> float:
        """paid ÷ bookings; the base rate when the tier had no bookings."""
        return self.paid / self.bookings if self.bookings > 0 else self.base_rate


def tier_rates(plan: CompPlan, payouts: Sequence[RepPayout]) -> dict[ProductTier, TierRate]:
    """Each tier's bookings, payout and effective rate over every rep's deals."""
    bookings = dict.fromkeys(ProductTier, 0.0)
    paid = dict.fromkeys(ProductTier, 0.0)
    for payout in payouts:
        for deal in payout.deals:
            bookings[deal.tier] += deal.amount
            paid[deal.tier] += deal.total
    return {
        tier: TierRate(tier, bookings[tier], paid[tier], plan.base_rates[tier])
        for tier in ProductTier
    }


@dataclass(frozen=True)
class PlanFinding:
    """A problem with the plan itself, with the numbers that show it."""

    kind: str
    explanation: str
    evidence: dict[str, Any]
    action: str


def check_priorities(rates: Mapping[ProductTier, TierRate]) -> PlanFinding | None:
    """A finding when priority products do not earn a higher effective rate than loss
    leaders; None when they do."""
    priority = rates[ProductTier.PRIORITY]
    loss = rates[ProductTier.LOSS_LEADER]
    if priority.effective_rate > loss.effective_rate:
        return None
    return PlanFinding(
        kind="priority_not_rewarded",
        explanation=(
            f"The plan pays {priority.effective_rate:.1%} of bookings on priority products "
            f"and {loss.effective_rate:.1%} on loss leaders: reps earn as much or more for "
            "selling what the company wants sold least."
        ),
        evidence={
            tier.value: {
                "bookings": rate.bookings,
                "paid": rate.paid,
                "effective_rate": rate.effective_rate,
                "base_rate": rate.base_rate,
            }
            for tier, rate in rates.items()
        },
        action="Raise the priority tier's base rate or add SPIFs on priority products, or "
        "lower the loss-leader rate, until priority deals pay more per unit sold.",
    )


@dataclass(frozen=True)
class PayoutReport:
    """Every rep's payout for a period under a plan, the tiers' rates and the check."""

    plan: str
    period: Period
    reps: list[RepPayout]
    rates: dict[ProductTier, TierRate]
    finding: PlanFinding | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "plan": self.plan,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "reps": [rep.to_dict() for rep in self.reps],
            "tier_rates": {
                tier.value: {
                    "bookings": rate.bookings,
                    "paid": rate.paid,
                    "base_rate": rate.base_rate,
                    "effective_rate": rate.effective_rate,
                }
                for tier, rate in self.rates.items()
            },
            "finding": asdict(self.finding) if self.finding else None,
            "notes": self.notes,
        }


def payout_report(
    plan: CompPlan,
    period: Period,
    deals: Sequence[WonDeal],
    quotas: Mapping[str, float],
) -> PayoutReport:
    """Payouts of every rep with a won deal or a quota in the period (pure), most paid first."""
    reps = sorted({deal.rep_id for deal in deals} | set(quotas))
    payouts = [
        rep_payout(plan, rep, [d for d in deals if d.rep_id == rep], quotas.get(rep))
        for rep in reps
    ]
    payouts.sort(key=lambda p: (-p.total, p.rep_id))
    notes = []
    unquoted = [p.rep_id for p in payouts if p.quota is None and p.deals]
    if unquoted and plan.accelerators:
        notes.append(
            f"{len(unquoted)} rep(s) have no bookings quota for {period.label}, so no "
            f"accelerator: {', '.join(unquoted)}"
        )
    rates = tier_rates(plan, payouts)
    return PayoutReport(plan.name, period, payouts, rates, check_priorities(rates), notes)


def won_deals(
    backend: Store, period: Period, tiers: Mapping[str, ProductTier], zone: str = "UTC"
) -> list[WonDeal]:
    """Deals won in the period (local days of `zone`), each with its product's tier."""
    deals = backend.table("opportunities")
    deals = deals.mutate(local=local_time(deals.closed_at, zone, period.start, period.end))
    start = datetime.combine(period.start, datetime.min.time())
    stop = datetime.combine(period.end + timedelta(days=1), datetime.min.time())
    won = deals.filter(deals.is_won & (deals.local >= start) & (deals.local < stop))
    frame = backend.execute(
        won.select("opportunity_id", "owner_rep_id", "product_id", "amount", "local")
    )
    found = []
    for row in frame.to_dict("records"):
        product = None if pd.isna(row["product_id"]) else str(row["product_id"])
        found.append(
            WonDeal(
                opportunity_id=str(row["opportunity_id"]),
                rep_id=str(row["owner_rep_id"]),
                product_id=product,
                tier=tiers.get(product, ProductTier.STANDARD) if product else ProductTier.STANDARD,
                amount=0.0 if pd.isna(row["amount"]) else float(row["amount"]),
                closed_on=pd.Timestamp(row["local"]).date(),
            )
        )
    return found


def bookings_quotas(backend: Store, period: Period) -> dict[str, float]:
    """Each rep's bookings quota for the quota periods inside `period`, summed (pro-rated for
    days employed, as in the performance report)."""
    targets = quota_targets(backend, "bookings")
    if targets.empty:
        return {}
    inside = targets[
        (pd.to_datetime(targets["period_start"]) >= pd.Timestamp(period.start))
        & (pd.to_datetime(targets["period_end"]) <= pd.Timestamp(period.end))
    ]
    summed = inside.groupby("rep_id")["target"].sum()
    return {str(rep): float(value) for rep, value in summed.items()}
