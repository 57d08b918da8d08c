"""Retention policies, legal holds, the runs of the retention job, and the look-ups and deletions
a sweep makes. Every query is for one account."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    exists,
    insert,
    or_,
    select,
    true,
    update,
)

from hindsight.store import insights as projection
from hindsight.store.keyset import SortKey
from hindsight.store.quality import assessments as quality
from hindsight.store.records import optional, reader
from hindsight.store.schema import (
    chat_conversations,
    chat_messages,
    chat_participants,
    conversation_scopes,
    conversations,
    events,
    legal_holds,
    media_analyses,
    projection_tasks,
    recordings,
    reservations,
    retention_policies,
    retention_runs,
    segments,
    tasks,
)
from hindsight.store.search import index as search_index
from hindsight.store.search import pick_lists

# Newest first.
HOLD_ORDER = (
    SortKey(legal_holds.c.placed_ms, descending=True),
    SortKey(legal_holds.c.conversation_id, descending=True),
)
# Only finished tasks go with their conversation; a live one keeps its conversation open.
_FINISHED_TASK = ("completed", "canceled")

# A position in a sweep's walk over expired rows: (instant, key) of the last row seen.
Position = tuple[int, Any] | None


@dataclass(frozen=True, slots=True)
class RetentionPolicyRow:
    """An account's policy as stored (one row of `retention_policies`); None days keep
    everything of that kind."""

    account_sid: str
    conversation_days: int | None
    recording_days: int | None
    transcript_days: int | None
    updated_ms: int
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class LegalHold:
    """A conversation kept from every sweep (one row of `legal_holds`)."""

    account_sid: str
    conversation_id: str
    reason: str
    placed_by_sid: str | None
    placed_by_name: str | None
    placed_ms: int


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """One sweep of an account (one row of `retention_runs`); `finished_ms` is None while
    it runs."""

    id: int
    account_sid: str
    trigger: str
    dry_run: bool
    started_ms: int
    finished_ms: int | None
    conversations: int
    recordings: int
    transcripts: int
    held: int
    error: str | None


@dataclass(frozen=True, slots=True)
class LockedConversation:
    """A projected conversation read under its row lock, to place a hold on."""

    id: int
    end_ms: int | None
    in_progress: bool


@dataclass(frozen=True, slots=True)
class ExpiredConversation:
    """A finished conversation past its policy. `key` is what a hold protects; `position`
    is where the walk goes on after it."""

    id: int
    conversation_id: str
    end_ms: int

    @property
    def key(self) -> str:
        return self.conversation_id

    @property
    def position(self) -> Position:
        return (self.end_ms, self.id)


@dataclass(frozen=True, slots=True)
class ExpiredByCreation:
    """A row past its policy counted from its creation: a chat with no activity since the
    cutoff (an expired transcript), or the base of an expired recording."""

    sid: str
    date_created: int

    @property
    def key(self) -> str:
        return self.sid

    @property
    def position(self) -> Position:
        return (self.date_created, self.sid)


@dataclass(frozen=True, slots=True)
class ExpiredRecording(ExpiredByCreation):
    """A recording past its policy, with the file to delete after its row."""

    blob_key: str


@dataclass(frozen=True, slots=True)
class TaskOfConversation:
    """A task the projection filed under a conversation."""

    conversation_id: str
    task_sid: str


@dataclass(frozen=True, slots=True)
class DeletedRecording:
    """A recording whose row was deleted: its file is deleted next."""

    sid: str
    blob_key: str


read_policy = reader(RetentionPolicyRow)
read_hold = reader(LegalHold)
read_run = reader(RetentionRun)
_read_locked = reader(LockedConversation)
_read_expired_conversation = reader(ExpiredConversation)
_read_expired_recording = reader(ExpiredRecording)
_read_expired_transcript = reader(ExpiredByCreation)
_read_task = reader(TaskOfConversation)
_read_deleted_recording = reader(DeletedRecording)


# --- policies -----------------------------------------------------------------------------------


def get_policy(conn: Connection, account_sid: str) -> RetentionPolicyRow | None:
    query = select(retention_policies).where(retention_policies.c.account_sid == account_sid)
    return optional(read_policy, conn.execute(query).first())


def save_policy(conn: Connection, account_sid: str, values: dict[str, Any]) -> None:
    changed = conn.execute(
        update(retention_policies)
        .where(retention_policies.c.account_sid == account_sid)
        .values(**values)
    )
    if changed.rowcount == 0:
        conn.execute(insert(retention_policies).values(account_sid=account_sid, **values))


def lock_policy(conn: Connection, account_sid: str) -> None:
    """Hold the account's policy row until the transaction ends (PostgreSQL; SQLite has one
    writer): placing a hold and deleting media take turns on it."""
    query = (
        select(retention_policies.c.account_sid)
        .where(retention_policies.c.account_sid == account_sid)
        .with_for_update()
    )
    conn.execute(query).first()


def policies(conn: Connection) -> list[RetentionPolicyRow]:
    """Every account's policy, for the scheduled sweep."""
    query = select(retention_policies).order_by(retention_policies.c.account_sid)
    return [read_policy(row) for row in conn.execute(query)]


