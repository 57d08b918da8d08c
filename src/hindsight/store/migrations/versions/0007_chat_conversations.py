"""chat conversations: transcripts held through Twilio's Conversations API

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SID = sa.String(length=34)


def _dates() -> list[sa.Column]:
    return [
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
    ]


def _conversation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["conversation_sid"],
        ["chat_conversations.sid"],
        name=op.f(f"fk_{table}_conversation_sid_chat_conversations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "chat_conversations",
        sa.Column("sid", SID, nullable=False),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("unique_name", sa.Text(), nullable=True),
        sa.Column("friendly_name", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("messaging_service_sid", SID, nullable=True),
        sa.Column("next_message_index", sa.BigInteger(), nullable=False),
        *_dates(),
        sa.ForeignKeyConstraint(
            ["account_sid"],
            ["accounts.sid"],
            name=op.f("fk_chat_conversations_account_sid_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_chat_conversations")),
        sa.UniqueConstraint(
            "account_sid",
            "unique_name",
            name=op.f("uq_chat_conversations_account_sid_unique_name"),
        ),
    )
    op.create_index(
        op.f("ix_chat_conversations_account_sid_date_created_sid"),
        "chat_conversations",
        ["account_sid", "date_created", "sid"],
        unique=False,
    )
    op.create_table(
        "chat_participants",
        sa.Column("sid", SID, nullable=False),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("conversation_sid", SID, nullable=False),
        sa.Column("identity", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("proxy_address", sa.Text(), nullable=True),
        sa.Column("projected_address", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("role_sid", SID, nullable=True),
        sa.Column("last_read_message_index", sa.BigInteger(), nullable=True),
        sa.Column("last_read_timestamp", sa.BigInteger(), nullable=True),
        *_dates(),
        _conversation_fk("chat_participants"),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_chat_participants")),
        sa.UniqueConstraint(
            "conversation_sid",
            "address",
            "proxy_address",
            name=op.f("uq_chat_participants_conversation_sid_address_proxy_address"),
        ),
        sa.UniqueConstraint(
            "conversation_sid",
            "identity",
            name=op.f("uq_chat_participants_conversation_sid_identity"),
        ),
    )
    op.create_index(
        op.f("ix_chat_participants_conversation_sid_date_created_sid"),
        "chat_participants",
        ["conversation_sid", "date_created", "sid"],
        unique=False,
    )
    op.create_table(
        "chat_messages",
        sa.Column("sid", SID, nullable=False),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("conversation_sid", SID, nullable=False),
        sa.Column("message_index", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("media", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("participant_sid", SID, nullable=True),
        *_dates(),
        _conversation_fk("chat_messages"),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "conversation_sid",
            "message_index",
            name=op.f("uq_chat_messages_conversation_sid_message_index"),
        ),
    )


def downgrade() -> None:
    op.drop_table("chat_messages")
    op.drop_index(
        op.f("ix_chat_participants_conversation_sid_date_created_sid"),
        table_name="chat_participants",
    )
    op.drop_table("chat_participants")
    op.drop_index(
        op.f("ix_chat_conversations_account_sid_date_created_sid"),
        table_name="chat_conversations",
    )
    op.drop_table("chat_conversations")
