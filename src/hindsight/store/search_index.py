"""The search tables: documents, transcripts, transcript links and customer keys, and the
full-text conditions that find conversations through them on each store.

SQLite searches `<table>_fts` (FTS5, external content kept by triggers, migration 0013);
PostgreSQL evaluates `_VECTOR` against a GIN index built on exactly that expression. Neither
receives what a person typed: `TextQuery` renders only quoted letters-and-digits words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    column,
    delete,
    false,
    func,
    insert,
    literal_column,
    select,
    table,
    union,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.domain.search.text_query import TextQuery
from hindsight.store.schema import (
    chat_messages,
    chat_participants,
    conversations,
    search_customer_keys,
    search_documents,
    search_transcript_links,
    search_transcripts,
)

# What migration 0013 indexes on PostgreSQL (the planner uses the index only for this text).
_VECTOR = "to_tsvector('simple'::regconfig, regexp_replace({}.body, '[^[:alnum:]]+', ' ', 'g'))"
# A transcript line's separator between messages; the snippet shows one line's neighbourhood.
LINE = "\n"


# --- upkeep -----------------------------------------------------------------------------------


def _upsert(conn: Connection, target: Table, row: dict[str, Any], keys: Sequence[str]) -> None:
    build = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = build(target).values(row)
    changed = {k: statement.excluded[k] for k in row if k not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changed))


def _of(target: Table, account_sid: str, conversation_id: str) -> ColumnElement[bool]:
    return (target.c.account_sid == account_sid) & (target.c.conversation_id == conversation_id)


def save_conversation(
    conn: Connection,
    account_sid: str,
    conversation_id: str,
    *,
    body: str,
    customer: str | None,
    chat_sids: Iterable[str],
    customer_keys: Iterable[str],
) -> None:
    """Replace what search knows of one conversation."""
    _upsert(
        conn,
        search_documents,
        {
            "account_sid": account_sid,
            "conversation_id": conversation_id,
            "body": body,
            "customer": customer,
        },
        ("account_sid", "conversation_id"),
    )
    for target, name, values in (
        (search_transcript_links, "chat_sid", set(chat_sids)),
        (search_customer_keys, "value", set(customer_keys)),
    ):
        current = set(
            conn.execute(
                select(target.c[name]).where(_of(target, account_sid, conversation_id))
            ).scalars()
        )
        if current - values:
            conn.execute(
                delete(target).where(
                    _of(target, account_sid, conversation_id),
                    target.c[name].in_(sorted(current - values)),
                )
            )
        if values - current:
            conn.execute(
                insert(target),
                [
                    {"account_sid": account_sid, "conversation_id": conversation_id, name: v}
                    for v in sorted(values - current)
                ],
            )


SEARCH_TABLES = (search_documents, search_transcript_links, search_customer_keys)


def delete_conversations(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> None:
    """Forget conversations (the projection removed them, or retention deleted them)."""
    for target in SEARCH_TABLES:
        conn.execute(
            delete(target).where(
                target.c.account_sid == account_sid,
                target.c.conversation_id.in_(list(conversation_ids)),
            )
        )


def clear(conn: Connection) -> None:
    """Forget every conversation's search entries (a reprojection rebuilds them)."""
    for target in SEARCH_TABLES:
        conn.execute(delete(target))


def participant_addresses(
    conn: Connection, account_sid: str, chat_sids: Sequence[str]
) -> list[str]:
    """The messaging addresses (phone, WhatsApp) of the people in some of an account's chats.
    Chat identities are left out: they name agents as often as customers."""
    if not chat_sids:
        return []
    p = chat_participants.c
    rows = conn.execute(
        select(p.address)
        .where(p.account_sid == account_sid, p.conversation_sid.in_(list(chat_sids)))
        .where(p.address.is_not(None))
        .order_by(p.date_created, p.sid)
    )
    return list(rows.scalars())


def linked_conversations(conn: Connection, account_sid: str, chat_sid: str) -> list[str]:
    link = search_transcript_links.c
    return list(
        conn.execute(
            select(link.conversation_id).where(
                link.account_sid == account_sid, link.chat_sid == chat_sid
            )
        ).scalars()
    )


def add_customer_keys(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str], values: Iterable[str]
) -> None:
    rows = [
        {"account_sid": account_sid, "conversation_id": c, "value": v}
        for c in conversation_ids
        for v in sorted(set(values))
    ]
    if not rows:
        return
    build = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(build(search_customer_keys).on_conflict_do_nothing(), rows)


def rebuild_transcript(conn: Connection, account_sid: str, chat_sid: str) -> None:
    """Rewrite a transcript's searchable text from its messages (or drop it with the chat)."""
    m = chat_messages.c
    rows = conn.execute(
        select(m.author, m.body)
        .where(m.conversation_sid == chat_sid, m.account_sid == account_sid)
        .order_by(m.message_index)
    ).all()
    if not rows:
        conn.execute(delete(search_transcripts).where(search_transcripts.c.chat_sid == chat_sid))
        return
    body = LINE.join(f"{r.author}: {r.body or ''}" for r in rows)
    _upsert(
        conn,
        search_transcripts,
        {"account_sid": account_sid, "chat_sid": chat_sid, "body": body},
        ("chat_sid",),
    )


