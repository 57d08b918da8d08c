"""twilio sources: real Twilio accounts whose TaskRouter events are mirrored into workspaces

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "twilio_sources",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("twilio_account_sid", sa.String(length=34), nullable=False),
        sa.Column("auth_token_sealed", sa.Text(), nullable=False),
        sa.Column("friendly_name", sa.Text(), nullable=False),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_twilio_sources_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_twilio_sources")),
        sa.UniqueConstraint(
            "twilio_account_sid", name=op.f("uq_twilio_sources_twilio_account_sid")
        ),
    )
    op.create_index(
        op.f("ix_twilio_sources_account_sid"), "twilio_sources", ["account_sid"], unique=False
    )
    # A nullable column needs no table rebuild on SQLite (plain ALTER TABLE ADD COLUMN), which
    # matters here: rebuilding `workspaces` would cascade-delete everything that refers to it.
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("mirror_source", sa.String(length=34), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+) rather than a batch rebuild, for the reason above.
        op.execute("ALTER TABLE workspaces DROP COLUMN mirror_source")
    else:
        op.drop_column("workspaces", "mirror_source")
    op.drop_index(op.f("ix_twilio_sources_account_sid"), table_name="twilio_sources")
    op.drop_table("twilio_sources")
