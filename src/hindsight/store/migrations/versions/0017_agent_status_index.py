"""a partial index on each worker's open activity stint (the projector closes it per change)

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_IN_PROGRESS = sa.text("kind = 'Agent Status in Progress'")


def upgrade() -> None:
    op.create_index(
        "ix_segments_agent_in_progress",
        "segments",
        ["worker_sid", "start_ms"],
        sqlite_where=_IN_PROGRESS,
        postgresql_where=_IN_PROGRESS,
    )


def downgrade() -> None:
    op.drop_index("ix_segments_agent_in_progress", table_name="segments")
