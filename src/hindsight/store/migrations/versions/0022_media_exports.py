"""Bulk media exports: ZIPs of conversations' recordings and transcripts, built in the background

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_exports",
        sa.Column("id", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("actor_sid", sa.String(length=34), nullable=False),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("conversation_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("failed_items", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_ms", sa.BigInteger(), nullable=True),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_exports")),
    )
    op.create_index(
        op.f("ix_media_exports_status_lease_until_ms"),
        "media_exports",
        ["status", "lease_until_ms"],
    )
    op.create_index(op.f("ix_media_exports_expires_ms"), "media_exports", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("media_exports")
