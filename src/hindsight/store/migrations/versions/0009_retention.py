"""retention policies, legal holds and the runs of the retention job

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_SID = sa.String(length=34)


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("conversation_days", sa.Integer(), nullable=True),
        sa.Column("recording_days", sa.Integer(), nullable=True),
        sa.Column("transcript_days", sa.Integer(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_retention_policies_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_sid", name=op.f("pk_retention_policies")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_sid", _SID, nullable=True),
        sa.Column("placed_by_name", sa.Text(), nullable=True),
        sa.Column("placed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_sid", "conversation_id", name=op.f("pk_legal_holds")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_ms", sa.BigInteger(), nullable=True),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("recordings", sa.Integer(), nullable=False),
        sa.Column("transcripts", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    op.create_index(
        op.f("ix_retention_runs_account_sid_started_ms"),
        "retention_runs",
        ["account_sid", "started_ms"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversations_account_sid_end_ms_id"),
        "conversations",
        ["account_sid", "end_ms", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_projection_tasks_account_sid_conversation_id"),
        "projection_tasks",
        ["account_sid", "conversation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_projection_tasks_account_sid_conversation_id"), table_name="projection_tasks"
    )
    op.drop_index(op.f("ix_conversations_account_sid_end_ms_id"), table_name="conversations")
    op.drop_index(op.f("ix_retention_runs_account_sid_started_ms"), table_name="retention_runs")
    op.drop_table("retention_runs")
    op.drop_table("legal_holds")
    op.drop_table("retention_policies")
