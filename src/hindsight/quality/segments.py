"""The segment an assessment or comment is about: in the viewer's account and scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.insights.queries import is_segment_id, scope_of
from hindsight.store import insights_queries as insights_store


@dataclass(frozen=True)
class SegmentRef:
    segment_id: str
    conversation_id: str
    agent_id: str | None
    start_ms: int
    agent_name: str | None = None
    queue_name: str | None = None


def agent_id_of(row: Any) -> str | None:
    """The agent as /v1/Insights/Segments names it: the worker's `agent_id` attribute, else
    the worker's SID; none for a segment nobody handled (waiting in a queue)."""
    if row.worker_sid is None:
        return None
    try:
        worker = orjson.loads(row.worker_attributes or "{}")
    except orjson.JSONDecodeError:
        worker = {}
    named = worker.get("agent_id") if isinstance(worker, dict) else None
    if named is not None and not isinstance(named, dict | list) and str(named):
        return str(named)
    return row.worker_sid


def resolve(conn: Connection, viewer: Viewer, segment_id: str) -> SegmentRef:
    """The segment, or a 400 that says the same whether it is absent, another account's or
    outside the viewer's scope (so nothing about other teams leaks)."""
    unknown = InvalidParameter(f"SegmentId {segment_id[:40]!r} is not a segment of this account")
    if not is_segment_id(segment_id):
        raise unknown
    row = insights_store.segment(conn, viewer.account_sid, segment_id)
    # (The store finds conversation segments only: an Agent Status segment has no conversation.)
    if row is None or row.conversation_id is None:
        raise unknown
    scope = scope_of(viewer)
    if scope is not None and (
        insights_store.conversation(conn, viewer.account_sid, row.conversation_id, scope) is None
    ):
        raise unknown
    return SegmentRef(
        row.segment_id,
        row.conversation_id,
        agent_id_of(row),
        row.start_ms,
        agent_name=row.agent_name,
        queue_name=row.queue_name,
    )


def conversation_in_scope(conn: Connection, viewer: Viewer, conversation_id: str) -> bool:
    found = insights_store.conversation(conn, viewer.account_sid, conversation_id, scope_of(viewer))
    return found is not None
