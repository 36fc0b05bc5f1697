"""Intensive programs, the skills matrix and product priority tiers.

Revision ID: 0002
Revises: 0001
Created: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CRM_ID = 64
SKILLS = (
    "product_knowledge",
    "prospecting",
    "discovery",
    "objection_handling",
    "negotiation",
    "closing",
    "crm_use",
)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _choice(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


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


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("metrics", sa.String(300), nullable=False),
        *_created_by("programs"),
        _timestamp("created_at"),
        sa.CheckConstraint("weeks > 0", name=op.f("ck_programs_positive_weeks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    op.create_index(op.f("ix_programs_rep_id"), "programs", ["rep_id"])
    op.create_index(op.f("ix_programs_created_by"), "programs", ["created_by"])

    op.create_table(
        "skill_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.String(CRM_ID), nullable=False),
        sa.Column("skill", _choice("skill", *SKILLS), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _timestamp("scored_at"),
        *_created_by("skill_scores"),
        sa.CheckConstraint("score >= 1 AND score <= 5", name=op.f("ck_skill_scores_score_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_scores")),
    )
    op.create_index("ix_skill_scores_rep_id_skill", "skill_scores", ["rep_id", "skill"])
    op.create_index(op.f("ix_skill_scores_created_by"), "skill_scores", ["created_by"])

    op.create_table(
        "product_priorities",
        sa.Column("product_id", sa.String(CRM_ID), nullable=False),
        sa.Column(
            "tier", _choice("product_tier", "priority", "standard", "loss_leader"), nullable=False
        ),
        sa.Column("differentiators", sa.Text(), nullable=False),
        _timestamp("updated_at"),
        *_created_by("product_priorities"),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_priorities")),
    )
    op.create_index(op.f("ix_product_priorities_created_by"), "product_priorities", ["created_by"])


def downgrade() -> None:
    for table in ("product_priorities", "skill_scores", "programs"):
        op.drop_table(table)  # its indexes and constraints go with it
