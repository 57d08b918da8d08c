"""SCIM provisioning: bearer tokens, provisioned people's attributes, groups, group mapping

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_SID = sa.String(length=34)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_sid"],
        ["accounts.sid"],
        name=op.f(f"fk_{table}_account_sid_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "scim_tokens",
        sa.Column("sid", _SID, nullable=False),
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("last_used_ms", sa.BigInteger(), nullable=True),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        _account_fk("scim_tokens"),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_scim_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scim_tokens_token_hash")),
    )
    op.create_index(op.f("ix_scim_tokens_account_sid"), "scim_tokens", ["account_sid"])
    op.create_table(
        "scim_users",
        sa.Column("user_sid", _SID, nullable=False),
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_sid"],
            ["users.sid"],
            name=op.f("fk_scim_users_user_sid_users"),
            ondelete="CASCADE",
        ),
        _account_fk("scim_users"),
        sa.PrimaryKeyConstraint("user_sid", name=op.f("pk_scim_users")),
    )
    op.create_index(op.f("ix_scim_users_account_sid"), "scim_users", ["account_sid"])
    op.create_table(
        "scim_groups",
        sa.Column("sid", _SID, nullable=False),
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        _account_fk("scim_groups"),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_scim_groups")),
    )
    op.create_index(op.f("ix_scim_groups_account_sid"), "scim_groups", ["account_sid"])
    op.create_table(
        "scim_group_members",
        sa.Column("group_sid", _SID, nullable=False),
        sa.Column("user_sid", _SID, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_sid"],
            ["scim_groups.sid"],
            name=op.f("fk_scim_group_members_group_sid_scim_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_sid"],
            ["users.sid"],
            name=op.f("fk_scim_group_members_user_sid_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_sid", "user_sid", name=op.f("pk_scim_group_members")),
    )
    op.create_index(op.f("ix_scim_group_members_user_sid"), "scim_group_members", ["user_sid"])
    op.create_table(
        "scim_settings",
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("group_mapping", sa.Text(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        _account_fk("scim_settings"),
        sa.PrimaryKeyConstraint("account_sid", name=op.f("pk_scim_settings")),
    )


def downgrade() -> None:
    op.drop_table("scim_settings")
    op.drop_index(op.f("ix_scim_group_members_user_sid"), table_name="scim_group_members")
    op.drop_table("scim_group_members")
    op.drop_index(op.f("ix_scim_groups_account_sid"), table_name="scim_groups")
    op.drop_table("scim_groups")
    op.drop_index(op.f("ix_scim_users_account_sid"), table_name="scim_users")
    op.drop_table("scim_users")
    op.drop_index(op.f("ix_scim_tokens_account_sid"), table_name="scim_tokens")
    op.drop_table("scim_tokens")
