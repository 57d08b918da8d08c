"""The search tables: documents, transcripts, transcript links and customer keys, and the
full-text conditions that find conversations through them on each store.

SQLite searches one full-text row per conversation in the list's order (`timeline`,
migration 0026); PostgreSQL evaluates `_VECTOR` against a GIN index built on exactly that
expression. Neither receives what a person typed: `TextQuery` renders only quoted
letters-and-digits words.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Delete,
    Select,
    String,
    Table,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.domain.search.text_query import TextQuery
from hindsight.store.any_of import any_of
from hindsight.store.schema import (
    chat_messages,
    chat_participants,
    conversations,
    search_customer_keys,
    search_documents,
    search_transcript_links,
    search_transcripts,
)
from hindsight.store.search import timeline

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


@dataclass(frozen=True)
class SearchEntry:
    """What search knows of one conversation."""

    conversation_id: str
    body: str
    customer: str | None
    chat_sids: frozenset[str]
    customer_keys: frozenset[str]


@functools.cache
def _existing_query(target: Table, name: str) -> Select[Any]:
    """Built once per table: the projector reads these for every batch."""
    return select(target.c.conversation_id, target.c[name]).where(
        target.c.account_sid == bindparam("account"),
        any_of(target.c.conversation_id, "conversations"),
    )


@functools.cache
def _delete_stale(target: Table, name: str) -> Delete:
    return delete(target).where(
        target.c.account_sid == bindparam("account"),
        target.c.conversation_id == bindparam("conversation"),
        target.c[name] == bindparam("stale"),
    )


def _existing(
    conn: Connection, target: Table, name: str, account_sid: str, ids: list[str]
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {cid: set() for cid in ids}
    query = _existing_query(target, name)
    rows = conn.execute(query, {"account": account_sid, "conversations": ids})
    for row in rows:
        found[row[0]].add(row[1])
    return found


def _replace_sets(
    conn: Connection,
    target: Table,
    name: str,
    account_sid: str,
    current: Mapping[str, set[str]],
    wanted: Mapping[str, frozenset[str]],
) -> None:
    added = [
        {"account_sid": account_sid, "conversation_id": cid, name: value}
        for cid, values in sorted(wanted.items())
        for value in sorted(values - current[cid])
    ]
    # One statement for every stale value of every conversation (one parameter set each).
    stale = [
        {"account": account_sid, "conversation": cid, "stale": value}
        for cid, values in sorted(wanted.items())
        for value in sorted(current[cid] - values)
    ]
    if stale:
        conn.execute(_delete_stale(target, name), stale)
    if not added:
        return
    if target is search_customer_keys:
        _add_keys(conn, added)
    else:
        conn.execute(insert(target).inline(), added)


@functools.cache
def _placed_keys(dialect: str) -> Any:
    """Customer keys inserted with their conversation's place in the list, read from its row
    as the statement runs (the projector writes the row earlier in the same batch, so the
    place is the one just written, with no read between the writes)."""
    c, k = conversations.c, search_customer_keys.c
    placed = select(
        c.account_sid, c.conversation_id, bindparam("key_value", type_=String), c.start_ms, c.id
    ).where(
        c.account_sid == bindparam("key_account"),
        c.conversation_id == bindparam("key_conversation"),
    )
    build = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = [k.account_sid, k.conversation_id, k.value, k.start_ms, k.row_id]
    return build(search_customer_keys).from_select(columns, placed).on_conflict_do_nothing()


def _add_keys(conn: Connection, rows: Sequence[Mapping[str, str]]) -> None:
    """Add (account_sid, conversation_id, value) keys; those of no conversation are left out
    (every search reaches conversations through their rows)."""
    conn.execute(
        _placed_keys(conn.dialect.name),
        [
            {
                "key_account": r["account_sid"],
                "key_conversation": r["conversation_id"],
                "key_value": r["value"],
            }
            for r in rows
        ],
    )


_MOVE_KEYS = (
    update(search_customer_keys)
    .where(
        search_customer_keys.c.account_sid == bindparam("account"),
        search_customer_keys.c.conversation_id == bindparam("conversation"),
    )
    .values(start_ms=bindparam("start"))
)


def move_customer_keys(conn: Connection, account_sid: str, starts: Mapping[str, int]) -> None:
    """Conversations whose start changed (conversation id -> new start): their customer keys
    follow, so the customer's list stays in order."""
    if starts:
        conn.execute(
            _MOVE_KEYS,
            [
                {"account": account_sid, "conversation": cid, "start": start}
                for cid, start in sorted(starts.items())
            ],
        )