# --- legal holds --------------------------------------------------------------------------------


def _hold(account_sid: str, conversation_id: str) -> ColumnElement[bool]:
    return and_(
        legal_holds.c.account_sid == account_sid,
        legal_holds.c.conversation_id == conversation_id,
    )


def get_hold(conn: Connection, account_sid: str, conversation_id: str) -> LegalHold | None:
    query = select(legal_holds).where(_hold(account_sid, conversation_id))
    return optional(read_hold, conn.execute(query).first())


def place_hold(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(legal_holds).values(**row))


def release_hold(conn: Connection, account_sid: str, conversation_id: str) -> bool:
    return conn.execute(delete(legal_holds).where(_hold(account_sid, conversation_id))).rowcount > 0


def holds_query(account_sid: str) -> Select[Any]:
    return select(legal_holds).where(legal_holds.c.account_sid == account_sid)


def held_conversations(conn: Connection, account_sid: str) -> list[str]:
    query = select(legal_holds.c.conversation_id).where(legal_holds.c.account_sid == account_sid)
    return list(conn.execute(query).scalars())


def lock_conversation(
    conn: Connection, account_sid: str, conversation_id: str
) -> LockedConversation | None:
    """The projected conversation, locked until the transaction ends (on PostgreSQL; SQLite
    has one writer at a time): a hold and a deletion of the same conversation serialise."""
    query = (
        select(conversations.c.id, conversations.c.end_ms, conversations.c.in_progress)
        .where(
            conversations.c.account_sid == account_sid,
            conversations.c.conversation_id == conversation_id,
        )
        .with_for_update()
    )
    return optional(_read_locked, conn.execute(query).first())


# --- what expired -------------------------------------------------------------------------------


def _after(
    instant: ColumnElement[Any], key: ColumnElement[Any], position: Position
) -> ColumnElement[bool]:
    if position is None:
        return true()
    at, last = position
    # The redundant `instant >= at` lets PostgreSQL start its index range there instead of
    # reading every expired row again for each page.
    return and_(instant >= at, or_(instant > at, and_(instant == at, key > last)))


def expired_conversations(
    conn: Connection, account_sid: str, cutoff_ms: int, limit: int, position: Position = None
) -> list[ExpiredConversation]:
    """Finished conversations that ended before the cutoff and are not on hold, oldest first."""
    c = conversations.c
    query = (
        select(c.id, c.conversation_id, c.end_ms)
        .where(
            c.account_sid == account_sid,
            c.in_progress.is_(False),
            c.end_ms.is_not(None),
            c.end_ms < cutoff_ms,
            _after(c.end_ms, c.id, position),
            ~exists().where(
                legal_holds.c.account_sid == c.account_sid,
                legal_holds.c.conversation_id == c.conversation_id,
            ),
        )
        .order_by(c.end_ms, c.id)
        .limit(limit)
    )
    return [_read_expired_conversation(row) for row in conn.execute(query)]


def expired_recordings(
    conn: Connection, account_sid: str, cutoff_ms: int, limit: int, position: Position = None
) -> list[ExpiredRecording]:
    r = recordings.c
    query = (
        select(r.sid, r.blob_key, r.date_created)
        .where(
            r.account_sid == account_sid,
            r.date_created < cutoff_ms,
            _after(r.date_created, r.sid, position),
        )
        .order_by(r.date_created, r.sid)
        .limit(limit)
    )
    return [_read_expired_recording(row) for row in conn.execute(query)]


def _quiet_since(cutoff_ms: int) -> ColumnElement[bool]:
    """A chat with no activity since the cutoff: created, updated and last written to before."""
    c = chat_conversations.c
    recent_message = exists().where(
        chat_messages.c.conversation_sid == c.sid,
        or_(chat_messages.c.date_created >= cutoff_ms, chat_messages.c.date_updated >= cutoff_ms),
    )
    return and_(c.date_created < cutoff_ms, c.date_updated < cutoff_ms, ~recent_message)


def expired_transcripts(
    conn: Connection, account_sid: str, cutoff_ms: int, limit: int, position: Position = None
) -> list[ExpiredByCreation]:
    c = chat_conversations.c
    query = (
        select(c.sid, c.date_created)
        .where(
            c.account_sid == account_sid,
            _quiet_since(cutoff_ms),
            _after(c.date_created, c.sid, position),
        )
        .order_by(c.date_created, c.sid)
        .limit(limit)
    )
    return [_read_expired_transcript(row) for row in conn.execute(query)]


# --- deleting (a batch at a time) ---------------------------------------------------------------


