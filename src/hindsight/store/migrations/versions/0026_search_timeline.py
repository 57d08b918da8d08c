"""SQLite: one full-text row per conversation, keyed in the list's order (newest first by
start), replacing the document and transcript FTS5 tables: a text search walks the index
newest first and stops at a page instead of reading and sorting every match

Revision ID: 0026
Revises: 0025

`search_conversation_text` holds each conversation's list key (`start_ms * 2**20` plus a
sequence within the millisecond), its document text and its linked transcripts' text;
`search_conversation_text_fts` indexes the two columns with the list key as rowid, so
`MATCH … ORDER BY rowid DESC` reads matches newest first and a period is a rowid range.
Triggers keep both current from the tables the projector, the chat service and retention
already write (conversations, search documents, transcripts and their links), so no writer
has to know. PostgreSQL is unchanged (its lists walk the conversations: store/search/).
"""

from __future__ import annotations

import importlib

from alembic import op

# Migration 0013's FTS5 tables and triggers, for the downgrade.
_search = importlib.import_module("hindsight.store.migrations.versions.0013_search")

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_TEXT = "search_conversation_text"
_FTS = f"{_TEXT}_fts"
# Sequence numbers within one millisecond of start (store/search/timeline.py reads keys so).
_PER_MS = 1 << 20
_OLD_FTS = ("search_documents", "search_transcripts")
_WRITES = ("insert", "update", "delete")


def _document(account: str, conversation: str) -> str:
    return (
        "(SELECT d.body FROM search_documents d"
        f" WHERE d.account_sid = {account} AND d.conversation_id = {conversation})"
    )


def _transcript(account: str, conversation: str) -> str:
    return (
        "(SELECT group_concat(t.body, char(10)) FROM search_transcript_links l"
        " JOIN search_transcripts t ON t.account_sid = l.account_sid AND t.chat_sid = l.chat_sid"
        f" WHERE l.account_sid = {account} AND l.conversation_id = {conversation})"
    )


def _next_key(start: str) -> str:
    """The first free key of the millisecond `start` (after every key already taken in it)."""
    return (
        f"(SELECT coalesce(max(list_key) + 1, {start} * {_PER_MS}) FROM {_TEXT}"
        f" WHERE list_key >= {start} * {_PER_MS} AND list_key < ({start} + 1) * {_PER_MS})"
    )


