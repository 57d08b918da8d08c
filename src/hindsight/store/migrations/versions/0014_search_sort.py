"""indexes for conversation lists sorted by talk, handling or queue time

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_MEASURES = ("talk_time", "handling_time", "queue_time")


def upgrade() -> None:
    for measure in _MEASURES:
        op.create_index(
            op.f(f"ix_conversations_account_sid_{measure}_id_start_ms"),
            "conversations",
            ["account_sid", measure, "id", "start_ms"],
        )


def downgrade() -> None:
    for measure in _MEASURES:
        op.drop_index(
            op.f(f"ix_conversations_account_sid_{measure}_id_start_ms"), table_name="conversations"
        )
