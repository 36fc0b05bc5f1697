"""Product priority tiers and differentiators, edited in Attain.

The store's `products.priority` comes from the CRM export; a tier set in the app database
(`product_priorities`) takes its place, with the differentiators reps should lead with. An
empty or unknown store tier is `standard`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from attain.appdb import limits
from attain.appdb.limits import checked_text
from attain.appdb.models import AuditEntry, ProductPriority, ProductTier, User
from attain.errors import InputError, one_of
from attain.store.handle import Store

TierSource = Literal["app", "store"]


@dataclass(frozen=True)
class ProductRow:
    """A product with its tier in force and where that tier comes from."""

    product_id: str
    name: str
    family: str | None
    list_price: float | None
    store_tier: ProductTier
    tier: ProductTier
    source: TierSource
    differentiators: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        data = asdict(self)
        data["store_tier"] = self.store_tier.value
        data["tier"] = self.tier.value
        return data


def parse_tier(value: str | ProductTier) -> ProductTier:
    """The tier named `value`; InputError listing the tiers otherwise."""
    return one_of(ProductTier, value, "a product tier")


def store_tier(value: Any) -> ProductTier:
    """A store `products.priority` value as a tier (empty or unknown: standard)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ProductTier.STANDARD
    try:
        return ProductTier(str(value))
    except ValueError:
        return ProductTier.STANDARD


def set_priority(
    session: Session,
    product_id: str,
    tier: str | ProductTier,
    differentiators: str | None = None,
    by: User | None = None,
) -> ProductPriority:
    """Set a product's tier (and differentiators, kept when None), audited."""
    product_id = product_id.strip()
    if not product_id:
        raise InputError("name the product (its CRM product id)")
    parsed = parse_tier(tier)
    checked_text(differentiators or "", "the differentiators", limits.NOTE)
    row = session.get(ProductPriority, product_id)
    if row is None:
        row = ProductPriority(
            product_id=product_id,
            tier=parsed,
            differentiators=(differentiators or "").strip(),
            created_by=by.id if by else None,
        )
        session.add(row)
    else:
        row.tier = parsed
        if differentiators is not None:
            row.differentiators = differentiators.strip()
    session.flush()
    return row


def app_priorities(session: Session) -> dict[str, ProductPriority]:
    """Tiers set in Attain, by product id."""
    return {row.product_id: row for row in session.scalars(select(ProductPriority))}


def product_rows(session: Session, backend: Store) -> list[ProductRow]:
    """Every product of the store with its tier in force (Attain's over the store's), by id."""
    frame = backend.execute(
        backend.table("products").select("product_id", "name", "family", "list_price", "priority")
    )
    app = app_priorities(session)
    rows = []
    for record in frame.to_dict("records"):
        product = str(record["product_id"])
        from_store = store_tier(record["priority"])
        override = app.get(product)
        rows.append(
            ProductRow(
                product_id=product,
                name=str(record["name"]),
                family=None if pd.isna(record["family"]) else str(record["family"]),
                list_price=None if pd.isna(record["list_price"]) else float(record["list_price"]),
                store_tier=from_store,
                tier=override.tier if override else from_store,
                source="app" if override else "store",
                differentiators=override.differentiators if override else "",
            )
        )
    return sorted(rows, key=lambda row: row.product_id)


def tier_map(session: Session, backend: Store) -> dict[str, ProductTier]:
    """The tier in force of every product, by id."""
    return {row.product_id: row.tier for row in product_rows(session, backend)}


@dataclass(frozen=True)
class PriorityChange:
    """One change of a product's tier or differentiators, from the audit log."""

    at: datetime
    by: str | None
    """The e-mail of who made it (None for a change from no signed-in user)."""
    product_id: str
    tier_before: str | None
    tier: str | None
    differentiators: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {**asdict(self), "at": self.at.isoformat()}


def priority_changes(session: Session, limit: int = 20) -> list[PriorityChange]:
    """The latest changes to product priorities, newest first, as the audit log keeps them."""
    query = (
        select(AuditEntry, User.email)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.table_name == ProductPriority.__tablename__)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    changes = []
    for entry, email in session.execute(query):
        before = json.loads(entry.before) if entry.before else {}
        after = json.loads(entry.after) if entry.after else {}
        changes.append(
            PriorityChange(
                at=entry.at,
                by=email,
                product_id=entry.record_id,
                tier_before=before.get("tier"),
                tier=after.get("tier"),
                differentiators=after.get("differentiators"),
            )
        )
    return changes
