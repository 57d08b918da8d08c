"""The Insights projection's tables: task tracks, segments, conversations and the cursor."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.schema import (
    conversation_scopes,
    conversations,
    projection_tasks,
    projector_cursors,
    retired_workspaces,
    search_customer_keys,
    search_documents,
    search_transcript_links,
    segments,
    workspaces,
)

_TRACKS = select(projection_tasks).where(
    projection_tasks.c.task_sid.in_(bindparam("sids", expanding=True))
)
_OF_CONVERSATION = (
    select(segments)
    .where(
        segments.c.account_sid == bindparam("account"),
        segments.c.conversation_id == bindparam("conversation"),
    )
    .order_by(segments.c.start_ms, segments.c.segment_id)
)
_OF_TASK = select(segments).where(segments.c.task_sid == bindparam("task"))
_POSITION = select(projector_cursors.c.seq).where(
    projector_cursors.c.workspace_sid == bindparam("ws")
)


def _upsert(conn: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    columns = tuple(c for c in rows[0] if c not in keys)
    conn.execute(_upsert_statement(conn.dialect.name, table, columns, tuple(keys)), rows)


@functools.cache
def _upsert_statement(
    dialect: str, table: Any, columns: tuple[str, ...], keys: tuple[str, ...]
) -> Any:
    """Built once per shape: constructing an ON CONFLICT statement costs more than running it."""
    build = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = build(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
    )


def load_tracks(conn: Connection, task_sids: Iterable[str]) -> dict[str, Any]:
    sids = list(task_sids)
    if not sids:
        return {}
    return {row.task_sid: row for row in conn.execute(_TRACKS, {"sids": sids})}


def save_tracks(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _upsert(conn, projection_tasks, rows, ["task_sid"])


def save_segments(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _upsert(conn, segments, rows, ["segment_id"])


def segments_of_conversation(conn: Connection, account_sid: str, conversation: str) -> list[Any]:
    return list(
        conn.execute(_OF_CONVERSATION, {"account": account_sid, "conversation": conversation})
    )


def segments_of_task(conn: Connection, task_sid: str) -> list[Any]:
    return list(conn.execute(_OF_TASK, {"task": task_sid}))


def move_task_segments(conn: Connection, task_sid: str, conversation: str) -> None:
    conn.execute(
        update(segments).where(segments.c.task_sid == task_sid).values(conversation_id=conversation)
    )


def save_conversation(conn: Connection, row: dict[str, Any]) -> None:
    _upsert(conn, conversations, [row], ["account_sid", "conversation_id"])


def delete_conversation(conn: Connection, account_sid: str, conversation: str) -> None:
    conn.execute(
        delete(conversations).where(
            conversations.c.account_sid == account_sid,
            conversations.c.conversation_id == conversation,
        )
    )
    save_scope_tags(conn, account_sid, conversation, set())


def save_scope_tags(conn: Connection, account_sid: str, conversation: str, tags: set[str]) -> None:
    """Replace the teams, queues and departments a conversation is filed under."""
    current = set(
        conn.execute(
            select(conversation_scopes.c.tag).where(
                conversation_scopes.c.account_sid == account_sid,
                conversation_scopes.c.conversation_id == conversation,
            )
        ).scalars()
    )
    gone = current - tags
    if gone:
        conn.execute(
            delete(conversation_scopes).where(
                conversation_scopes.c.account_sid == account_sid,
                conversation_scopes.c.conversation_id == conversation,
                conversation_scopes.c.tag.in_(sorted(gone)),
            )
        )
    added = tags - current
    if added:
        conn.execute(
            insert(conversation_scopes),
            [
                {"account_sid": account_sid, "conversation_id": conversation, "tag": tag}
                for tag in sorted(added)
            ],
        )


def end_agent_status_in_progress(conn: Connection, worker_sid: str, before_ms: int) -> None:
    """Stale 'in progress' stints of a worker (its activity has changed since)."""
    conn.execute(
        delete(segments).where(
            segments.c.worker_sid == worker_sid,
            segments.c.kind == "Agent Status in Progress",
            segments.c.start_ms < before_ms,
        )
    )


def position(conn: Connection, workspace_sid: str) -> int:
    return int(conn.execute(_POSITION, {"ws": workspace_sid}).scalar() or 0)


def lock_position(conn: Connection, workspace_sid: str) -> int:
    """The cursor, locked until the transaction ends (created at 0 if missing)."""
    row = conn.execute(_POSITION.with_for_update(), {"ws": workspace_sid}).scalar()
    if row is None:
        _upsert(
            conn, projector_cursors, [{"workspace_sid": workspace_sid, "seq": 0}], ["workspace_sid"]
        )
        row = conn.execute(_POSITION.with_for_update(), {"ws": workspace_sid}).scalar()
    return int(row or 0)


def advance(conn: Connection, workspace_sid: str, seq: int) -> None:
    if conn.execute(_POSITION, {"ws": workspace_sid}).scalar() is None:
        conn.execute(insert(projector_cursors).values(workspace_sid=workspace_sid, seq=seq))
    else:
        conn.execute(
            update(projector_cursors)
            .where(
                projector_cursors.c.workspace_sid == workspace_sid, projector_cursors.c.seq < seq
            )
            .values(seq=seq)
        )


def behind(conn: Connection) -> list[Any]:
    """Workspaces (live or deleted) whose log has events the projection has not taken in."""
    heads = union_all(
        select(workspaces.c.sid, workspaces.c.event_seq.label("last")),
        select(retired_workspaces.c.sid, retired_workspaces.c.last_seq.label("last")),
    ).subquery()
    query = (
        select(heads.c.sid, func.coalesce(projector_cursors.c.seq, 0).label("seq"))
        .select_from(heads)
        .outerjoin(projector_cursors, projector_cursors.c.workspace_sid == heads.c.sid)
        .where(heads.c.last > func.coalesce(projector_cursors.c.seq, 0))
    )
    return list(conn.execute(query))


def account_of(conn: Connection, workspace_sid: str) -> str | None:
    live = conn.execute(
        select(workspaces.c.account_sid).where(workspaces.c.sid == workspace_sid)
    ).scalar()
    if live is not None:
        return live
    return conn.execute(
        select(retired_workspaces.c.account_sid).where(retired_workspaces.c.sid == workspace_sid)
    ).scalar()


def clear(conn: Connection) -> None:
    """Forget the whole projection (it is rebuilt from the log)."""
    for table in (
        segments,
        conversations,
        conversation_scopes,
        projection_tasks,
        projector_cursors,
        search_documents,
        search_transcript_links,
        search_customer_keys,
    ):
        conn.execute(delete(table))
