"""media analyses: waveform peaks and talk analytics of recordings

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "media_analyses",
        sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("media_key", sa.String(length=200), nullable=False),
        sa.Column("source_sealed", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger(), nullable=False),
        sa.Column("codec", sa.String(length=64), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("channel_map", sa.Text(), nullable=True),
        sa.Column("intervals", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("peaks", sa.Text(), nullable=True),
        sa.Column("completed_ms", sa.BigInteger(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_analyses")),
        sa.UniqueConstraint(
            "account_sid", "media_key", name=op.f("uq_media_analyses_account_sid_media_key")
        ),
    )
    op.create_index(
        op.f("ix_media_analyses_status_next_attempt_ms"),
        "media_analyses",
        ["status", "next_attempt_ms"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_media_analyses_status_next_attempt_ms"), table_name="media_analyses")
    op.drop_table("media_analyses")