def _text_rows() -> None:
    op.execute(
        f"CREATE TABLE {_TEXT} (list_key INTEGER PRIMARY KEY, account_sid VARCHAR(34) NOT NULL,"
        " conversation_id VARCHAR(128) NOT NULL, document TEXT, transcript TEXT,"
        f" CONSTRAINT uq_{_TEXT}_account_sid_conversation_id UNIQUE (account_sid, conversation_id))"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE {_FTS} USING fts5(document, transcript, content='{_TEXT}',"
        " content_rowid='list_key', tokenize='unicode61 remove_diacritics 0')"
    )
    old = "'delete', old.list_key, old.document, old.transcript"
    new = "new.list_key, new.document, new.transcript"
    op.execute(
        f"CREATE TRIGGER {_FTS}_ai AFTER INSERT ON {_TEXT} BEGIN "
        f"INSERT INTO {_FTS}(rowid, document, transcript) VALUES ({new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {_FTS}_ad AFTER DELETE ON {_TEXT} BEGIN "
        f"INSERT INTO {_FTS}({_FTS}, rowid, document, transcript) VALUES ({old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {_FTS}_au AFTER UPDATE ON {_TEXT}"
        " WHEN old.list_key IS NOT new.list_key OR old.document IS NOT new.document"
        " OR old.transcript IS NOT new.transcript BEGIN "
        f"INSERT INTO {_FTS}({_FTS}, rowid, document, transcript) VALUES ({old}); "
        f"INSERT INTO {_FTS}(rowid, document, transcript) VALUES ({new}); END"
    )


def _kept_from_sources() -> None:
    """Triggers on what the text is made of: a conversation's row (its key), its document,
    its transcript links and the transcripts' text."""
    this = "account_sid = new.account_sid AND conversation_id = new.conversation_id"
    op.execute(
        f"CREATE TRIGGER {_TEXT}_conversation_ai AFTER INSERT ON conversations BEGIN "
        f"INSERT INTO {_TEXT}(list_key, account_sid, conversation_id, document, transcript)"
        f" VALUES ({_next_key('new.start_ms')}, new.account_sid, new.conversation_id,"
        f" {_document('new.account_sid', 'new.conversation_id')},"
        f" {_transcript('new.account_sid', 'new.conversation_id')}); END"
    )
    # A new start is a new place in the list: a new key (the row moves in the index).
    op.execute(
        f"CREATE TRIGGER {_TEXT}_conversation_au AFTER UPDATE OF start_ms ON conversations"
        f" WHEN old.start_ms IS NOT new.start_ms BEGIN "
        f"UPDATE {_TEXT} SET list_key = {_next_key('new.start_ms')} WHERE {this}; END"
    )
    op.execute(
        f"CREATE TRIGGER {_TEXT}_conversation_ad AFTER DELETE ON conversations BEGIN "
        f"DELETE FROM {_TEXT} WHERE account_sid = old.account_sid"
        " AND conversation_id = old.conversation_id; END"
    )
    for event, row in (("INSERT", "new"), ("UPDATE OF body", "new"), ("DELETE", "old")):
        name = event.split()[0].lower()
        keyed = f"account_sid = {row}.account_sid AND conversation_id = {row}.conversation_id"
        document = _document(f"{row}.account_sid", f"{row}.conversation_id")
        op.execute(
            f"CREATE TRIGGER {_TEXT}_document_{name} AFTER {event} ON search_documents BEGIN "
            f"UPDATE {_TEXT} SET document = {document} WHERE {keyed}; END"
        )
        # Each row of the update's table computes its own transcripts (a chat may be linked
        # to several conversations).
        transcript = _transcript(f"{_TEXT}.account_sid", f"{_TEXT}.conversation_id")
        op.execute(
            f"CREATE TRIGGER {_TEXT}_transcript_{name} AFTER {event} ON search_transcripts BEGIN "
            f"UPDATE {_TEXT} SET transcript = {transcript}"
            f" WHERE account_sid = {row}.account_sid AND conversation_id IN"
            " (SELECT l.conversation_id FROM search_transcript_links l"
            f" WHERE l.account_sid = {row}.account_sid AND l.chat_sid = {row}.chat_sid); END"
        )
        if event != "UPDATE OF body":  # a link is its key: inserted or deleted, never updated
            op.execute(
                f"CREATE TRIGGER {_TEXT}_link_{name} AFTER {event} ON search_transcript_links"
                f" BEGIN UPDATE {_TEXT} SET transcript = {transcript} WHERE {keyed}; END"
            )


def _fill() -> None:
    """Every conversation's row, keyed by start and then row id, inserted in key order."""
    op.execute(
        f"INSERT INTO {_TEXT}(list_key, account_sid, conversation_id, document, transcript)"
        f" SELECT c.start_ms * {_PER_MS}"
        " + row_number() OVER (PARTITION BY c.start_ms ORDER BY c.id) - 1,"
        " c.account_sid, c.conversation_id, d.body,"
        f" {_transcript('c.account_sid', 'c.conversation_id')}"
        " FROM conversations c LEFT JOIN search_documents d"
        " ON d.account_sid = c.account_sid AND d.conversation_id = c.conversation_id"
        " ORDER BY 1"
    )


def _drop_old_full_text() -> None:
    for table in _OLD_FTS:
        for suffix in ("ai", "ad", "au"):  # on the source table: they outlive the index
            op.execute(f"DROP TRIGGER {table}_fts_{suffix}")
        op.execute(f"DROP TABLE {table}_fts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _text_rows()
    _fill()
    _kept_from_sources()
    _drop_old_full_text()


def _restore_old_full_text() -> None:
    for table in _OLD_FTS:
        _search.sqlite_full_text(table)
        op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TABLE {_FTS}")
    op.execute(f"DROP TABLE {_TEXT}")  # its triggers on itself go with it
    for trigger in (
        "conversation_ai",
        "conversation_au",
        "conversation_ad",
        *(f"{kind}_{name}" for kind in ("document", "transcript") for name in _WRITES),
        "link_insert",
        "link_delete",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {_TEXT}_{trigger}")
    _restore_old_full_text()
