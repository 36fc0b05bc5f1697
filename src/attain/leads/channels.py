"""Channel effectiveness: how far each source's and campaign's leads get, and what they earn.

A lead that reached a later stage counts as having passed the earlier ones, because CRMs often
skip a timestamp (Olist records no SQL step; a converted lead was qualified all the same).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd

from attain.store.freshness import data_through, freshness_line
from attain.store.handle import Store

TOP_REASONS = 3
"""Rejection reasons listed per channel, most frequent first."""

CHANNELS = (("source", "source"), ("campaign", "campaign"), ("total", None))
"""The lines of the report: a dimension and the lead column that names its channels."""

FUNNEL_COUNTS = (
    "leads",
    "mqls",
    "sqls",
    "opportunities",
    "won",
    "rejected",
    "revenue",
    "won_with_amount",
)
"""The additive columns of a funnel line: summed from source and campaign pairs to lines."""


@dataclass(frozen=True)
class ChannelLine:
    """The funnel of one source or campaign (or all leads), with the rates between stages."""

    dimension: str  # "source", "campaign" or "total"
    channel: str | None  # None: leads without a source or campaign
    leads: int
    mqls: int
    sqls: int
    opportunities: int
    won: int
    rejected: int
    revenue: float
    won_with_amount: int
    median_days_to_won: float | None
    top_rejection_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def mql_to_sql(self) -> float | None:
        """Share of MQLs that became sales-qualified."""
        return _rate(self.sqls, self.mqls)

    @property
    def sql_to_opportunity(self) -> float | None:
        """Share of SQLs that became opportunities."""
        return _rate(self.opportunities, self.sqls)

    @property
    def opportunity_to_won(self) -> float | None:
        """Share of opportunities that were won."""
        return _rate(self.won, self.opportunities)

    @property
    def lead_to_won(self) -> float | None:
        """Share of all leads that ended in a won deal."""
        return _rate(self.won, self.leads)

    @property
    def rejection_share(self) -> float | None:
        """Share of leads that sales rejected."""
        return _rate(self.rejected, self.leads)

    @property
    def revenue_per_lead(self) -> float | None:
        """Won revenue divided by leads: what one more lead from this channel is worth."""
        return None if self.leads == 0 else self.revenue / self.leads

    def row(self) -> dict[str, Any]:
        """A flat record, rates included, for CSV, Markdown and JSON."""
        return {
            "dimension": self.dimension,
            "channel": self.channel,
            "leads": self.leads,
            "mqls": self.mqls,
            "sqls": self.sqls,
            "opportunities": self.opportunities,
            "won": self.won,
            "mql_to_sql": self.mql_to_sql,
            "sql_to_opportunity": self.sql_to_opportunity,
            "opportunity_to_won": self.opportunity_to_won,
            "lead_to_won": self.lead_to_won,
            "revenue": self.revenue,
            "won_with_amount": self.won_with_amount,
            "revenue_per_lead": self.revenue_per_lead,
            "median_days_to_won": self.median_days_to_won,
            "rejected": self.rejected,
            "rejection_share": self.rejection_share,
            "top_rejection_reasons": "; ".join(
                f"{reason} ({count})" for reason, count in self.top_rejection_reasons
            ),
        }


@dataclass(frozen=True)
class ChannelReport:
    """Sources and campaigns ranked by revenue per lead, with the all-leads total."""

    as_of: datetime
    total: ChannelLine
    sources: list[ChannelLine]
    campaigns: list[ChannelLine]
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """Every line as a flat record: sources, then campaigns, then the total."""
        return [line.row() for line in (*self.sources, *self.campaigns, self.total)]


def channel_report(backend: Store, as_of: date | datetime | None = None) -> ChannelReport:
    """The funnel, revenue and rejections of leads created up to `as_of`, per source and campaign.

    `as_of` defaults to the data's last day (attain.store.freshness), which the notes say; a
    date means its end. Two
    queries answer it, each per source and campaign pair (the funnel with its won leads' days,
    then the rejection reasons); the pairs are summed into source, campaign and total lines.
    """
    moment = resolve_as_of(backend, as_of)
    reasons = _top_reasons(_rejections(backend.table("leads"), moment).execute())
    # Pairs are few (sources × campaigns), so their lines are summed here.
    sums: dict[tuple[str, str | None], dict[str, Any]] = {}
    for pair in _pairs(lead_stages(backend, moment)).execute().to_dict("records"):
        for line in _lines(pair):
            summed = sums.setdefault(line, dict.fromkeys(FUNNEL_COUNTS, 0) | {"won_days": []})
            for name in FUNNEL_COUNTS:
                summed[name] += pair[name]
            summed["won_days"].extend(pair["won_days"] or ())
    lines: dict[str, list[ChannelLine]] = {dimension: [] for dimension, _ in CHANNELS}
    for (dimension, channel), summed in sums.items():
        lines[dimension].append(
            ChannelLine(
                dimension=dimension,
                channel=channel,
                leads=int(summed["leads"]),
                mqls=int(summed["mqls"]),
                sqls=int(summed["sqls"]),
                opportunities=int(summed["opportunities"]),
                won=int(summed["won"]),
                rejected=int(summed["rejected"]),
                revenue=float(summed["revenue"]),
                won_with_amount=int(summed["won_with_amount"]),
                median_days_to_won=(
                    float(np.median(summed["won_days"])) if summed["won_days"] else None
                ),
                top_rejection_reasons=reasons.get((dimension, channel), []),
            )
        )
    totals = lines["total"]
    total = totals[0] if totals else ChannelLine("total", None, 0, 0, 0, 0, 0, 0, 0.0, 0, None)
    notes = [] if as_of is not None else [f"{freshness_line(moment.date())}: counted up to then"]
    if total.won and total.won_with_amount < total.won:
        notes.append(
            f"{total.won - total.won_with_amount} of {total.won} won deals have no amount; "
            "revenue counts only those with one"
        )
    if total.leads and total.mqls == total.leads and total.sqls == total.opportunities:
        notes.append("no SQL step recorded: SQLs are the leads that became opportunities")
    return ChannelReport(
        as_of=moment,
        total=total,
        sources=_ranked(lines["source"]),
        campaigns=_ranked(lines["campaign"]),
        notes=notes,
    )


def resolve_as_of(backend: Store, as_of: date | datetime | None) -> datetime:
    """`as_of` as a moment (a date means its last instant); default the end of the data's last
    day (attain.store.freshness.data_through), as every command's."""
    if isinstance(as_of, datetime):
        return as_of
    if isinstance(as_of, date):
        return datetime.combine(as_of, time.max)
    return datetime.combine(data_through(backend) or date.today(), time.max)