_STORED_DOCUMENTS = select(
    search_documents.c.conversation_id, search_documents.c.body, search_documents.c.customer
).where(
    search_documents.c.account_sid == bindparam("account"),
    any_of(search_documents.c.conversation_id, "conversations"),
)


@functools.cache
def _save_documents(dialect: str) -> Any:
    build = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = build(search_documents).inline()
    return statement.on_conflict_do_update(
        index_elements=["account_sid", "conversation_id"],
        set_={"body": statement.excluded.body, "customer": statement.excluded.customer},
    )


@dataclass(frozen=True)
class StoredEntries:
    """What search holds of some conversations, read before their entries are rewritten."""

    documents: Mapping[str, tuple[str, str | None]]
    chat_sids: Mapping[str, set[str]]
    customer_keys: Mapping[str, set[str]]


def stored_entries(conn: Connection, account_sid: str, ids: Sequence[str]) -> StoredEntries:
    wanted = sorted(set(ids))
    documents = conn.execute(_STORED_DOCUMENTS, {"account": account_sid, "conversations": wanted})
    return StoredEntries(
        documents={row.conversation_id: (row.body, row.customer) for row in documents},
        chat_sids=_existing(conn, search_transcript_links, "chat_sid", account_sid, wanted),
        customer_keys=_existing(conn, search_customer_keys, "value", account_sid, wanted),
    )


def write_entries(
    conn: Connection, account_sid: str, entries: Sequence[SearchEntry], stored: StoredEntries
) -> None:
    """Write what changed of these conversations' entries against what `stored_entries` read
    (statements only, no reads: they can be sent together)."""
    changed = [
        {
            "account_sid": account_sid,
            "conversation_id": e.conversation_id,
            "body": e.body,
            "customer": e.customer,
        }
        for e in entries
        if stored.documents.get(e.conversation_id) != (e.body, e.customer)
    ]
    if changed:
        conn.execute(_save_documents(conn.dialect.name), changed)
    _replace_sets(
        conn,
        search_transcript_links,
        "chat_sid",
        account_sid,
        stored.chat_sids,
        {e.conversation_id: e.chat_sids for e in entries},
    )
    _replace_sets(
        conn,
        search_customer_keys,
        "value",
        account_sid,
        stored.customer_keys,
        {e.conversation_id: e.customer_keys for e in entries},
    )


def save_entries(conn: Connection, account_sid: str, entries: Sequence[SearchEntry]) -> None:
    """Replace what search knows of these conversations, writing only what changed."""
    stored = stored_entries(conn, account_sid, [e.conversation_id for e in entries])
    write_entries(conn, account_sid, entries, stored)


SEARCH_TABLES = (search_documents, search_transcript_links, search_customer_keys)


@functools.cache
def _delete_of_conversations(target: Table) -> Delete:
    return delete(target).where(
        target.c.account_sid == bindparam("account"),
        any_of(target.c.conversation_id, "conversations"),
    )