def lock_expired_conversations(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str], cutoff_ms: int
) -> list[str]:
    """Of these conversations, those still finished before the cutoff and not on hold, read
    under their row locks: a hold placed meanwhile (it locks the row first) wins."""
    c = conversations.c
    locked = conn.execute(
        select(c.conversation_id, c.end_ms, c.in_progress)
        .where(c.account_sid == account_sid, c.conversation_id.in_(list(conversation_ids)))
        .with_for_update()
    ).all()
    candidates = [
        r.conversation_id
        for r in locked
        if not r.in_progress and r.end_ms is not None and r.end_ms < cutoff_ms
    ]
    if not candidates:
        return []
    held = set(
        conn.execute(
            select(legal_holds.c.conversation_id).where(
                legal_holds.c.account_sid == account_sid,
                legal_holds.c.conversation_id.in_(candidates),
            )
        ).scalars()
    )
    return [c for c in candidates if c not in held]


def tasks_of(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> list[TaskOfConversation]:
    """Every task the projection filed under them."""
    query = select(projection_tasks.c.conversation_id, projection_tasks.c.task_sid).where(
        projection_tasks.c.account_sid == account_sid,
        projection_tasks.c.conversation_id.in_(list(conversation_ids)),
    )
    return [_read_task(row) for row in conn.execute(query)]


def delete_conversations(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str], task_sids: Sequence[str]
) -> None:
    """The conversations' projection rows, and their tasks' events, reservations and (finished)
    tasks: a rebuild of the projection from the log cannot bring them back."""
    ids = list(conversation_ids)
    quality.delete_for_conversations(conn, account_sid, ids)
    pick_lists.forget(
        conn,
        account_sid,
        projection.summaries_of(conn, account_sid, ids),
        projection.segments_of_conversations(conn, account_sid, ids),
    )
    for table in (segments, conversation_scopes, conversations, *search_index.SEARCH_TABLES):
        conn.execute(
            delete(table).where(
                table.c.account_sid == account_sid, table.c.conversation_id.in_(ids)
            )
        )
    wanted = sorted(set(task_sids))
    if not wanted:
        return
    conn.execute(
        delete(projection_tasks).where(
            projection_tasks.c.account_sid == account_sid, projection_tasks.c.task_sid.in_(wanted)
        )
    )
    conn.execute(
        delete(events).where(events.c.account_sid == account_sid, events.c.task_sid.in_(wanted))
    )
    finished = list(
        conn.execute(
            select(tasks.c.sid).where(
                tasks.c.account_sid == account_sid,
                tasks.c.sid.in_(wanted),
                tasks.c.assignment_status.in_(_FINISHED_TASK),
            )
        ).scalars()
    )
    if finished:
        conn.execute(delete(reservations).where(reservations.c.task_sid.in_(finished)))
        conn.execute(delete(tasks).where(tasks.c.sid.in_(finished)))


def delete_recordings(
    conn: Connection, account_sid: str, sids: Sequence[str], media_key: Callable[[str], str]
) -> list[DeletedRecording]:
    """The recordings (and their analyses, keyed by `media_key(sid)`) that still exist."""
    query = select(recordings.c.sid, recordings.c.blob_key).where(
        recordings.c.account_sid == account_sid, recordings.c.sid.in_(list(sids))
    )
    found = [_read_deleted_recording(row) for row in conn.execute(query)]
    if not found:
        return []
    gone = [r.sid for r in found]
    conn.execute(
        delete(recordings).where(
            recordings.c.account_sid == account_sid, recordings.c.sid.in_(gone)
        )
    )
    conn.execute(
        delete(media_analyses).where(
            media_analyses.c.account_sid == account_sid,
            media_analyses.c.media_key.in_([media_key(sid) for sid in gone]),
        )
    )
    return found


def delete_expired_transcripts(
    conn: Connection, account_sid: str, sids: Sequence[str], cutoff_ms: int
) -> list[str]:
    """Of these chats, those still quiet since the cutoff, read under their row locks (message
    writes lock the chat first), with their messages and participants."""
    c = chat_conversations.c
    locked = list(
        conn.execute(
            select(c.sid)
            .where(c.account_sid == account_sid, c.sid.in_(list(sids)))
            .with_for_update()
        ).scalars()
    )
    if not locked:
        return []
    quiet = list(
        conn.execute(select(c.sid).where(c.sid.in_(locked), _quiet_since(cutoff_ms))).scalars()
    )
    if quiet:
        conn.execute(delete(chat_messages).where(chat_messages.c.conversation_sid.in_(quiet)))
        conn.execute(
            delete(chat_participants).where(chat_participants.c.conversation_sid.in_(quiet))
        )
        conn.execute(delete(chat_conversations).where(c.sid.in_(quiet)))
        search_index.delete_transcripts(conn, quiet)
    return quiet


# --- runs ---------------------------------------------------------------------------------------


def start_run(conn: Connection, row: dict[str, Any]) -> int:
    result = conn.execute(insert(retention_runs).values(**row).returning(retention_runs.c.id))
    return int(result.scalar_one())


def finish_run(conn: Connection, run_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(retention_runs).where(retention_runs.c.id == run_id).values(**values))


def recent_runs(conn: Connection, account_sid: str, limit: int) -> list[RetentionRun]:
    query = (
        select(retention_runs)
        .where(retention_runs.c.account_sid == account_sid)
        .order_by(retention_runs.c.started_ms.desc(), retention_runs.c.id.desc())
        .limit(limit)
    )
    return [read_run(row) for row in conn.execute(query)]
