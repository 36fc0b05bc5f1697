"""Rule-based lead scores: fit to the ideal customer profile, and engagement from recent touches.

Both are 0–100 and come with their parts, so a person can see why a lead scores as it does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import pandas as pd

from attain.errors import ConfigError
from attain.leads.channels import resolve_as_of
from attain.leads.icp import IcpSettings, rule_checks
from attain.store.handle import Store

RECENCY_HALF_LIFE_DAYS = 14.0
"""Days after which the last touch is worth half its recency points."""

FREQUENCY_HALF_TOUCHES = 3.0
"""Touches in the window that earn half the frequency points (more saturate towards all)."""

FREQUENCY_WINDOW_DAYS = 90
"""Touches older than this before `as_of` do not count towards frequency."""

RECENCY_POINTS = 50.0
FREQUENCY_POINTS = 50.0
"""The engagement score's split between recency and frequency."""


def fit_table(leads: Any, icp: IcpSettings) -> Any:
    """Ibis table: `lead_id`, one `rule_<dimension>` boolean per rule (NULL: unknown),
    `fit_score` (weighted share of known rules met, 0–100; NULL when none is known) and
    `failed_rules` (comma-separated dimensions that failed; NULL when none)."""
    checks = rule_checks(leads, icp)
    if not checks:
        raise ConfigError(
            "no ideal customer profile rule applies to leads; set [icp] in attain.toml "
            "(`attain icp suggest` proposes one)"
        )
    met = ibis.literal(0.0)
    known = ibis.literal(0.0)
    for dimension, check in checks.items():
        weight = icp.weight(dimension)
        met += ibis.ifelse(check.fill_null(False), weight, 0.0)
        known += ibis.ifelse(check.isnull(), 0.0, weight)
    failed = ibis.literal(", ").join(
        [
            ibis.ifelse(check.fill_null(True), ibis.null("string"), ibis.literal(dimension))
            for dimension, check in checks.items()
        ]
    )
    return leads.select(
        "lead_id",
        **{f"rule_{dimension}": check for dimension, check in checks.items()},
        fit_score=ibis.ifelse(known > 0, (100.0 * met / known).round(1), ibis.null("float64")),
        failed_rules=failed.nullif(""),
    )


def fit_scores(backend: Store, icp: IcpSettings) -> pd.DataFrame:
    """Per lead in the store: the fit score and the rules it met and failed (see `fit_table`)."""
    frame: pd.DataFrame = fit_table(backend.table("leads"), icp).order_by("lead_id").execute()
    return frame


def engagement_table(backend: Store, as_of: datetime) -> Any:
    """Ibis table per lead created by `as_of`: touches in the window (marketing: the lead's first
    marketing touch; sales: its first sales touch and activities), `last_touch_at`,
    `days_since_last_touch`, `recency_points`, `frequency_points` and `engagement_score`."""
    leads = backend.table("leads").filter(lambda t: t.created_at <= as_of)
    activities = backend.table("activities")
    window_start = as_of - pd.Timedelta(days=FREQUENCY_WINDOW_DAYS).to_pytimedelta()
    stamps = [
        leads.select("lead_id", touch_at=leads.first_marketing_touch_at, marketing=True),
        leads.select("lead_id", touch_at=leads.first_sales_touch_at, marketing=False),
        activities.filter(activities.lead_id.notnull()).select(
            "lead_id", touch_at=activities.occurred_at, marketing=False
        ),
    ]
    touches = ibis.union(*stamps, distinct=False)
    touches = touches.filter(touches.touch_at.notnull(), touches.touch_at <= as_of)
    in_window = touches.touch_at >= window_start
    per_lead = touches.group_by(touch_lead=touches.lead_id).aggregate(
        marketing_touches=(in_window & touches.marketing).sum(),
        sales_touches=(in_window & ~touches.marketing).sum(),
        last_touch_at=touches.touch_at.max(),
    )
    joined = leads.select("lead_id").left_join(per_lead, leads.lead_id == per_lead.touch_lead)
    marketing = joined.marketing_touches.fill_null(0)
    sales = joined.sales_touches.fill_null(0)
    days = (as_of.timestamp() - joined.last_touch_at.epoch_seconds().cast("float64")) / 86_400.0
    recency = (RECENCY_POINTS * (0.5 ** (days / RECENCY_HALF_LIFE_DAYS))).fill_null(0.0)
    count = (marketing + sales).cast("float64")
    frequency = FREQUENCY_POINTS * count / (count + FREQUENCY_HALF_TOUCHES)
    return joined.select(
        "lead_id",
        marketing_touches=marketing,
        sales_touches=sales,
        last_touch_at=joined.last_touch_at,
        days_since_last_touch=days.round(1),
        recency_points=recency.round(1),
        frequency_points=frequency.round(1),
        engagement_score=(recency + frequency).round(1),
    )


def engagement_scores(backend: Store, as_of: date | datetime | None = None) -> pd.DataFrame:
    """Per lead: a 0–100 engagement score from recency and frequency of touches, with its parts.

    `as_of` defaults to the latest lead or close date in the store; a date means its end.
    """
    moment = resolve_as_of(backend, as_of)
    frame: pd.DataFrame = engagement_table(backend, moment).order_by("lead_id").execute()
    return frame
