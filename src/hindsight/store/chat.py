"""Chat transcripts: conversations, their participants and their messages (one account each)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, delete, func, insert, or_, select, update

from hindsight.store.keyset import SortKey
from hindsight.store.records import optional, reader
from hindsight.store.schema import chat_conversations, chat_messages, chat_participants


@dataclass(frozen=True, slots=True)
class ChatConversation:
    """A conversation (one row of `chat_conversations`); `attributes` is its JSON text."""

    sid: str
    account_sid: str
    unique_name: str | None
    friendly_name: str | None
    attributes: str
    state: str
    messaging_service_sid: str | None
    next_message_index: int
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class ChatParticipant:
    """A participant (one row of `chat_participants`): a chat one has an `identity`, a
    messaging one an `address` and `proxy_address`."""

    sid: str
    account_sid: str
    conversation_sid: str
    identity: str | None
    address: str | None
    proxy_address: str | None
    projected_address: str | None
    attributes: str
    role_sid: str | None
    last_read_message_index: int | None
    last_read_timestamp: int | None
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A message (one row of `chat_messages`); `media` is the JSON list of MediaSids given."""

    sid: str
    account_sid: str
    conversation_sid: str
    message_index: int
    author: str
    body: str | None
    media: str | None
    attributes: str
    participant_sid: str | None
    date_created: int
    date_updated: int


read_conversation = reader(ChatConversation)
read_participant = reader(ChatParticipant)
read_message = reader(ChatMessage)

CONVERSATION_ORDER = (
    SortKey(chat_conversations.c.date_created),
    SortKey(chat_conversations.c.sid),
)
# Twilio lists newest first when the list is filtered by creation date.
CONVERSATION_ORDER_NEWEST = (
    SortKey(chat_conversations.c.date_created, descending=True),
    SortKey(chat_conversations.c.sid, descending=True),
)
PARTICIPANT_ORDER = (SortKey(chat_participants.c.date_created), SortKey(chat_participants.c.sid))
MESSAGE_ORDER = (SortKey(chat_messages.c.message_index),)
MESSAGE_ORDER_DESC = (SortKey(chat_messages.c.message_index, descending=True),)


# --- conversations ----------------------------------------------------------------------------


def insert_conversation(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(chat_conversations).values(**row))


def get_conversation(
    conn: Connection, account_sid: str, sid: str, *, lock: bool = False
) -> ChatConversation | None:
    """`lock`: hold the row until the transaction ends (PostgreSQL), so that a write to the
    conversation's messages or participants and a delete of the conversation take turns."""
    query = select(chat_conversations).where(
        chat_conversations.c.sid == sid, chat_conversations.c.account_sid == account_sid
    )
    return optional(
        read_conversation, conn.execute(query.with_for_update() if lock else query).first()
    )


def get_conversation_by_unique_name(
    conn: Connection, account_sid: str, unique_name: str, *, lock: bool = False
) -> ChatConversation | None:
    query = select(chat_conversations).where(
        chat_conversations.c.account_sid == account_sid,
        chat_conversations.c.unique_name == unique_name,
    )
    return optional(
        read_conversation, conn.execute(query.with_for_update() if lock else query).first()
    )


def conversation_list_query(
    account_sid: str, state: str | None, start_ms: int | None, end_ms: int | None
) -> Select[Any]:
    query = select(chat_conversations).where(chat_conversations.c.account_sid == account_sid)
    if state is not None:
        query = query.where(chat_conversations.c.state == state)
    if start_ms is not None:
        query = query.where(chat_conversations.c.date_created >= start_ms)
    if end_ms is not None:
        query = query.where(chat_conversations.c.date_created <= end_ms)
    return query


def update_conversation(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(chat_conversations).where(chat_conversations.c.sid == sid).values(**values))


def delete_conversation(conn: Connection, sid: str) -> None:
    """The conversation with its messages and participants (not left to the foreign keys'
    cascade, which SQLite applies only with its foreign_keys pragma on)."""
    conn.execute(delete(chat_messages).where(chat_messages.c.conversation_sid == sid))
    conn.execute(delete(chat_participants).where(chat_participants.c.conversation_sid == sid))
    conn.execute(delete(chat_conversations).where(chat_conversations.c.sid == sid))


def take_message_index(conn: Connection, sid: str) -> int:
    """The next message index of the conversation, taken: consecutive under concurrency, as
    the update holds the conversation's row lock until the transaction ends."""
    # Callers lock the conversation first (get_conversation(lock=True)), so it still exists.
    column = chat_conversations.c.next_message_index
    bump = update(chat_conversations).where(chat_conversations.c.sid == sid)
    conn.execute(bump.values({column: column + 1}))
    taken = conn.execute(select(column).where(chat_conversations.c.sid == sid)).scalar_one()
    return int(taken) - 1


