"""recordings: call recordings Hindsight holds itself (the bytes are in the blob store)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_recordings_account_sid_date_created_sid", ["account_sid", "date_created", "sid"]),
    ("ix_recordings_account_sid_task_sid", ["account_sid", "task_sid"]),
    ("ix_recordings_account_sid_reservation_sid", ["account_sid", "reservation_sid"]),
    ("ix_recordings_account_sid_call_sid", ["account_sid", "call_sid"]),
)


def upgrade() -> None:
    sid = sa.String(length=34)
    op.create_table(
        "recordings",
        sa.Column("sid", sid, nullable=False),
        sa.Column("account_sid", sid, nullable=False),
        sa.Column("workspace_sid", sid, nullable=True),
        sa.Column("task_sid", sid, nullable=True),
        sa.Column("reservation_sid", sid, nullable=True),
        sa.Column("call_sid", sid, nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("channel_map", sa.Text(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("start_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_recordings_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_recordings")),
    )
    for name, columns in _INDEXES:
        op.create_index(op.f(name), "recordings", columns, unique=False)


def downgrade() -> None:
    for name, _columns in _INDEXES:
        op.drop_index(op.f(name), table_name="recordings")
    op.drop_table("recordings")
