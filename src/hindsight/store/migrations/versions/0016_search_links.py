"""transcript links indexed chat first and covering, so a matching transcript finds its
conversations without reading the table

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(
        op.f("ix_search_transcript_links_account_sid_chat_sid"),
        table_name="search_transcript_links",
    )
    op.create_index(
        op.f("ix_search_transcript_links_account_sid_chat_sid_conversation_id"),
        "search_transcript_links",
        ["account_sid", "chat_sid", "conversation_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_search_transcript_links_account_sid_chat_sid_conversation_id"),
        table_name="search_transcript_links",
    )
    op.create_index(
        op.f("ix_search_transcript_links_account_sid_chat_sid"),
        "search_transcript_links",
        ["account_sid", "chat_sid"],
    )
