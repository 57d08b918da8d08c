"""Identifiers typed in the search box: a task, reservation, call, chat (CH…) or recording
SID, or a conversation id, names the conversation to open."""

from __future__ import annotations

import re

from sqlalchemy import Connection

from hindsight.store import insights_queries as conversations
from hindsight.store import recordings as recording_store
from hindsight.store.search import index as search_index

_SID = re.compile(r"^(WT|WR|CA|CH|RE)[0-9a-fA-F]{32}$")
MAX_ID = 128  # conversations.conversation_id


def _sid(text: str) -> tuple[str, str] | None:
    found = _SID.match(text)
    if found is None:
        return None
    # Hindsight and Twilio write SIDs' hex digits in lower case; people paste either.
    return found.group(1), found.group(1) + text[2:].lower()


def _of_tasks(conn: Connection, account_sid: str, task_sids: list[str]) -> list[str]:
    return [
        row.conversation_id
        for sid in task_sids
        for row in conversations.segments_of_task(conn, account_sid, sid)
        if row.conversation_id is not None
    ]


def _of_recordings(conn: Connection, account_sid: str, rows: list) -> list[str]:
    found = _of_tasks(conn, account_sid, [r.task_sid for r in rows if r.task_sid])
    for row in rows:
        if row.reservation_sid:
            segment = conversations.segment_of_reservation(conn, account_sid, row.reservation_sid)
            if segment is not None and segment.conversation_id is not None:
                found.append(segment.conversation_id)
        if row.call_sid:
            found.append(row.call_sid)
    return found


def candidates(conn: Connection, account_sid: str, text: str) -> list[str]:
    """Conversation ids `text` may name, most direct first (none if it names nothing)."""
    ident = text.strip()
    if not ident or len(ident) > MAX_ID or any(ch.isspace() for ch in ident):
        return []
    named = [ident]  # a conversation id (a call SID is one when calls group conversations)
    sid = _sid(ident)
    if sid is None:
        return named
    kind, value = sid
    named.append(value)
    if kind == "WT":
        named += _of_tasks(conn, account_sid, [value])
    elif kind == "WR":
        segment = conversations.segment_of_reservation(conn, account_sid, value)
        if segment is not None and segment.conversation_id is not None:
            named.append(segment.conversation_id)
    elif kind == "CH":
        named += search_index.linked_conversations(conn, account_sid, value)
    elif kind == "CA":
        named += _of_recordings(
            conn, account_sid, recording_store.linked(conn, account_sid, [], [], [value])
        )
    elif kind == "RE":
        held = recording_store.linked_by_sid(conn, account_sid, [value])
        named += _of_recordings(conn, account_sid, list(held))
    return list(dict.fromkeys(named))