def delete_conversations(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> None:
    """Forget conversations (the projection removed them, or retention deleted them)."""
    for target in SEARCH_TABLES:
        conn.execute(
            _delete_of_conversations(target),
            {"account": account_sid, "conversations": list(conversation_ids)},
        )


def clear(conn: Connection) -> None:
    """Forget every conversation's search entries (a reprojection rebuilds them)."""
    for target in SEARCH_TABLES:
        conn.execute(delete(target))


_ADDRESSES = (
    select(chat_participants.c.conversation_sid, chat_participants.c.address)
    .where(
        chat_participants.c.account_sid == bindparam("account"),
        any_of(chat_participants.c.conversation_sid, "chats"),
        chat_participants.c.address.is_not(None),
    )
    .order_by(chat_participants.c.date_created, chat_participants.c.sid)
)


def participant_addresses(
    conn: Connection, account_sid: str, chat_sids: Sequence[str]
) -> dict[str, list[str]]:
    """chat SID -> the messaging addresses (phone, WhatsApp) of the people in it. Chat
    identities are left out: they name agents as often as customers."""
    if not chat_sids:
        return {}
    rows = conn.execute(_ADDRESSES, {"account": account_sid, "chats": list(chat_sids)})
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.conversation_sid, []).append(row.address)
    return found


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
    if rows:
        _add_keys(conn, rows)


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


def _matching(target: Table, query: TextQuery) -> ColumnElement[bool]:
    """PostgreSQL: the row's text matches (SQLite matches in `timeline`)."""
    vector = literal_column(_VECTOR.format(target.name))
    wanted = func.to_tsquery(literal_column("'simple'::regconfig"), query.tsquery())
    return vector.op("@@")(wanted)


def _documents_matching(account_sid: str, query: TextQuery) -> Any:
    d = search_documents
    return select(d.c.conversation_id).where(d.c.account_sid == account_sid, _matching(d, query))


def _transcripts_matching(account_sid: str, query: TextQuery) -> Any:
    link, t = search_transcript_links, search_transcripts
    return (
        select(link.c.conversation_id)
        .join(t, t.c.chat_sid == link.c.chat_sid)
        .where(
            link.c.account_sid == account_sid,
            t.c.account_sid == account_sid,
            _matching(t, query),
        )
    )


def matches(
    account_sid: str,
    query: TextQuery,
    dialect: str,
    transcripts: bool,
    period: tuple[int | None, int | None] = (None, None),
) -> Any:
    """The conversation ids matching `query` in their document or (if allowed) a transcript,
    as a subquery (column `conversation_id`) yielding them as the index does: on PostgreSQL
    an id may come twice (document and transcript), and nothing is sorted or gathered before
    the first. SQLite reads only the keys of conversations starting in `period`."""
    if dialect == "sqlite":
        keys = timeline.key_range(*period)
        return timeline.matches(account_sid, query, transcripts, keys).subquery("matched")
    found: Any = _documents_matching(account_sid, query)
    if transcripts:
        found = union_all(found, _transcripts_streamed(account_sid, query))
    return found.subquery("matched")


def _transcripts_streamed(account_sid: str, query: TextQuery) -> Any:
    """`_transcripts_matching` for reading only the first matches: PostgreSQL plans the join
    of every match with every link (a hash of a million links, 3.8 s for a common word at
    1 M before the first row); each transcript's links looked up in turn (`OFFSET 0` keeps
    the lateral subquery from being merged back into that join) yield rows at once."""
    link, t = search_transcript_links, search_transcripts
    links = (
        select(link.c.conversation_id)
        .where(link.c.account_sid == t.c.account_sid, link.c.chat_sid == t.c.chat_sid)
        .offset(0)
        .lateral("links")
    )
    return (
        select(links.c.conversation_id)
        .select_from(t.join(links, true()))
        .where(t.c.account_sid == account_sid, _matching(t, query))
    )


def text_condition(
    account_sid: str, query: TextQuery, dialect: str, transcripts: bool
) -> ColumnElement[bool]:
    """The conversation matches `query` in its document or (if allowed) a transcript."""
    if query.empty:
        return false()
    if dialect == "sqlite":
        matched = matches(account_sid, query, dialect, transcripts)
        return conversations.c.conversation_id.in_(select(matched.c.conversation_id))
    found: Any = _documents_matching(account_sid, query)
    if transcripts:
        found = union(found, _transcripts_matching(account_sid, query))
    return conversations.c.conversation_id.in_(found)


# --- many matches: probing the conversations a list walks -------------------------------------

