"""Channel effectiveness: how far each source's and campaign's leads get, and what they earn.

A lead that reached a later stage counts as having passed the earlier ones, because CRMs often
skip a timestamp (Olist records no SQL step; a converted lead was qualified all the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import ibis
import pandas as pd

TOP_REASONS = 3
"""Rejection reasons listed per channel, most frequent first."""


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


def channel_report(backend: Any, as_of: date | datetime | None = None) -> ChannelReport:
    """The funnel, revenue and rejections of leads created up to `as_of`, per source and campaign.

    `as_of` defaults to the latest lead or close date in the store; a date means its end.
    """
    moment = resolve_as_of(backend, as_of)
    stages = lead_stages(backend, moment)
    totals = _lines(stages, None, "total")
    total = totals[0] if totals else ChannelLine("total", None, 0, 0, 0, 0, 0, 0, 0.0, 0, None)
    sources = _lines(stages, "source", "source")
    campaigns = _lines(stages, "campaign", "campaign")
    notes = []
    if total.won and total.won_with_amount < total.won:
        notes.append(
            f"{total.won - total.won_with_amount} of {total.won} won deals have no amount; "
            "revenue counts only those with one"
        )
    if total.leads and total.mqls == total.leads and total.sqls == total.opportunities:
        notes.append("no SQL step recorded: SQLs are the leads that became opportunities")
    return ChannelReport(
        as_of=moment, total=total, sources=sources, campaigns=campaigns, notes=notes
    )


def resolve_as_of(backend: Any, as_of: date | datetime | None) -> datetime:
    """`as_of` as a moment (a date means its last instant); default the latest lead or close."""
    if isinstance(as_of, datetime):
        return as_of
    if isinstance(as_of, date):
        return datetime.combine(as_of, time.max)
    latest = [
        backend.table("leads").created_at.max().execute(),
        backend.table("opportunities").closed_at.max().execute(),
    ]
    found = [pd.Timestamp(value).to_pydatetime() for value in latest if not pd.isna(value)]
    return max(found) if found else datetime.combine(date.today(), time.max)


def lead_outcomes(backend: Any, as_of: datetime) -> Any:
    """Ibis table: leads created by `as_of` with their opportunities' outcomes at `as_of`.

    Opportunities link by their `lead_id`, else by the lead's `opportunity_id`. Adds
    `opportunity_count`, `has_open` (an opportunity not closed by `as_of`), `is_won`, `won_at`
    (first win) and `revenue` (won amount).
    """
    leads = backend.table("leads")
    opportunities = backend.table("opportunities")
    pointers = leads.select(pointer_lead=leads.lead_id, pointer_opportunity=leads.opportunity_id)
    linked = opportunities.left_join(
        pointers, opportunities.opportunity_id == pointers.pointer_opportunity
    )
    linked = linked.mutate(link_lead=linked.lead_id.coalesce(linked.pointer_lead))
    linked = linked.filter(
        linked.link_lead.notnull(), linked.created_at.isnull() | (linked.created_at <= as_of)
    )
    closed = linked.is_won.notnull() & (linked.closed_at <= as_of)
    won = closed & linked.is_won
    per_lead = linked.group_by(won_lead=linked.link_lead).aggregate(
        opportunity_count=linked.opportunity_id.nunique(),
        has_open=(~closed.fill_null(False)).any(),
        is_won=won.fill_null(False).any(),
        won_at=linked.closed_at.min(where=won),
        revenue=linked.amount.sum(where=won).fill_null(0.0),
        won_with_amount=(won & linked.amount.notnull()).fill_null(False).sum(),
    )
    current = leads.filter(leads.created_at <= as_of)
    joined = current.left_join(per_lead, current.lead_id == per_lead.won_lead).drop("won_lead")
    return joined.mutate(
        opportunity_count=joined.opportunity_count.fill_null(0),
        has_open=joined.has_open.fill_null(False),
        is_won=joined.is_won.fill_null(False),
        revenue=joined.revenue.fill_null(0.0),
        won_with_amount=joined.won_with_amount.fill_null(0),
    )


def lead_stages(backend: Any, as_of: datetime) -> Any:
    """Ibis table of `lead_outcomes` plus monotone stage flags `is_mql`, `is_sql`,
    `is_opportunity`, `is_rejected` and `days_to_won`."""
    outcomes = lead_outcomes(backend, as_of)
    is_opportunity = (
        outcomes.is_won
        | (outcomes.opportunity_count > 0)
        | (outcomes.converted_at <= as_of).fill_null(False)
    )
    is_sql = is_opportunity | (outcomes.sql_at <= as_of).fill_null(False)
    is_mql = is_sql | (outcomes.mql_at <= as_of).fill_null(False)
    seconds = outcomes.won_at.epoch_seconds() - outcomes.created_at.epoch_seconds()
    days_to_won = seconds.cast("float64") / 86_400.0
    return outcomes.mutate(
        is_opportunity=is_opportunity,
        is_sql=is_sql,
        is_mql=is_mql,
        is_rejected=(outcomes.rejected_at <= as_of).fill_null(False),
        days_to_won=days_to_won,
    )


def _lines(stages: Any, column: str | None, dimension: str) -> list[ChannelLine]:
    """One line per value of `column` (or one for all leads), best revenue per lead first."""
    keys = [stages[column].name("channel")] if column else [ibis.null("string").name("channel")]
    funnel = (
        stages.group_by(keys)
        .aggregate(
            leads=stages.count(),
            mqls=stages.is_mql.sum(),
            sqls=stages.is_sql.sum(),
            opportunities=stages.is_opportunity.sum(),
            won=stages.is_won.sum(),
            rejected=stages.is_rejected.sum(),
            revenue=stages.revenue.sum(),
            won_with_amount=stages.won_with_amount.sum(),
            median_days_to_won=stages.days_to_won.median(),
        )
        .execute()
    )
    rejected = stages.filter(stages.is_rejected)
    reason_keys = [rejected.rejection_reason]
    if column:
        reason_keys.append(rejected[column].name("channel"))
    reasons = rejected.group_by(reason_keys).aggregate(count=rejected.count()).execute()
    if not column:
        reasons["channel"] = None
    reasons = reasons.dropna(subset=["rejection_reason"]).sort_values(
        ["count", "rejection_reason"], ascending=[False, True]
    )
    top = {
        _key(channel): list(zip(group.rejection_reason, group["count"].astype(int), strict=True))[
            :TOP_REASONS
        ]
        for channel, group in reasons.groupby("channel", dropna=False, sort=False)
    }
    lines = [
        ChannelLine(
            dimension=dimension,
            channel=_key(record["channel"]),
            leads=int(record["leads"]),
            mqls=int(record["mqls"]),
            sqls=int(record["sqls"]),
            opportunities=int(record["opportunities"]),
            won=int(record["won"]),
            rejected=int(record["rejected"]),
            revenue=float(record["revenue"]),
            won_with_amount=int(record["won_with_amount"]),
            median_days_to_won=None
            if pd.isna(record["median_days_to_won"])
            else float(record["median_days_to_won"]),
            top_rejection_reasons=top.get(_key(record["channel"]), []),
        )
        for record in funnel.to_dict("records")
    ]
    return sorted(
        lines,
        key=lambda line: (
            -(line.revenue_per_lead or 0.0),
            -(line.lead_to_won or 0.0),
            -line.leads,
            line.channel or "",  # ties in the same order on every backend
        ),
    )


def _key(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole
