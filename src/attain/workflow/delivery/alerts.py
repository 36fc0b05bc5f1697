"""Alerts on change: the watched state of the data at each data version, what changed since
the previous one, and who hears of it.

The watched state is a few facts per rep, deal and lead (`WatchedState`), computed from the
store as of the data's last day and kept in the app database after each new data version.
An alert is a fact that appears between two states: a rep newly at risk, an early warning that
starts, a big deal whose expected close moves to a later period or that is lost, a qualified
lead that now waits past the response target, a second raise of one quota. Its key names
the change (the rep and period, the deal and both periods…), so the same change is never sent
twice, and a re-import of the same data changes no fact and raises no alert. The first state
ever taken is only a baseline: without an earlier one nothing can be said to have changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from attain.appdb.delivery import AlertKind, AlertSnapshot
from attain.metrics.periods import quarter_of
from attain.metrics.report import HEADLINE_METRIC, PerformanceReport
from attain.reports.templating import money
from attain.store.handle import Store
from attain.workflow.delivery.settings import DeliverySettings

CLOSED_DAYS = 92
"""Closed deals younger than this (a quarter) stay in the watched state."""
KEPT_STATES = 10
"""Watched states kept in the app database (the latest is the one compared)."""

Facts = dict[str, dict[str, Any]]
"""Watched facts of one kind by their id (rep, 'rep|metric', deal, lead, 'rep|period|metric')."""


@dataclass
class WatchedState:
    """The facts alerts compare between two data versions."""

    at_risk: Facts = field(default_factory=dict)
    activity_drops: Facts = field(default_factory=dict)
    big_deals: Facts = field(default_factory=dict)
    waiting_leads: Facts = field(default_factory=dict)
    quota_raises: Facts = field(default_factory=dict)

    def to_json(self) -> str:
        """The state as JSON text, keys sorted (equal states give equal text)."""
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> WatchedState:
        """The state from `to_json`'s text."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Alert:
    """One change: what changed, the evidence, the one action, and the rep it is about."""

    kind: AlertKind
    key: str
    """Names the change; part of each message's one-time key."""
    rep_id: str
    what: str
    evidence: str
    action: str


def watched_state(
    backend: Store, report: PerformanceReport, settings: DeliverySettings
) -> WatchedState:
    """The watched facts of the store as of the report's day."""
    return WatchedState(
        at_risk=_at_risk(report),
        activity_drops=_activity_drops(report),
        big_deals=_big_deals(backend, settings.big_deal_amount, report.as_of),
        waiting_leads=_waiting_leads(backend, report.as_of, settings.response_target_hours),
        quota_raises=_quota_raises(backend),
    )


def _at_risk(report: PerformanceReport) -> Facts:
    return {
        row.id: {
            "period": row.period_start.isoformat(),
            "label": report.period.label,
            "evidence": f"{money(row.actual_to_date)} booked of {money(row.expected_to_date)} "
            f"expected by {row.as_of}; {money(row.remaining_target)} to go in "
            f"{row.business_days_left} business days",
        }
        for row in report.pacing
        if row.scope == "rep" and row.metric == HEADLINE_METRIC and row.status == "at_risk"
    }


def _activity_drops(report: PerformanceReport) -> Facts:
    return {
        f"{w.rep_id}|{w.metric}": {
            "week": w.week_start.isoformat(),
            "evidence": f"{w.metric.replace('_', ' ')}: {w.this_week:,.0f} from {w.week_start} "
            f"to {w.week_end}, usually {w.median:,.0f} a week",
        }
        for w in report.early_warnings
    }