def lead_outcomes(backend: Store, as_of: datetime) -> Any:
    """Ibis table: leads created by `as_of` with their opportunities' outcomes at `as_of`.

    Opportunities link by their `lead_id`, else by the lead's `opportunity_id`. Adds
    `opportunity_count`, `has_open` (an opportunity not closed by `as_of`), `is_won`, `won_at`
    (first win) and `revenue` (won amount).
    """
    joined = _leads_with_deals(backend.table("leads"), backend.table("opportunities"), as_of)
    joined = joined.drop("deal_lead")
    return joined.mutate(
        opportunity_count=joined.opportunity_count.fill_null(0),
        has_open=joined.has_open.fill_null(False),
        is_won=joined.is_won.fill_null(False),
        revenue=joined.revenue.fill_null(0.0),
        won_with_amount=joined.won_with_amount.fill_null(0),
    )


def lead_stages(backend: Store, as_of: datetime) -> Any:
    """Ibis table: per lead created by `as_of`, its `source` and `campaign`, outcomes as in
    `lead_outcomes` (`is_won`, `revenue`, `won_with_amount`, `days_to_won`) and monotone stage
    flags `is_mql`, `is_sql`, `is_opportunity` and `is_rejected`."""
    joined = _leads_with_deals(backend.table("leads"), backend.table("opportunities"), as_of)
    is_opportunity = joined.deal_lead.notnull() | (joined.converted_at <= as_of).fill_null(False)
    is_sql = is_opportunity | (joined.sql_at <= as_of).fill_null(False)
    is_mql = is_sql | (joined.mql_at <= as_of).fill_null(False)
    seconds = joined.won_at.epoch_seconds() - joined.created_at.epoch_seconds()
    return joined.select(
        "source",
        "campaign",
        is_won=joined.is_won.fill_null(False),
        revenue=joined.revenue.fill_null(0.0),
        won_with_amount=joined.won_with_amount.fill_null(0),
        is_opportunity=is_opportunity,
        is_sql=is_sql,
        is_mql=is_mql,
        is_rejected=(joined.rejected_at <= as_of).fill_null(False),
        days_to_won=seconds.cast("float64") / 86_400.0,
    )


