"""The Insights projection's tables: task tracks, segments, conversations and the cursor."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.any_of import any_of
from hindsight.store.pipeline import Statements
from hindsight.store.quality import daily_totals
from hindsight.store.schema import (
    conversation_scopes,
    conversations,
    events,
    projection_tasks,
    projector_cursors,
    retired_workspaces,
    search_customer_keys,
    search_documents,
    search_pick_values,
    search_transcript_links,
    segments,
    workspaces,
)

_TRACKS = select(projection_tasks).where(any_of(projection_tasks.c.task_sid, "sids"))
_OF_CONVERSATION = (
    select(segments)
    .where(
        segments.c.account_sid == bindparam("account"),
        segments.c.conversation_id == bindparam("conversation"),
    )
    .order_by(segments.c.start_ms, segments.c.segment_id)
)
_OF_CONVERSATIONS = (
    select(segments)
    .where(
        segments.c.account_sid == bindparam("account"),
        any_of(segments.c.conversation_id, "conversations"),
    )
    .order_by(segments.c.conversation_id, segments.c.start_ms, segments.c.segment_id)
)
_OF_TASK = select(segments).where(segments.c.task_sid == bindparam("task"))
_OF_TASKS = select(segments).where(any_of(segments.c.task_sid, "tasks"))
_COUNT_TRACKS = (
    select(func.count())
    .select_from(projection_tasks)
    .where(any_of(projection_tasks.c.task_sid, "sids"))
)
_COUNT_SEGMENTS = (
    select(func.count())
    .select_from(segments)
    .where(
        segments.c.account_sid == bindparam("account"),
        any_of(segments.c.conversation_id, "conversations"),
    )
)
_POSITION = select(projector_cursors.c.seq).where(
    projector_cursors.c.workspace_sid == bindparam("ws")
)
# Built once: the projector runs these for every batch, and building a statement costs more
# than executing it.
_MOVE_TASK = (
    update(segments)
    .where(segments.c.task_sid == bindparam("task"))
    .values(conversation_id=bindparam("conversation"))
)
_SUMMARIES = select(conversations).where(
    conversations.c.account_sid == bindparam("account"),
    any_of(conversations.c.conversation_id, "conversations"),
)
_DELETE_CONVERSATIONS = delete(conversations).where(
    conversations.c.account_sid == bindparam("account"),
    any_of(conversations.c.conversation_id, "conversations"),
)
_SCOPE_TAGS = select(conversation_scopes.c.conversation_id, conversation_scopes.c.tag).where(
    conversation_scopes.c.account_sid == bindparam("account"),
    any_of(conversation_scopes.c.conversation_id, "conversations"),
)
_DELETE_SCOPE_TAG = delete(conversation_scopes).where(
    conversation_scopes.c.account_sid == bindparam("account"),
    conversation_scopes.c.conversation_id == bindparam("conversation"),
    conversation_scopes.c.tag == bindparam("gone"),
)
_DELETE_ALL_SCOPE_TAGS = delete(conversation_scopes).where(
    conversation_scopes.c.account_sid == bindparam("account"),
    any_of(conversation_scopes.c.conversation_id, "conversations"),
)
_INSERT_SCOPE_TAG = insert(conversation_scopes).inline()
_END_AGENT_STATUS = delete(segments).where(
    segments.c.worker_sid == bindparam("worker"),
    # Written out, not bound: only then may the planner use the partial index on it.
    segments.c.kind == literal_column("'Agent Status in Progress'"),
    segments.c.start_ms < bindparam("before"),
)
_ADVANCE = (
    update(projector_cursors)
    .where(
        projector_cursors.c.workspace_sid == bindparam("ws"),
        projector_cursors.c.seq < bindparam("target"),
    )
    .values(seq=bindparam("target"))
)
_START_CURSOR = insert(projector_cursors)
_LIVE_ACCOUNT = select(workspaces.c.account_sid).where(workspaces.c.sid == bindparam("ws"))
_RETIRED_ACCOUNT = select(retired_workspaces.c.account_sid).where(
    retired_workspaces.c.sid == bindparam("ws")
)
# Keys per IN list: well under every driver's limit on bound parameters.
_CHUNK = 500


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


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
    # Inline: no RETURNING of a generated key, which the projector's pipelined writes (and
    # every caller) would not read.
    statement = build(table).inline()
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


def segments_of_tasks(conn: Connection, task_sids: Iterable[str]) -> list[Any]:
    """The stored segments of the tasks named (one query per 500 of them)."""
    return [
        row for chunk in _chunks(task_sids) for row in conn.execute(_OF_TASKS, {"tasks": chunk})
    ]


def locked_position_and_counts(
    conn: Connection,
    workspace_sid: str,
    account_sid: str,
    task_sids: Iterable[str],
    conversation_ids: Iterable[str],
) -> tuple[int, int, int] | None:
    """The cursor (locked until the transaction ends), how many of the tasks named have a
    track and how many segments the conversations named hold: one statement, so one round
    trip for the projector's check before it writes. None if the cursor does not exist yet or
    a list is longer than one IN list takes (then ask `lock_position` and the counts)."""
    sids, conversations = sorted(set(task_sids)), sorted(set(conversation_ids))
    if len(sids) > _CHUNK or len(conversations) > _CHUNK:
        return None
    tracks = _COUNT_TRACKS.scalar_subquery() if sids else literal_column("0")
    held = _COUNT_SEGMENTS.scalar_subquery() if conversations else literal_column("0")
    query = (
        select(projector_cursors.c.seq, tracks, held)
        .where(projector_cursors.c.workspace_sid == bindparam("ws"))
        .with_for_update(of=projector_cursors)
    )
    row = conn.execute(
        query,
        {"ws": workspace_sid, "account": account_sid, "sids": sids, "conversations": conversations},
    ).first()
    if row is None:
        return None
    return int(row[0]), int(row[1]), int(row[2])


def count_tracks(conn: Connection, task_sids: Iterable[str]) -> int:
    """How many of the tasks named have a stored track."""
    return sum(
        int(conn.execute(_COUNT_TRACKS, {"sids": c}).scalar_one()) for c in _chunks(task_sids)
    )


def count_segments(conn: Connection, account_sid: str, conversation_ids: Iterable[str]) -> int:
    """How many segments the conversations named hold."""
    return sum(
        int(
            conn.execute(_COUNT_SEGMENTS, {"account": account_sid, "conversations": c}).scalar_one()
        )
        for c in _chunks(conversation_ids)
    )


def segments_of_conversations(
    conn: Connection, account_sid: str, conversation_ids: Iterable[str]
) -> dict[str, list[Any]]:
    """The segments of each conversation named, in start order (one query per 500 of them)."""
    found: dict[str, list[Any]] = {}
    for chunk in _chunks(conversation_ids):
        rows = conn.execute(_OF_CONVERSATIONS, {"account": account_sid, "conversations": chunk})
        for row in rows:
            found.setdefault(row.conversation_id, []).append(row)
    return found


def move_task_segments(conn: Connection, moves: Mapping[str, str]) -> None:
    """File each task's segments (task SID -> conversation id) under another conversation.

    One batch of parameters: pipelined into one round trip on PostgreSQL, where a statement
    per task cost the projector a round trip per regrouped task."""
    if moves:
        conn.execute(
            _MOVE_TASK,
            [{"task": task, "conversation": moves[task]} for task in sorted(moves)],
        )


def summaries_of(
    conn: Connection, account_sid: str, conversation_ids: Iterable[str]
) -> dict[str, Any]:
    """The stored conversation rows of the conversations named, by conversation id."""
    found: dict[str, Any] = {}
    for chunk in _chunks(conversation_ids):
        for row in conn.execute(_SUMMARIES, {"account": account_sid, "conversations": chunk}):
            found[row.conversation_id] = row
    return found


def save_conversation(conn: Connection, row: dict[str, Any]) -> None:
    save_conversations(conn, [row])


def save_conversations(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _upsert(conn, conversations, rows, ["account_sid", "conversation_id"])


def delete_conversation(conn: Connection, account_sid: str, conversation: str) -> None:
    delete_conversations(conn, account_sid, [conversation])
    save_scope_tags(conn, account_sid, conversation, set())


def delete_conversations(conn: Connection, account_sid: str, conversation_ids: list[str]) -> None:
    """Delete conversation rows (their scope tags are the caller's to replace)."""
    for chunk in _chunks(conversation_ids):
        conn.execute(_DELETE_CONVERSATIONS, {"account": account_sid, "conversations": chunk})


def scope_tags_of(
    conn: Connection, account_sid: str, conversation_ids: Iterable[str]
) -> dict[str, set[str]]:
    """The teams, queues and departments each conversation named is filed under."""
    found: dict[str, set[str]] = {}
    for chunk in _chunks(conversation_ids):
        for row in conn.execute(_SCOPE_TAGS, {"account": account_sid, "conversations": chunk}):
            found.setdefault(row.conversation_id, set()).add(row.tag)
    return found


def save_scope_tags(conn: Connection, account_sid: str, conversation: str, tags: set[str]) -> None:
    """Replace the teams, queues and departments a conversation is filed under."""
    current = scope_tags_of(conn, account_sid, [conversation]).get(conversation, set())
    replace_scope_tags(conn, account_sid, {conversation: (current, tags)})


def replace_scope_tags(
    conn: Connection, account_sid: str, changes: dict[str, tuple[set[str], set[str]]]
) -> None:
    """For each conversation, (tags it has, tags it should have): only the difference is written.

    A conversation losing every tag (it was deleted or regrouped away) loses them in one
    statement per few hundred conversations, not one per tag."""
    prepare_scope_tags(conn, account_sid, changes).send(conn)


def prepare_scope_tags(
    conn: Connection, account_sid: str, changes: dict[str, tuple[set[str], set[str]]]
) -> Statements:
    """`replace_scope_tags` in two steps: read the assessments totalled under the tags that
    change, and return the writes. Without such assessments (the common case) the writes are
    statements only; with them, their totals are refiled around the change, which reads."""
    emptied = [c for c, (current, wanted) in changes.items() if current and not wanted]
    gone = [
        {"account": account_sid, "conversation": conversation, "gone": tag}
        for conversation, (current, wanted) in sorted(changes.items())
        if wanted
        for tag in sorted(current - wanted)
    ]
    added = [
        {"account_sid": account_sid, "conversation_id": conversation, "tag": tag}
        for conversation, (current, wanted) in sorted(changes.items())
        for tag in sorted(wanted - current)
    ]
    if not emptied and not gone and not added:
        return Statements(_nothing)
    # Assessments of these conversations are totalled under their tags: refile them.
    moved = [c for c, (current, wanted) in changes.items() if current != wanted]
    reviews = daily_totals.submitted_of_conversations(conn, account_sid, moved)

    def write(conn: Connection) -> None:
        for chunk in _chunks(emptied):
            conn.execute(_DELETE_ALL_SCOPE_TAGS, {"account": account_sid, "conversations": chunk})
        if gone:
            conn.execute(_DELETE_SCOPE_TAG, gone)
        if added:
            conn.execute(_INSERT_SCOPE_TAG, added)

    if not reviews:
        return Statements(write)

    def refile(conn: Connection) -> None:
        daily_totals.withdraw(conn, reviews)
        write(conn)
        daily_totals.restore(conn, reviews)

    return Statements(refile, reads=True)


def _nothing(conn: Connection) -> None:
    return None


def end_agent_status_in_progress(conn: Connection, worker_sid: str, before_ms: int) -> None:
    """Stale 'in progress' stints of a worker (its activity has changed since)."""
    conn.execute(_END_AGENT_STATUS, {"worker": worker_sid, "before": before_ms})


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
        conn.execute(_START_CURSOR, {"workspace_sid": workspace_sid, "seq": seq})
    else:
        conn.execute(_ADVANCE, {"ws": workspace_sid, "target": seq})


def move_cursor(conn: Connection, workspace_sid: str, seq: int) -> None:
    """Advance a cursor that exists (the projector has locked it): one statement."""
    conn.execute(_ADVANCE, {"ws": workspace_sid, "target": seq})


def behind(conn: Connection) -> list[Any]:
    """Workspaces (live or deleted) whose log has events the projection has not taken in."""
    heads = union_all(
        select(
            workspaces.c.sid,
            select(func.max(events.c.seq))
            .where(events.c.workspace_sid == workspaces.c.sid)
            .scalar_subquery()
            .label("last"),
        ),
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
    live = conn.execute(_LIVE_ACCOUNT, {"ws": workspace_sid}).scalar()
    if live is not None:
        return live
    return conn.execute(_RETIRED_ACCOUNT, {"ws": workspace_sid}).scalar()


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
        search_pick_values,
    ):
        conn.execute(delete(table))
    # Assessments outlive the projection; their totals are refiled as it adds tags back.
    daily_totals.rebuild(conn)