def transcript_counts(conn: Connection, account_sid: str, sids: Iterable[str]) -> dict[str, int]:
    """For each of `sids` that is a conversation of the account: its number of messages."""
    wanted = sorted(set(sids))
    if not wanted:
        return {}
    counts = (
        select(chat_messages.c.conversation_sid, func.count().label("messages"))
        .where(chat_messages.c.conversation_sid.in_(wanted))
        .group_by(chat_messages.c.conversation_sid)
        .subquery()
    )
    query = (
        select(chat_conversations.c.sid, func.coalesce(counts.c.messages, 0))
        .select_from(chat_conversations)
        .outerjoin(counts, counts.c.conversation_sid == chat_conversations.c.sid)
        .where(
            chat_conversations.c.account_sid == account_sid,
            chat_conversations.c.sid.in_(wanted),
        )
    )
    return {sid: int(count) for sid, count in conn.execute(query)}


# --- participants -----------------------------------------------------------------------------


def insert_participant(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(chat_participants).values(**row))


def get_participant(conn: Connection, conversation_sid: str, sid: str) -> ChatParticipant | None:
    query = select(chat_participants).where(
        chat_participants.c.conversation_sid == conversation_sid, chat_participants.c.sid == sid
    )
    return optional(read_participant, conn.execute(query).first())


def get_participant_by_identity(
    conn: Connection, conversation_sid: str, identity: str
) -> ChatParticipant | None:
    query = select(chat_participants).where(
        chat_participants.c.conversation_sid == conversation_sid,
        chat_participants.c.identity == identity,
    )
    return optional(read_participant, conn.execute(query).first())


def get_participant_by_binding(
    conn: Connection, conversation_sid: str, address: str, proxy_address: str
) -> ChatParticipant | None:
    query = select(chat_participants).where(
        chat_participants.c.conversation_sid == conversation_sid,
        chat_participants.c.address == address,
        chat_participants.c.proxy_address == proxy_address,
    )
    return optional(read_participant, conn.execute(query).first())


def participant_named(
    conn: Connection, conversation_sid: str, author: str
) -> ChatParticipant | None:
    """The participant a message author names: by identity, else by messaging address."""
    query = (
        select(chat_participants)
        .where(
            chat_participants.c.conversation_sid == conversation_sid,
            or_(chat_participants.c.identity == author, chat_participants.c.address == author),
        )
        .order_by(chat_participants.c.identity.is_(None), chat_participants.c.date_created)
    )
    return optional(read_participant, conn.execute(query).first())


def participants_of(conn: Connection, conversation_sid: str) -> list[ChatParticipant]:
    query = (
        select(chat_participants)
        .where(chat_participants.c.conversation_sid == conversation_sid)
        .order_by(*(k.column for k in PARTICIPANT_ORDER))
    )
    return [read_participant(row) for row in conn.execute(query)]


def participant_list_query(conversation_sid: str) -> Select[Any]:
    return select(chat_participants).where(chat_participants.c.conversation_sid == conversation_sid)


def update_participant(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(chat_participants).where(chat_participants.c.sid == sid).values(**values))


def delete_participant(conn: Connection, sid: str) -> None:
    conn.execute(delete(chat_participants).where(chat_participants.c.sid == sid))


# --- messages ---------------------------------------------------------------------------------


def insert_message(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(chat_messages).values(**row))


def get_message(conn: Connection, conversation_sid: str, sid: str) -> ChatMessage | None:
    query = select(chat_messages).where(
        chat_messages.c.conversation_sid == conversation_sid, chat_messages.c.sid == sid
    )
    return optional(read_message, conn.execute(query).first())


def message_list_query(conversation_sid: str) -> Select[Any]:
    return select(chat_messages).where(chat_messages.c.conversation_sid == conversation_sid)


def messages_of(conn: Connection, conversation_sid: str) -> list[ChatMessage]:
    query = (
        select(chat_messages)
        .where(chat_messages.c.conversation_sid == conversation_sid)
        .order_by(chat_messages.c.message_index)
    )
    return [read_message(row) for row in conn.execute(query)]


def update_message(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(chat_messages).where(chat_messages.c.sid == sid).values(**values))


def delete_message(conn: Connection, sid: str) -> None:
    conn.execute(delete(chat_messages).where(chat_messages.c.sid == sid))