# A list of a common word's matches on PostgreSQL walks the conversations in the list's order
# and asks of each whether it matches, until it has a page: reading every match first (hundreds
# of thousands of a million conversations) and sorting them is what made a common word slow.
# The probe evaluates the indexed expression on the one row; `OFFSET 0` keeps the planner from
# turning the EXISTS into a join that reads every match through the GIN index. (SQLite does
# not walk: see insights_queries.WALKING_DIALECTS.)
_DOCUMENT_PROBE = (
    "EXISTS (SELECT 1 FROM search_documents d WHERE d.account_sid = conversations.account_sid"
    " AND d.conversation_id = conversations.conversation_id"
    f" AND {_VECTOR.format('d')} @@ to_tsquery('simple'::regconfig, :probe_document) OFFSET 0)"
)
_TRANSCRIPT_PROBE = (
    "EXISTS (SELECT 1 FROM search_transcript_links l JOIN search_transcripts t"
    " ON t.chat_sid = l.chat_sid AND t.account_sid = l.account_sid"
    " WHERE l.account_sid = conversations.account_sid"
    " AND l.conversation_id = conversations.conversation_id"
    f" AND {_VECTOR.format('t')} @@ to_tsquery('simple'::regconfig, :probe_transcript) OFFSET 0)"
)


def text_probe(query: TextQuery, transcripts: bool) -> ColumnElement[bool]:
    """PostgreSQL: the `conversations` row matches `query` in its document or (if allowed) a
    transcript, asked of that row alone (for a list walking the conversations in its order)."""
    if query.empty:
        return false()
    rendered = query.tsquery()
    found = [text(_DOCUMENT_PROBE).bindparams(probe_document=rendered)]
    if transcripts:
        found.append(text(_TRANSCRIPT_PROBE).bindparams(probe_transcript=rendered))
    return or_(*found)


def customer_condition(account_sid: str, values: Sequence[str]) -> ColumnElement[bool]:
    k = search_customer_keys.c
    found = select(k.conversation_id).where(k.account_sid == account_sid, k.value.in_(list(values)))
    return conversations.c.conversation_id.in_(found)


# --- few matches: the conversations themselves --------------------------------------------------

# Up to this many matches, a search reads the matching conversations by row id and sorts them;
# beyond it, it walks the list's order and keeps the matching rows (it soon has a page). The
# stores' planners cannot tell the two cases apart (SQLite would walk a million conversations
# in start order to find the three that mention an order number).
FEW = 5_000


# PostgreSQL: a text the planner expects in more than this many rows is taken to match many
# without reading FEW + 1 of them through the GIN bitmap first (every common word paid that
# before its walk; a mid-frequency word paid it and then read every match too). Below it the
# count is read. The walk that follows is sized to the same estimate (insights_queries).
SURELY_MANY = FEW