def _big_deals(backend: Store, amount: float, as_of: date) -> Facts:
    """Open deals of at least `amount`, and those closed in the last CLOSED_DAYS (a deal lost
    long ago changes nothing; leaving it out keeps each kept state small)."""
    deals = backend.table("opportunities")
    recent = datetime.combine(as_of - timedelta(days=CLOSED_DAYS), time.min)
    big = deals.filter(
        deals.amount >= amount, deals.closed_at.isnull() | (deals.closed_at >= recent)
    ).select("opportunity_id", "owner_rep_id", "amount", "expected_close_date", "is_won")
    frame: pd.DataFrame = backend.execute(big)
    facts: Facts = {}
    for row in frame.to_dict("records"):
        close = row["expected_close_date"]
        won = row["is_won"]
        facts[str(row["opportunity_id"])] = {
            "rep": str(row["owner_rep_id"]),
            "amount": float(row["amount"]),
            "period": None if pd.isna(close) else quarter_of(pd.Timestamp(close).date()).label,
            "close": None if pd.isna(close) else pd.Timestamp(close).date().isoformat(),
            "state": "open" if pd.isna(won) else "won" if bool(won) else "lost",
        }
    return facts


def _waiting_leads(backend: Store, as_of: date, hours: float) -> Facts:
    """Qualified leads with no sales touch, no conversion and no rejection whose wait since
    qualifying passed `hours` by the end of the data's last day."""
    end = datetime.combine(as_of + timedelta(days=1), time.min)
    cutoff = end - timedelta(hours=hours)
    leads = backend.table("leads")
    waiting = leads.filter(
        leads.mql_at.notnull(),
        leads.mql_at <= cutoff,
        leads.first_sales_touch_at.isnull(),
        leads.converted_at.isnull(),
        leads.rejected_at.isnull(),
        leads.owner_rep_id.notnull(),
    ).select("lead_id", "owner_rep_id", "mql_at", "company")
    frame: pd.DataFrame = backend.execute(waiting)
    return {
        str(row["lead_id"]): {
            "rep": str(row["owner_rep_id"]),
            "since": pd.Timestamp(row["mql_at"]).isoformat(),
            "company": None if pd.isna(row["company"]) else str(row["company"]),
            "hours": round(
                (end - pd.Timestamp(row["mql_at"]).to_pydatetime()).total_seconds() / 3600
            ),
        }
        for row in frame.to_dict("records")
    }


def _quota_raises(backend: Store) -> Facts:
    """Every rep, period and metric whose target was raised at least twice, with its revisions."""
    quotas = backend.table("quotas")
    frame: pd.DataFrame = backend.execute(
        quotas.select("rep_id", "period_start", "metric", "target", "set_at").order_by(
            ["rep_id", "period_start", "metric", ibis.asc("set_at", nulls_first=True)]
        )
    )
    facts: Facts = {}
    for (rep, start, metric), rows in frame.groupby(["rep_id", "period_start", "metric"]):
        targets = [float(t) for t in rows["target"]]
        raises = sum(1 for before, after in pairwise(targets) if after > before)
        if raises >= 2:
            facts[f"{rep}|{pd.Timestamp(str(start)).date()}|{metric}"] = {
                "rep": str(rep),
                "targets": targets,
                "raises": raises,
            }
    return facts


