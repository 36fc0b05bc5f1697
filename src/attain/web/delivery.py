"""Scheduled delivery in the web app: the sender inside `attain serve` (over the app's own
read-only store access and cached report, run by a `DeliveryLoop` thread; see
attain.workflow.delivery), and what the delivery page shows and changes."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from sqlalchemy import Engine, delete, select

from attain.access import Principal
from attain.appdb.database import session_scope
from attain.appdb.delivery import AlertKind, AlertSubscription, Channel
from attain.config import Settings
from attain.metrics.report import PerformanceReport
from attain.web.services import Services
from attain.workflow.delivery.ledger import history
from attain.workflow.delivery.loop import DeliveryLoop
from attain.workflow.delivery.schedule import WEEKDAYS, check_webhook, user_schedules
from attain.workflow.delivery.sender import Sender


def delivery_loop(settings: Settings, engine: Engine, services: Services) -> DeliveryLoop | None:
    """The delivery job, started; None when `[delivery] poll_seconds` is 0."""
    every = settings.delivery.poll_seconds
    if not every:
        return None

    def report() -> PerformanceReport:
        return services.report(services.as_of(None).day)

    holder = f"serve:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    sender = Sender(engine, settings, services.backend, holder, report=report)
    loop = DeliveryLoop(sender, every)
    loop.start()
    return loop


# -- the delivery page ---------------------------------------------------------------------
def preferences_view(engine: Engine, user: Principal) -> dict[str, Any]:
    """The user's digest schedules, alert subscriptions and latest deliveries, JSON-ready."""
    with session_scope(engine) as session:
        schedules = [
            {
                "channel": s.channel.value,
                "weekday": WEEKDAYS[s.weekday],
                "at": f"{s.hour:02d}:{s.minute:02d}",
                "time_zone": s.time_zone,
                "enabled": s.enabled,
                "webhook": _masked(s.webhook_url),
                "next_run_at": s.next_run_at.isoformat() if s.next_run_at else None,
            }
            for s in user_schedules(session, user.id)
        ]
        alerts = sorted(
            (row.kind.value, row.channel.value)
            for row in session.scalars(
                select(AlertSubscription).where(AlertSubscription.user_id == user.id)
            )
        )
    sent = [
        {
            "what": d.what,
            "channel": d.channel.value,
            "status": d.status.value,
            "at": (d.sent_at or d.created_at).isoformat(),
            "detail": d.detail,
        }
        for d in history(engine, user.id, limit=20)
    ]
    return {
        "schedules": schedules,
        "alerts": [{"kind": kind, "channel": channel} for kind, channel in alerts],
        "history": sent,
        "channels": [c.value for c in Channel],
        "kinds": [k.value for k in AlertKind],
        "weekdays": list(WEEKDAYS),
    }


def set_alerts(
    engine: Engine, user: Principal, kinds: list[AlertKind], channel: Channel, webhook: str
) -> None:
    """The user gets exactly `kinds` on `channel` from now on."""
    check_webhook(channel, webhook)
    with session_scope(engine, user_id=user.id) as session:
        session.execute(
            delete(AlertSubscription).where(
                AlertSubscription.user_id == user.id, AlertSubscription.channel == channel
            )
        )
        session.add_all(
            AlertSubscription(user_id=user.id, kind=k, channel=channel, webhook_url=webhook)
            for k in kinds
        )


def _masked(url: str) -> str:
    """A webhook address without its secret path (shown, never the whole URL)."""
    return url.split("/", 3)[2] + "/…" if url.count("/") >= 3 else url
