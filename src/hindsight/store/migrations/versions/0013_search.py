"""conversation search: documents, transcripts, transcript links, customer keys and their
full-text indexes (SQLite FTS5 tables kept by triggers; PostgreSQL GIN expression indexes)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_SID = sa.String(length=34)
# The indexed text: runs of letters and digits separated by single spaces, so PostgreSQL's
# parser cuts words where SQLite's unicode61 tokenizer does (an e-mail or a phone number is
# several words, not one token). store/search_index.py queries with the same expression.
_PG_VECTOR = "to_tsvector('simple'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))"
_FTS_TABLES = ("search_documents", "search_transcripts")


def _create_tables() -> None:
    for name, key in (("search_documents", "conversation_id"), ("search_transcripts", "chat_sid")):
        key_column = (
            sa.Column("conversation_id", sa.String(length=128), nullable=False)
            if key == "conversation_id"
            else sa.Column("chat_sid", _SID, nullable=False)
        )
        extra = (
            [sa.Column("customer", sa.Text(), nullable=True)] if name == "search_documents" else []
        )
        unique = ("account_sid", "conversation_id") if key == "conversation_id" else ("chat_sid",)
        op.create_table(
            name,
            sa.Column("id", _ROW_ID, autoincrement=True, nullable=False),
            sa.Column("account_sid", _SID, nullable=False),
            key_column,
            sa.Column("body", sa.Text(), nullable=False),
            *extra,
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            sa.UniqueConstraint(*unique, name=op.f(f"uq_{name}_{'_'.join(unique)}")),
        )
    op.create_table(
        "search_transcript_links",
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("chat_sid", _SID, nullable=False),
        sa.PrimaryKeyConstraint(
            "account_sid", "conversation_id", "chat_sid", name=op.f("pk_search_transcript_links")
        ),
    )
    op.create_index(
        op.f("ix_search_transcript_links_account_sid_chat_sid"),
        "search_transcript_links",
        ["account_sid", "chat_sid"],
    )
    op.create_table(
        "search_customer_keys",
        sa.Column("account_sid", _SID, nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_sid", "conversation_id", "value", name=op.f("pk_search_customer_keys")
        ),
    )
    op.create_index(
        op.f("ix_search_customer_keys_account_sid_value"),
        "search_customer_keys",
        ["account_sid", "value"],
    )


def sqlite_full_text(table: str) -> None:
    fts = f"{table}_fts"
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5(body, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.id, new.body); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.id, old.body); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF body ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.id, old.body); "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.id, new.body); END"
    )


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "sqlite":
        for table in _FTS_TABLES:
            sqlite_full_text(table)
    else:
        for table in _FTS_TABLES:
            op.execute(f"CREATE INDEX ix_{table}_body_fts ON {table} USING gin (({_PG_VECTOR}))")


def downgrade() -> None:
    for table in _FTS_TABLES:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_body_fts")
    for table in (
        "search_customer_keys",
        "search_transcript_links",
        "search_transcripts",
        "search_documents",
    ):
        op.drop_table(table)