def changes(before: WatchedState, after: WatchedState) -> list[Alert]:
    """The alerts for what appears in `after` that `before` did not have."""
    found = [
        Alert(
            AlertKind.AT_RISK,
            f"at_risk:{rep}:{fact['period']}",
            rep,
            f"{rep} is now at risk of missing the {fact['label']} target",
            fact["evidence"],
            "Review the rep's open deals for this period with them this week and agree which "
            "to advance or replace.",
        )
        for rep, fact in _appeared(before.at_risk, after.at_risk)
    ]
    found += [
        Alert(
            AlertKind.ACTIVITY_DROP,
            f"activity_drop:{id}:{fact['week']}",
            id.split("|")[0],
            f"{id.split('|')[0]}'s {id.split('|')[1].replace('_', ' ')} dropped",
            fact["evidence"],
            "Ask the rep what changed this week before it shows in the pipeline.",
        )
        for id, fact in _appeared(before.activity_drops, after.activity_drops)
    ]
    found += _deal_alerts(before.big_deals, after.big_deals)
    found += [
        Alert(
            AlertKind.LEAD_WAITING,
            f"lead_waiting:{lead}",
            fact["rep"],
            f"Lead {lead}{_of(fact['company'])} waits for {fact['rep']}'s first call",
            f"qualified {fact['since']}, no sales touch after {fact['hours']} hours",
            "Call the lead today, or hand it to a rep who can.",
        )
        for lead, fact in _appeared(before.waiting_leads, after.waiting_leads)
    ]
    found += [
        Alert(
            AlertKind.QUOTA_RAISED_TWICE,
            f"quota_raised_twice:{id}",
            fact["rep"],
            f"{fact['rep']}'s {id.split('|')[2]} target for the period from {id.split('|')[1]} "
            "was raised a second time",
            "targets in order: " + " → ".join(money(t) for t in fact["targets"]),
            "Explain the new target to the rep and check it against their pipeline; "
            "repeated raises in one period erode trust in targets.",
        )
        for id, fact in _appeared(before.quota_raises, after.quota_raises)
    ]
    return found


def _appeared(before: Facts, after: Facts) -> list[tuple[str, dict[str, Any]]]:
    """The facts of `after` whose key `before` does not hold, with their keys."""
    return [(key, fact) for key, fact in after.items() if key not in before]


def _deal_alerts(before: Facts, after: Facts) -> list[Alert]:
    """Big deals lost since, or whose expected close moved to a later period."""
    found = []
    for deal, now in after.items():
        was = before.get(deal)
        if was is None or was["state"] != "open":
            continue
        evidence = f"{money(now['amount'])}, owner {now['rep']}"
        if now["state"] == "lost":
            found.append(
                Alert(
                    AlertKind.DEAL_LOST,
                    f"deal_lost:{deal}",
                    now["rep"],
                    f"Deal {deal} was lost",
                    evidence + f", expected to close {was['close']}",
                    "Hold a loss review with the rep within the week and record the reason.",
                )
            )
        elif now["state"] == "open" and _later(was["period"], now["period"]):
            found.append(
                Alert(
                    AlertKind.DEAL_SLIPPED,
                    f"deal_slipped:{deal}:{was['period']}:{now['period']}",
                    now["rep"],
                    f"Deal {deal} slipped from {was['period']} to {now['period']}",
                    evidence + f", expected close moved from {was['close']} to {now['close']}",
                    "Ask the rep for the buyer's next committed step and date, and take the deal "
                    "out of this period's commit unless there is one.",
                )
            )
    return found


def _later(before: str | None, after: str | None) -> bool:
    """Whether the close moved from one period to a later one (labels sort by time)."""
    return before is not None and after is not None and after > before


def _of(company: str | None) -> str:
    return f" ({company})" if company else ""


def last_state(session: Session) -> WatchedState | None:
    """The state kept after the latest data version seen, if any."""
    found = session.scalars(select(AlertSnapshot).order_by(AlertSnapshot.id.desc()).limit(1))
    row = found.one_or_none()
    return None if row is None else WatchedState.from_json(row.state)


def last_version(session: Session) -> str | None:
    """The data version whose state was kept last."""
    return session.scalars(
        select(AlertSnapshot.data_version).order_by(AlertSnapshot.id.desc()).limit(1)
    ).one_or_none()


def keep_state(session: Session, version: str, state: WatchedState) -> None:
    """Keep `state` as the one the next data version is compared with, and only the last
    KEPT_STATES states before it."""
    session.add(
        AlertSnapshot(data_version=version, state=state.to_json(), taken_at=datetime.now(UTC))
    )
    session.flush()
    old = select(AlertSnapshot.id).order_by(AlertSnapshot.id.desc()).offset(KEPT_STATES)
    session.execute(delete(AlertSnapshot).where(AlertSnapshot.id.in_(old.scalar_subquery())))