def _leads_with_deals(leads: Any, opportunities: Any, as_of: datetime) -> Any:
    """Ibis table: leads created by `as_of`, each with its row of `_deals_per_lead` (`deal_lead`
    and the outcomes are null for a lead without opportunities)."""
    deals = _deals_per_lead(leads, opportunities, as_of)
    current = leads.filter(leads.created_at <= as_of)
    return current.left_join(deals, current.lead_id == deals.deal_lead)


def _deals_per_lead(leads: Any, opportunities: Any, as_of: datetime) -> Any:
    """Ibis table: per lead with opportunities created by `as_of` (`deal_lead`), their
    `opportunity_count`, `has_open`, `is_won`, `won_at`, `revenue` and `won_with_amount`.

    An opportunity belongs to its `lead_id`; one without belongs to the leads whose
    `opportunity_id` names it. Only those need the join with leads, so most deals skip it.
    """
    deals = opportunities.filter(
        opportunities.created_at.isnull() | (opportunities.created_at <= as_of)
    )
    columns = ["opportunity_id", "closed_at", "is_won", "amount"]
    direct = deals.filter(deals.lead_id.notnull()).select(*columns, deal_lead=deals.lead_id)
    unlinked = deals.filter(deals.lead_id.isnull())
    named = unlinked.join(
        leads.filter(leads.lead_id.notnull()),
        unlinked.opportunity_id == leads.opportunity_id,
    ).select(*[unlinked[name] for name in columns], deal_lead=leads.lead_id)
    linked = direct.union(named)
    closed = linked.is_won.notnull() & (linked.closed_at <= as_of)
    won = closed & linked.is_won
    return linked.group_by("deal_lead").aggregate(
        opportunity_count=linked.count(),
        has_open=(~closed.fill_null(False)).any(),
        is_won=won.fill_null(False).any(),
        won_at=linked.closed_at.min(where=won),
        revenue=linked.amount.sum(where=won).fill_null(0.0),
        won_with_amount=(won & linked.amount.notnull()).fill_null(False).sum(),
    )


def _pairs(stages: Any) -> Any:
    """Ibis table: the additive funnel counts of each source and campaign pair, and the days
    to a win of its won leads (`won_days`, an array: medians do not add up across pairs)."""
    return stages.group_by("source", "campaign").aggregate(
        leads=stages.count(),
        mqls=stages.is_mql.sum(),
        sqls=stages.is_sql.sum(),
        opportunities=stages.is_opportunity.sum(),
        won=stages.is_won.sum(),
        rejected=stages.is_rejected.sum(),
        revenue=stages.revenue.sum(),
        won_with_amount=stages.won_with_amount.sum(),
        won_days=stages.days_to_won.collect(),
    )


def _rejections(leads: Any, as_of: datetime) -> Any:
    """Ibis table: how many leads created by `as_of` were rejected by then for each reason, per
    source and campaign pair; it needs no deals, so it reads leads only."""
    rejected = leads.filter(
        leads.created_at <= as_of,
        leads.rejected_at <= as_of,
        leads.rejection_reason.notnull(),
    )
    return rejected.group_by("source", "campaign", reason=rejected.rejection_reason).aggregate(
        count=rejected.count()
    )


def _top_reasons(counts: pd.DataFrame) -> dict[tuple[str, str | None], list[tuple[str, int]]]:
    """The `TOP_REASONS` most frequent reasons of each line, ties in reason order."""
    summed: Counter[tuple[tuple[str, str | None], str]] = Counter()
    for record in counts.to_dict("records"):
        for line in _lines(record):
            summed[line, str(record["reason"])] += int(record["count"])
    top: dict[tuple[str, str | None], list[tuple[str, int]]] = {}
    for (line, reason), count in sorted(summed.items(), key=lambda item: (-item[1], item[0][1])):
        reasons = top.setdefault(line, [])
        if len(reasons) < TOP_REASONS:
            reasons.append((reason, count))
    return top


def _lines(pair: Mapping[Any, Any]) -> list[tuple[str, str | None]]:
    """The lines a source and campaign pair counts in: (dimension, channel) of each of CHANNELS."""
    return [(dimension, _key(pair[column]) if column else None) for dimension, column in CHANNELS]


def _ranked(lines: list[ChannelLine]) -> list[ChannelLine]:
    """Best revenue per lead first, then conversion and volume; ties by channel name, so that
    every backend gives the same order."""
    return sorted(
        lines,
        key=lambda line: (
            -(line.revenue_per_lead or 0.0),
            -(line.lead_to_won or 0.0),
            -line.leads,
            line.channel or "",
        ),
    )


def _key(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole
