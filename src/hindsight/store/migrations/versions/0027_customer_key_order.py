"""customer keys hold their conversation's place in the list (start, row id), indexed after
the value, so a customer's first page is read in list order from the index

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_TABLE = "search_customer_keys"
_BY_VALUE = "ix_search_customer_keys_account_sid_value"
_IN_LIST_ORDER = "ix_search_customer_keys_account_sid_value_start_ms_row_id"
_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The old index goes first: the fill below would otherwise update it for every row.
    op.drop_index(op.f(_BY_VALUE), table_name=_TABLE)
    with op.batch_alter_table(_TABLE) as batch:
        batch.add_column(sa.Column("start_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("row_id", _ROW_ID, nullable=True))
    op.execute(
        f"UPDATE {_TABLE} SET start_ms = c.start_ms, row_id = c.id FROM conversations c"
        f" WHERE c.account_sid = {_TABLE}.account_sid"
        f" AND c.conversation_id = {_TABLE}.conversation_id"
    )
    # Keys of no conversation: every search reaches conversations through their rows.
    op.execute(f"DELETE FROM {_TABLE} WHERE row_id IS NULL")
    with op.batch_alter_table(_TABLE) as batch:
        batch.alter_column("start_ms", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("row_id", existing_type=_ROW_ID, nullable=False)
    op.create_index(op.f(_IN_LIST_ORDER), _TABLE, ["account_sid", "value", "start_ms", "row_id"])


def downgrade() -> None:
    op.drop_index(op.f(_IN_LIST_ORDER), table_name=_TABLE)
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_column("row_id")
        batch.drop_column("start_ms")
    op.create_index(op.f(_BY_VALUE), _TABLE, ["account_sid", "value"])
