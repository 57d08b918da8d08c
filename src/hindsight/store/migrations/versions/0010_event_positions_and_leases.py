"""event positions from one counter (no workspace lock until commit), leases for background work

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Fixed here rather than imported: a migration must not change when the code does.
POSITION_BLOCK = 64

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    last = bind.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM events")).scalar_one()
    if bind.dialect.name == "postgresql":
        # Positions continue above every workspace's existing numbers, so each workspace's
        # log keeps increasing and stored cursors stay valid. One draw reserves a block, so
        # the events one append writes stay adjacent (see hindsight.store.events).
        op.execute(
            f"CREATE SEQUENCE event_positions INCREMENT BY {POSITION_BLOCK} "
            f"START WITH {int(last) + 1}"
        )
    else:
        op.create_table(
            "event_positions",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("last", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_event_positions")),
        )
        op.execute(sa.text(f"INSERT INTO event_positions (id, last) VALUES (1, {int(last)})"))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.Column("acquired_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_rate_limit_windows")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_windows")
    op.drop_table("leases")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE event_positions")
    else:
        op.drop_table("event_positions")
