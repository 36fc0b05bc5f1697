"""Tables of scheduled delivery (#25): digest schedules, alert subscriptions, what was sent,
the sender's lease, the state alerts compare against and the key that signs unsubscribe links.

A schedule or subscription names a channel: e-mail (to the user's address) or a chat
webhook (Slack incoming webhook, Microsoft Teams Workflows webhook) whose URL is a secret,
so it is never copied into the audit log. `deliveries.key` is the one-time key of a message
(user, what, period or change, channel): a second send of the same message finds its row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from attain.appdb.kinds import AlertKind as AlertKind
from attain.appdb.kinds import Channel as Channel
from attain.appdb.models import CRM_ID, Base, _choice, utcnow


class DeliveryStatus(StrEnum):
    """Where a message stands: claimed by a sender, handed over, or failed (retried later)."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DigestSchedule(Base):
    """When and where a user's digest goes: weekly on `weekday` at `hour:minute` in
    `time_zone`; `next_run_at` (UTC) is the next time it is due, so a restart loses none."""

    __tablename__ = "digest_schedules"
    __table_args__ = (UniqueConstraint("user_id", "channel"),)
    __audit_exclude__ = frozenset({"webhook_url", "next_run_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(_choice(Channel, "delivery_channel"))
    webhook_url: Mapped[str] = mapped_column(Text, default="")
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    """0 Monday … 6 Sunday."""
    hour: Mapped[int] = mapped_column(Integer, default=8)
    minute: Mapped[int] = mapped_column(Integer, default=0)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertSubscription(Base):
    """One kind of alert a user asked for, and where it goes."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)
    __audit_exclude__ = frozenset({"webhook_url"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AlertKind] = mapped_column(_choice(AlertKind, "alert_kind"))
    channel: Mapped[Channel] = mapped_column(_choice(Channel, "alert_channel"))
    webhook_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """A message claimed for sending under its one-time `key`, and how it went."""

    __tablename__ = "deliveries"
    __audited__ = False  # the history is its own log

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(64))
    """'digest' or the alert's kind."""
    channel: Mapped[Channel] = mapped_column(_choice(Channel, "delivered_channel"))
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DeliveryStatus] = mapped_column(
        _choice(DeliveryStatus, "delivery_status"), default=DeliveryStatus.SENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class SenderLease(Base):
    """Who may send now: one row per job; the holder renews it before `expires_at`."""

    __tablename__ = "sender_leases"
    __audited__ = False

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class AlertSnapshot(Base):
    """What the alerts compare: the watched state of the data at one data version."""

    __tablename__ = "alert_snapshots"
    __audited__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_version: Mapped[str] = mapped_column(String(CRM_ID), index=True)
    state: Mapped[str] = mapped_column(Text)
    """JSON: the watched facts (see attain.workflow.delivery.alerts.WatchedState)."""
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningKey(Base):
    """A random key made on first use, e.g. the one that signs unsubscribe links, so every
    process sharing the app database checks the same signatures."""

    __tablename__ = "signing_keys"
    __audited__ = False  # the row is all secret

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