def _estimated_rows(conn: Connection, query: Select[Any]) -> float:
    """The planner's estimate of the rows `query` returns (from the statistics ANALYZE keeps
    of the indexed text's words): a plan, nothing read."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": False})
    plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def estimated_matches(
    conn: Connection, account_sid: str, query: TextQuery, transcripts: bool
) -> float:
    """PostgreSQL: how many document and (if allowed) transcript matches the planner expects
    of `query` (plans only; a conversation matching both counts twice)."""
    found = _estimated_rows(conn, _documents_matching(account_sid, query))
    if transcripts:
        found += _estimated_rows(conn, _transcripts_matching(account_sid, query))
    return found


def estimated_conversations(conn: Connection, account_sid: str) -> float:
    """PostgreSQL: how many conversations the account has, as the planner expects (a plan)."""
    c = conversations.c
    return _estimated_rows(conn, select(c.id).where(c.account_sid == account_sid))


def _capped(conn: Connection, query: Select[Any]) -> set[str] | None:
    found = set(conn.execute(query.limit(FEW + 1)).scalars())
    return None if len(found) > FEW else found


def _text_ids(
    conn: Connection, account_sid: str, query: TextQuery, transcripts: bool
) -> set[str] | None:
    if conn.dialect.name == "sqlite":
        keys = timeline.key_range(None, None)
        stream = timeline.matches(account_sid, query, transcripts, keys, FEW + 1)
        return _capped(conn, select(stream.subquery().c.conversation_id))
    documents = _documents_matching(account_sid, query)
    if _estimated_rows(conn, documents) > SURELY_MANY:
        return None
    found = _capped(conn, documents)
    if found is None or not transcripts:
        return found
    chats = _transcripts_matching(account_sid, query)
    if _estimated_rows(conn, chats) > SURELY_MANY:
        return None
    more = _capped(conn, chats)
    if more is None or len(found | more) > FEW:
        return None
    return found | more


def few_matching(
    conn: Connection,
    account_sid: str,
    query: TextQuery | None,
    transcripts: bool,
    customer_keys: Sequence[str] | None,
) -> tuple[int, ...] | None:
    """The row ids of the account's conversations matching the text and the customer, if
    there are at most FEW of them; None if either matches more (or nothing is asked)."""
    sets: list[set[str]] = []
    if query is not None:
        found = set() if query.empty else _text_ids(conn, account_sid, query, transcripts)
        if found is None:
            return None
        sets.append(found)
    rows: dict[str, int] = {}
    if customer_keys:
        keyed = _customer_rows(conn, account_sid, customer_keys)
        if keyed is None:
            return None
        rows = {cid: row for cid, (_start, row) in keyed.items()}
        sets.append(set(keyed))
    if not sets:
        return None
    wanted = sorted(set.intersection(*sets))
    if not wanted:
        return ()
    if customer_keys:  # the keys hold their conversations' row ids
        return tuple(sorted(rows[cid] for cid in wanted))
    c = conversations.c
    found_rows = conn.execute(
        select(c.id).where(c.account_sid == account_sid, c.conversation_id.in_(wanted))
    )
    return tuple(sorted(found_rows.scalars()))


def _customer_rows(
    conn: Connection, account_sid: str, customer_keys: Sequence[str]
) -> dict[str, tuple[int, int]] | None:
    """conversation id -> (start, row id) of the conversations any of the keys names, if at
    most FEW (read from the keys' index alone)."""
    k = search_customer_keys.c
    query = select(k.conversation_id, k.start_ms, k.row_id).where(
        k.account_sid == account_sid, k.value.in_(list(customer_keys))
    )
    # A conversation comes once per key it holds: this many rows hold FEW + 1 distinct ones.
    found = {
        r.conversation_id: (r.start_ms, r.row_id)
        for r in conn.execute(query.limit(len(customer_keys) * FEW + 1))
    }
    return None if len(found) > FEW else found


def customer_places(
    conn: Connection, account_sid: str, customer_keys: Sequence[str]
) -> list[tuple[int, int]] | None:
    """The (start, row id) of each conversation any of the keys names, if at most FEW: their
    place in the list, without reading the conversations."""
    found = _customer_rows(conn, account_sid, customer_keys)
    return None if found is None else list(found.values())


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


def transcripts_of(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> dict[str, list[str]]:
    """conversation id -> the text of each transcript it names (the page's few rows: where a
    search matched is decided in Python, as the snippet is built)."""
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
        )
        .order_by(link.c.conversation_id, link.c.chat_sid)
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.conversation_id, []).append(row.body)
    return found


# --- what the migrations hold outside the metadata -------------------------------------------

# PostgreSQL's GIN indexes (migration 0013); SQLite's full-text tables (migration 0026).
FULL_TEXT_TABLES = (search_documents.name, search_transcripts.name)
_MIGRATION_ONLY = (
    frozenset({f"ix_{name}_body_fts" for name in FULL_TEXT_TABLES}) | timeline.MIGRATION_ONLY
)


def described_by_migration(
    item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
) -> bool:
    """For Alembic's comparison: the full-text tables and indexes (SQL the metadata cannot
    describe) are the migration's, not differences from the schema."""
    return not (reflected and name in _MIGRATION_ONLY)
