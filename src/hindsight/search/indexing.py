"""Keeping the search index current: the projector calls `index_conversations` with the
conversations each batch rewrites, the chat service calls the transcript hooks as messages and
participants change, each in the writer's own transaction (the index is never behind the
rows it describes)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from hindsight.domain.json_columns import read_column
from hindsight.domain.search import customer as customers
from hindsight.store.pipeline import Statements
from hindsight.store.search import index as store

_CHAT_SID = re.compile(r"^CH[0-9a-fA-F]{32}$")
_ADDRESS_KEY = "address:"
MAX_DOCUMENT = 20_000


def _json(text: Any, default: Any) -> Any:
    # Shared with the summary and scope tags the projector computes from the same rows.
    return read_column(text, default)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def transcripts_named(members: Sequence[Mapping[str, Any]]) -> list[str]:
    """The chat SIDs a conversation's ChatTranscript media items name (hex in lower case,
    as Hindsight writes SIDs)."""
    sids = []
    for row in members:
        for item in _json(row["media"], []):
            if not isinstance(item, dict) or item.get("type") != "ChatTranscript":
                continue
            sid = item.get("sid")
            if isinstance(sid, str) and _CHAT_SID.match(sid):
                sids.append(sid[:2] + sid[2:].lower())
    return _unique(sids)


def _customer(members: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for row in members:
        merged.update(_json(row["customer"], {}))
    return {k: v for k, v in merged.items() if isinstance(v, str)}


def _addresses(members: Sequence[Mapping[str, Any]]) -> list[str]:
    keys = [row["customer_key"] or "" for row in members]
    return _unique(k[len(_ADDRESS_KEY) :] for k in keys if k.startswith(_ADDRESS_KEY))


def document_text(members: Sequence[Mapping[str, Any]], customer: Mapping[str, str]) -> str:
    """What the search box finds a conversation by: attribute values, media titles and the
    customer, one per line, each said once."""
    values: list[str] = []
    for row in members:
        attributes = _json(row["attributes"], {})
        values.extend(str(v) for v in attributes.values() if v is not None)
        for item in _json(row["media"], []):
            if isinstance(item, dict) and isinstance(item.get("title"), str):
                values.append(item["title"])
    values.extend(customer.values())
    return "\n".join(_unique(values))[:MAX_DOCUMENT]


def _entry(
    conversation_id: str, members: Sequence[Mapping[str, Any]], addresses: Mapping[str, list[str]]
) -> store.SearchEntry:
    customer = _customer(members)
    chat_sids = transcripts_named(members)
    known = _addresses(members) + [a for sid in chat_sids for a in addresses.get(sid, [])]
    return store.SearchEntry(
        conversation_id=conversation_id,
        body=document_text(members, customer),
        customer=customers.label(customer, known),
        chat_sids=frozenset(chat_sids),
        customer_keys=frozenset(customers.stored_keys(customer, known)),
    )


# The segment columns a conversation's search entry is made from (see `_entry`).
_SEARCHED = ("attributes", "media", "customer", "customer_key")


def searched_inputs(members: Sequence[Mapping[str, Any]]) -> tuple[tuple[Any, ...], ...]:
    """What a conversation's search entry is made from, in the order it reads its segments:
    when a projection batch leaves this unchanged (a reservation accepted, a task wrapping
    up), the entry is unchanged and is not rebuilt."""
    ordered = sorted(members, key=lambda r: (r["start_ms"], r["segment_id"]))
    return tuple((r["segment_id"], *(r[k] for k in _SEARCHED)) for r in ordered)


def index_conversations(
    conn: Connection,
    account_sid: str,
    conversations: Mapping[str, Sequence[Mapping[str, Any]]],
) -> None:
    """Rewrite the search entries of the conversations a projection batch touched, from
    their segments (none: forget the conversation). Batched: a handful of statements
    whatever the number of conversations, and only what changed is written."""
    prepare_index(conn, account_sid, conversations).send(conn)


def prepare_index(
    conn: Connection,
    account_sid: str,
    conversations: Mapping[str, Sequence[Mapping[str, Any]]],
) -> Statements:
    """`index_conversations` in two steps: read what the entries are made from and what is
    stored of them now, and return the writes (statements only, which the projector sends
    together). The reads touch only the conversations kept, the writes delete the others
    first, so reading before any of the writes reads the same."""
    members = {cid: list(rows) for cid, rows in conversations.items()}
    gone = sorted(cid for cid, rows in members.items() if not rows)
    kept = {cid: rows for cid, rows in members.items() if rows}
    entries: list[store.SearchEntry] = []
    stored = store.StoredEntries({}, {}, {})
    if kept:
        chats = sorted({sid for rows in kept.values() for sid in transcripts_named(rows)})
        addresses = store.participant_addresses(conn, account_sid, chats)
        entries = [_entry(cid, rows, addresses) for cid, rows in sorted(kept.items())]
        stored = store.stored_entries(conn, account_sid, sorted(kept))

    def write(conn: Connection) -> None:
        if gone:
            store.delete_conversations(conn, account_sid, gone)
        if entries:
            store.write_entries(conn, account_sid, entries, stored)

    return Statements(write)


def conversations_moved(conn: Connection, account_sid: str, starts: Mapping[str, int]) -> None:
    """Conversations whose start changed (id -> new start), written after their rows: what
    search keeps of their place in the list follows."""
    store.move_customer_keys(conn, account_sid, starts)


def message_added(
    conn: Connection, account_sid: str, chat_sid: str, author: str, body: str | None
) -> None:
    store.append_transcript_line(conn, account_sid, chat_sid, f"{author}: {body or ''}")


def transcript_changed(conn: Connection, account_sid: str, chat_sid: str) -> None:
    """A message was edited or deleted, or the chat was: reread its messages."""
    store.rebuild_transcript(conn, account_sid, chat_sid)


def participant_added(
    conn: Connection, account_sid: str, chat_sid: str, address: str | None
) -> None:
    """A customer joining a chat by phone or WhatsApp is findable by that address at once in
    the conversations already naming the chat (later ones take it when they are indexed)."""
    if not address:
        return
    linked = store.linked_conversations(conn, account_sid, chat_sid)
    store.add_customer_keys(conn, account_sid, linked, customers.stored_keys({}, [address]))
