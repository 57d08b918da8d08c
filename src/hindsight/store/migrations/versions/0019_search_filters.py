"""search filters: pick-list values kept by the projector (filled here from the projection),
saved searches and hidden list columns per person

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_SEGMENT_FACETS = {"queue": "queue_name", "agent": "agent_name", "team": "handling_team_name"}
_SUMMARY_FACETS = {"outcome": "outcome", "channel": "channel"}


def _backfill(table: str, facet: str, column: str) -> None:
    # As domain/search/pick_lists.py counts: one per conversation showing the value, per scope
    # tag it is filed under (the empty tag when none).
    conversation = "x.conversation_id IS NOT NULL AND " if table == "segments" else ""
    op.execute(
        sa.text(
            "INSERT INTO search_pick_values (account_sid, facet, tag, value, folded, uses) "
            f"SELECT x.account_sid, :facet, COALESCE(cs.tag, ''), TRIM(x.{column}), "
            f"LOWER(TRIM(x.{column})), COUNT(DISTINCT x.conversation_id) FROM {table} x "
            "LEFT JOIN conversation_scopes cs ON cs.account_sid = x.account_sid "
            "AND cs.conversation_id = x.conversation_id "
            f"WHERE {conversation}x.{column} IS NOT NULL AND TRIM(x.{column}) <> '' "
            f"AND LENGTH(TRIM(x.{column})) <= 200 "
            f"GROUP BY x.account_sid, COALESCE(cs.tag, ''), TRIM(x.{column})"
        ).bindparams(facet=facet)
    )


def upgrade() -> None:
    op.create_table(
        "search_pick_values",
        sa.Column("account_sid", sa.String(34), nullable=False),
        sa.Column("facet", sa.String(16), nullable=False),
        sa.Column("tag", sa.String(200), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("folded", sa.String(200), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_sid", "facet", "tag", "value", name=op.f("pk_search_pick_values")
        ),
    )
    op.create_index(
        op.f("ix_search_pick_values_account_sid_facet_folded"),
        "search_pick_values",
        ["account_sid", "facet", "folded"],
    )
    op.create_table(
        "saved_searches",
        sa.Column("sid", sa.String(34), nullable=False),
        sa.Column("account_sid", sa.String(34), nullable=False),
        sa.Column("user_sid", sa.String(34), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_sid"],
            ["users.sid"],
            name=op.f("fk_saved_searches_user_sid_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_saved_searches")),
        sa.UniqueConstraint("user_sid", "name", name=op.f("uq_saved_searches_user_sid_name")),
    )
    op.create_table(
        "list_preferences",
        sa.Column("user_sid", sa.String(34), nullable=False),
        sa.Column("hidden_columns", sa.Text(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_sid"],
            ["users.sid"],
            name=op.f("fk_list_preferences_user_sid_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_sid", name=op.f("pk_list_preferences")),
    )
    for facet, column in _SEGMENT_FACETS.items():
        _backfill("segments", facet, column)
    for facet, column in _SUMMARY_FACETS.items():
        _backfill("conversations", facet, column)
    # SQL's LOWER folds ASCII only on SQLite; fold as the application does.
    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT DISTINCT value FROM search_pick_values")).scalars()
    for value in list(stored):
        bind.execute(
            sa.text("UPDATE search_pick_values SET folded = :folded WHERE value = :value"),
            {"folded": value.strip().casefold(), "value": value},
        )


def downgrade() -> None:
    op.drop_table("list_preferences")
    op.drop_table("saved_searches")
    op.drop_index(
        op.f("ix_search_pick_values_account_sid_facet_folded"), table_name="search_pick_values"
    )
    op.drop_table("search_pick_values")
