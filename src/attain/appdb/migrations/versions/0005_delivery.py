"""Scheduled delivery: digest schedules, alert preferences, sent messages, the sender lease (#25).

Revision ID: 0005
Revises: 0004
Created: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNELS = ("email", "slack", "teams")
ALERT_KINDS = (
    "at_risk",
    "activity_drop",
    "deal_slipped",
    "deal_lost",
    "lead_waiting",
    "quota_raised_twice",
)


def _choice(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _user_id(table: str) -> list[Any]:
    return [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "digest_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user_id("digest_schedules"),
        sa.Column("channel", _choice("delivery_channel", CHANNELS), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_schedules")),
        sa.UniqueConstraint("user_id", "channel", name=op.f("uq_digest_schedules_user_id")),
    )
    op.create_index(op.f("ix_digest_schedules_user_id"), "digest_schedules", ["user_id"])
    op.create_index(op.f("ix_digest_schedules_next_run_at"), "digest_schedules", ["next_run_at"])
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user_id("alert_subscriptions"),
        sa.Column("kind", _choice("alert_kind", ALERT_KINDS), nullable=False),
        sa.Column("channel", _choice("alert_channel", CHANNELS), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
        sa.UniqueConstraint(
            "user_id", "kind", "channel", name=op.f("uq_alert_subscriptions_user_id")
        ),
    )
    op.create_index(op.f("ix_alert_subscriptions_user_id"), "alert_subscriptions", ["user_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        *_user_id("deliveries"),
        sa.Column("what", sa.String(64), nullable=False),
        sa.Column("channel", _choice("delivered_channel", CHANNELS), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column(
            "status", _choice("delivery_status", ("sending", "sent", "failed")), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_deliveries_key")),
    )
    op.create_index(op.f("ix_deliveries_user_id"), "deliveries", ["user_id"])
    op.create_table(
        "sender_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sender_leases")),
    )
    op.create_table(
        "alert_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.String(64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_snapshots")),
    )
    op.create_index(op.f("ix_alert_snapshots_data_version"), "alert_snapshots", ["data_version"])
    op.create_table(
        "signing_keys",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_keys")),
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
    op.drop_index(op.f("ix_alert_snapshots_data_version"), table_name="alert_snapshots")
    op.drop_table("alert_snapshots")
    op.drop_table("sender_leases")
    op.drop_index(op.f("ix_deliveries_user_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_alert_subscriptions_user_id"), table_name="alert_subscriptions")
    op.drop_table("alert_subscriptions")
    op.drop_index(op.f("ix_digest_schedules_next_run_at"), table_name="digest_schedules")
    op.drop_index(op.f("ix_digest_schedules_user_id"), table_name="digest_schedules")
    op.drop_table("digest_schedules")
