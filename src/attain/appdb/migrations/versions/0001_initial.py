"""The first app-database schema: users and their credentials, goals, coaching sessions,
action items, notes, overrides and the audit log.

Revision ID: 0001
Revises:
Created: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CRM_ID = 64


def _timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _created_by(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f(f"fk_{table}_created_by_users"),
            ondelete="SET NULL",
        ),
    ]


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or op.f(f"ix_{table}_{columns[0]}"), table, list(columns))


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column(
            "role", _choice("user_role", "admin", "manager", "rep", "marketing"), nullable=False
        ),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("rep_id", name=op.f("uq_users_rep_id")),
    )
    op.create_table(
        "team_memberships",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(CRM_ID), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "team_id", name=op.f("pk_team_memberships")),
    )
    _index("team_memberships", "team_id")

    op.create_table(
        "api_tokens",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    _index("api_tokens", "user_id")

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    _index("web_sessions", "user_id")
    _index("web_sessions", "expires_at")

    op.create_table(
        "goals",
        _id(),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *_created_by("goals"),
        _timestamp("created_at"),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_goals_period_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    _index("goals", "rep_id")
    _index("goals", "created_by")

    op.create_table(
        "coaching_sessions",
        _id(),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=False),
        sa.Column("coach_user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _choice("coaching_kind", "one_on_one", "shadowing", "training", "program_check_in"),
            nullable=False,
        ),
        _timestamp("held_at"),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        *_created_by("coaching_sessions"),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_coaching_sessions_positive_duration")
        ),
        sa.ForeignKeyConstraint(
            ["coach_user_id"], ["users.id"], name=op.f("fk_coaching_sessions_coach_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_sessions")),
    )
    _index("coaching_sessions", "rep_id")
    _index("coaching_sessions", "coach_user_id")
    _index("coaching_sessions", "created_by")

    op.create_table(
        "action_items",
        _id(),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", _choice("action_status", "open", "done", "dropped"), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        *_created_by("action_items"),
        _timestamp("created_at"),
        _timestamp("completed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_action_items_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    _index("action_items", "owner_user_id")
    _index("action_items", "rep_id")
    _index("action_items", "status")
    _index("action_items", "created_by")

    op.create_table(
        "notes",
        _id(),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_notes_author_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    _index("notes", "rep_id")
    _index("notes", "author_user_id")

    op.create_table(
        "overrides",
        _id(),
        sa.Column(
            "kind",
            _choice("override_kind", "stage_probability", "lead_grade", "forecast_category"),
            nullable=False,
        ),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_created_by("overrides"),
        _timestamp("created_at"),
        _timestamp("superseded_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overrides")),
    )
    _index("overrides", "kind", "target_id", name="ix_overrides_kind_target_id")
    _index("overrides", "created_by")

    op.create_table(
        "audit_log",
        _id(),
        _timestamp("at"),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    _index("audit_log", "at")
    _index("audit_log", "user_id")
    _index("audit_log", "table_name", "record_id", name="ix_audit_log_table_name_record_id")


def downgrade() -> None:
    for table in (
        "audit_log",
        "overrides",
        "notes",
        "action_items",
        "coaching_sessions",
        "goals",
        "web_sessions",
        "api_tokens",
        "team_memberships",
        "users",
    ):
        op.drop_table(table)  # its indexes and constraints go with it
