"""quality daily totals: the quality report reads daily sums instead of every assessment

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_SID = sa.String(34)


def _key() -> list[sa.Column]:
    return [
        sa.Column(
            "account_sid",
            _SID,
            sa.ForeignKey("accounts.sid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day_ms", sa.BigInteger(), primary_key=True),
        sa.Column("agent_id", sa.Text(), primary_key=True),
        sa.Column("agent_name", sa.Text(), primary_key=True),
        sa.Column("queue_name", sa.Text(), primary_key=True),
        sa.Column("questionnaire_sid", _SID, primary_key=True),
        sa.Column("scope_key", sa.String(40), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "qm_daily_totals",
        *_key(),
        sa.Column("assessments", sa.BigInteger(), nullable=False),
        sa.Column("scored", sa.BigInteger(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
    )
    op.create_table(
        "qm_daily_category_totals",
        *_key(),
        sa.Column("category_name", sa.Text(), primary_key=True),
        sa.Column("assessments", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("possible", sa.Float(), nullable=False),
    )
    op.create_table(
        "qm_scope_sets",
        sa.Column(
            "account_sid",
            _SID,
            sa.ForeignKey("accounts.sid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("scope_key", sa.String(40), primary_key=True),
        sa.Column("tag", sa.String(200), primary_key=True),
    )
    op.create_index(
        op.f("ix_qm_scope_sets_account_sid_tag"), "qm_scope_sets", ["account_sid", "tag"]
    )
    # The totals of the assessments already submitted (the same code that keeps them).
    from hindsight.store.quality.daily_totals import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f("ix_qm_scope_sets_account_sid_tag"), table_name="qm_scope_sets")
    for table in ("qm_scope_sets", "qm_daily_category_totals", "qm_daily_totals"):
        op.drop_table(table)
