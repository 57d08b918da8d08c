"""The event log: append-only, one ordered sequence per workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, insert, select

from hindsight.store.keyset import SortKey
from hindsight.store.schema import events

# Newest first, as TaskRouter lists events.
SORT = (SortKey(events.c.seq, descending=True),)


_INSERT = insert(events)


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(_INSERT, rows)


def get(conn: Connection, workspace_sid: str, sid: str) -> Any | None:
    query = select(events).where(events.c.sid == sid, events.c.workspace_sid == workspace_sid)
    return conn.execute(query).first()


def list_query(workspace_sid: str) -> Select[Any]:
    return select(events).where(events.c.workspace_sid == workspace_sid)


def after(conn: Connection, workspace_sid: str, seq: int, limit: int) -> list[Any]:
    """Events of a workspace after position `seq`, oldest first: how consumers follow the log."""
    query = (
        select(events)
        .where(events.c.workspace_sid == workspace_sid, events.c.seq > seq)
        .order_by(events.c.seq)
        .limit(limit)
    )
    return list(conn.execute(query))
