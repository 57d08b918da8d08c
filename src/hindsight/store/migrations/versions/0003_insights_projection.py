"""insights projection

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:22:30.414133
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "conversations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.Column("segment_count", sa.Integer(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=True),
        sa.Column("agent", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("in_progress", sa.Boolean(), nullable=False),
        sa.Column("has_media", sa.Boolean(), nullable=False),
        sa.Column("queue_time", sa.Integer(), nullable=False),
        sa.Column("talk_time", sa.Integer(), nullable=False),
        sa.Column("wrap_up_time", sa.Integer(), nullable=False),
        sa.Column("handling_time", sa.Integer(), nullable=False),
        sa.Column("abandon_time", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.Text(), nullable=True),
        sa.Column("handling_team", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "account_sid",
            "conversation_id",
            name=op.f("uq_conversations_account_sid_conversation_id"),
        ),
    )
    op.create_index(
        op.f("ix_conversations_account_sid_start_ms_id"),
        "conversations",
        ["account_sid", "start_ms", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversations_workspace_sid_start_ms"),
        "conversations",
        ["workspace_sid", "start_ms"],
        unique=False,
    )
    op.create_table(
        "projection_tasks",
        sa.Column("task_sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("track", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("task_sid", name=op.f("pk_projection_tasks")),
    )
    op.create_table(
        "projector_cursors",
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_sid", name=op.f("pk_projector_cursors")),
    )
    op.create_table(
        "retired_workspaces",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("retired_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_retired_workspaces")),
    )
    op.create_table(
        "segments",
        sa.Column("segment_id", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("task_sid", sa.String(length=34), nullable=True),
        sa.Column("reservation_sid", sa.String(length=34), nullable=True),
        sa.Column("worker_sid", sa.String(length=34), nullable=True),
        sa.Column("agent_name", sa.Text(), nullable=True),
        sa.Column("queue_sid", sa.String(length=34), nullable=True),
        sa.Column("queue_name", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("workflow", sa.Text(), nullable=True),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("activity", sa.Text(), nullable=True),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.Column("queue_time", sa.Integer(), nullable=False),
        sa.Column("ring_time", sa.Integer(), nullable=False),
        sa.Column("talk_time", sa.Integer(), nullable=False),
        sa.Column("wrap_up_time", sa.Integer(), nullable=False),
        sa.Column("hold_time", sa.Integer(), nullable=False),
        sa.Column("abandon_time", sa.Integer(), nullable=False),
        sa.Column("handling_time", sa.Integer(), nullable=False),
        sa.Column("activity_time", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.String(length=16), nullable=False),
        sa.Column("abandoned_phase", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("handling_team_id", sa.Text(), nullable=True),
        sa.Column("handling_team_name", sa.Text(), nullable=True),
        sa.Column("customer_key", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("customer", sa.Text(), nullable=False),
        sa.Column("media", sa.Text(), nullable=False),
        sa.Column("media_level", sa.String(length=16), nullable=False),
        sa.Column("opens_externally", sa.Boolean(), nullable=False),
        sa.Column("media_late_ms", sa.BigInteger(), nullable=True),
        sa.Column("ignored", sa.Text(), nullable=False),
        sa.Column("raw_attributes", sa.Text(), nullable=True),
        sa.Column("worker_attributes", sa.Text(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("segment_id", name=op.f("pk_segments")),
    )
    op.create_index(
        op.f("ix_segments_account_sid_agent_name_conversation_id"),
        "segments",
        ["account_sid", "agent_name", "conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_segments_account_sid_conversation_id_start_ms"),
        "segments",
        ["account_sid", "conversation_id", "start_ms"],
        unique=False,
    )
    op.create_index(
        op.f("ix_segments_account_sid_queue_name_conversation_id"),
        "segments",
        ["account_sid", "queue_name", "conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_segments_reservation_sid"), "segments", ["reservation_sid"], unique=False
    )
    op.create_index(op.f("ix_segments_task_sid"), "segments", ["task_sid"], unique=False)
    op.create_index(
        op.f("ix_segments_worker_sid_start_ms"),
        "segments",
        ["worker_sid", "start_ms"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_segments_worker_sid_start_ms"), table_name="segments")
    op.drop_index(op.f("ix_segments_task_sid"), table_name="segments")
    op.drop_index(op.f("ix_segments_reservation_sid"), table_name="segments")
    op.drop_index(op.f("ix_segments_account_sid_queue_name_conversation_id"), table_name="segments")
    op.drop_index(op.f("ix_segments_account_sid_conversation_id_start_ms"), table_name="segments")
    op.drop_index(op.f("ix_segments_account_sid_agent_name_conversation_id"), table_name="segments")
    op.drop_table("segments")
    op.drop_table("retired_workspaces")
    op.drop_table("projector_cursors")
    op.drop_table("projection_tasks")
    op.drop_index(op.f("ix_conversations_workspace_sid_start_ms"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_account_sid_start_ms_id"), table_name="conversations")
    op.drop_table("conversations")