def append_transcript_line(conn: Connection, account_sid: str, chat_sid: str, line: str) -> None:
    """Add one message at the end of a transcript's text: the common case, without rereading
    the messages (concurrent messages of one chat are serialised by its row lock)."""
    build = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = build(search_transcripts).values(
        account_sid=account_sid, chat_sid=chat_sid, body=line
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["chat_sid"],
            set_={"body": search_transcripts.c.body + LINE + statement.excluded.body},
        )
    )


def delete_transcripts(conn: Connection, chat_sids: Sequence[str]) -> None:
    if chat_sids:
        conn.execute(
            delete(search_transcripts).where(search_transcripts.c.chat_sid.in_(list(chat_sids)))
        )


# --- matching ---------------------------------------------------------------------------------


def _matching(target: Table, query: TextQuery, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        vector = literal_column(_VECTOR.format(target.name))
        wanted = func.to_tsquery(literal_column("'simple'::regconfig"), query.tsquery())
        return vector.op("@@")(wanted)
    fts = table(f"{target.name}_fts", column("rowid"), column(f"{target.name}_fts"))
    found = select(fts.c.rowid).where(fts.c[f"{target.name}_fts"].op("MATCH")(query.fts5()))
    return target.c.id.in_(found)


def _documents_matching(account_sid: str, query: TextQuery, dialect: str) -> Select[Any]:
    d = search_documents
    return select(d.c.conversation_id).where(
        d.c.account_sid == account_sid, _matching(d, query, dialect)
    )


def _transcripts_matching(account_sid: str, query: TextQuery, dialect: str) -> Select[Any]:
    link, t = search_transcript_links, search_transcripts
    return (
        select(link.c.conversation_id)
        .join(t, t.c.chat_sid == link.c.chat_sid)
        .where(
            link.c.account_sid == account_sid,
            t.c.account_sid == account_sid,
            _matching(t, query, dialect),
        )
    )


def text_condition(
    account_sid: str, query: TextQuery, dialect: str, transcripts: bool
) -> ColumnElement[bool]:
    """The conversation matches `query` in its document or (if allowed) a transcript."""
    if query.empty:
        return false()
    found: Any = _documents_matching(account_sid, query, dialect)
    if transcripts:
        found = union(found, _transcripts_matching(account_sid, query, dialect))
    return conversations.c.conversation_id.in_(found)


def customer_condition(account_sid: str, values: Sequence[str]) -> ColumnElement[bool]:
    k = search_customer_keys.c
    found = select(k.conversation_id).where(k.account_sid == account_sid, k.value.in_(list(values)))
    return conversations.c.conversation_id.in_(found)


# --- what the list shows ----------------------------------------------------------------------


def documents(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> dict[str, Any]:
    """conversation id -> its document row (body, customer)."""
    if not conversation_ids:
        return {}
    d = search_documents.c
    rows = conn.execute(
        select(d.conversation_id, d.body, d.customer).where(
            d.account_sid == account_sid, d.conversation_id.in_(list(conversation_ids))
        )
    )
    return {r.conversation_id: r for r in rows}


def matching_transcripts(
    conn: Connection,
    account_sid: str,
    conversation_ids: Sequence[str],
    query: TextQuery,
) -> dict[str, str]:
    """conversation id -> the text of one of its transcripts that matches `query`."""
    if not conversation_ids:
        return {}
    link, t = search_transcript_links, search_transcripts
    rows = conn.execute(
        select(link.c.conversation_id, t.c.body)
        .join(t, t.c.chat_sid == link.c.chat_sid)
        .where(
            link.c.account_sid == account_sid,
            t.c.account_sid == account_sid,
            link.c.conversation_id.in_(list(conversation_ids)),
            _matching(t, query, conn.dialect.name),
        )
        .order_by(link.c.conversation_id, link.c.chat_sid)
    )
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.conversation_id, row.body)
    return found


# --- what the migrations hold outside the metadata -------------------------------------------

FULL_TEXT_TABLES = (search_documents.name, search_transcripts.name)
_FTS_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")
_MIGRATION_ONLY = frozenset(
    {f"{name}_fts{shadow}" for name in FULL_TEXT_TABLES for shadow in _FTS_SHADOWS}
    | {f"ix_{name}_body_fts" for name in FULL_TEXT_TABLES}
)


def described_by_migration(
    item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
) -> bool:
    """For Alembic's comparison: the full-text tables and indexes (SQL the metadata cannot
    describe) are the migration's, not differences from the schema."""
    return not (reflected and name in _MIGRATION_ONLY)
