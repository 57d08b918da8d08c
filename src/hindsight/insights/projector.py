"""The projector: follows each workspace's event log and keeps conversations and segments.

It reads events in log order from a stored cursor, applies them to per-task tracks, rewrites
the affected segments and conversation summaries, and moves the cursor in the same
transaction, so it is idempotent and resumes exactly where it stopped. `reproject` forgets the
projection and replays the whole log, giving the same rows (segment ids are deterministic).
It runs in the server (woken by every commit that appends events) or on its own
(`hindsight project`).

A batch runs in two steps (`prepare`, then `Plan.write`): it reads what it needs and computes
its changes in a read transaction, then opens the write transaction only to write them. On
SQLite, whose one write lock every HTTP writer waits for, the lock is held for the writes and
not for the computation; on PostgreSQL the transaction (and the cursor's row lock) is as short.
The write step first checks that what was read is as it was (`_Guard`); if it is not (rare),
the batch is computed again inside the write transaction.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from hindsight.domain import segments as seg
from hindsight.domain.access import conversation_tags
from hindsight.domain.clock import Clock
from hindsight.domain.task_attributes import TaskAttributes
from hindsight.eventlog.notify import LogNotifier, WakeUp
from hindsight.insights.derive import (
    ProjectionOptions,
    agent_status_row,
    conversation_row,
    segment_row,
)
from hindsight.search.indexing import conversations_moved, prepare_index, searched_inputs
from hindsight.search.pick_lists import PickListChanges
from hindsight.store import events as event_store
from hindsight.store import insights as store
from hindsight.store.database import Database
from hindsight.store.pipeline import Statements, pipelined

log = logging.getLogger(__name__)

BATCH = 1000
_POLL_SECONDS = 1.0
# After a wake-up the projector lets more events arrive before it works: each pass costs a
# transaction and a summary per touched conversation, so under load it takes events in
# batches rather than one commit each; freshness stays well under the one-second aim.
_GATHER_SECONDS = 0.1
# While transactions that drew log positions are still in flight (PostgreSQL), look again
# within a gather's time: their commits wake the projector anyway, and looking every 20 ms
# (as it did) under a steady write load, when some transaction is always in flight, made
# batches of a few events, each paying a batch's fixed cost (a read and a write transaction,
# about twenty statements, the horizon's probe).
_UNSETTLED_SECONDS = _GATHER_SECONDS


Write = Callable[[Connection], None]
# A write that first reads, in the write transaction, tables other writers change too
# (assessments under scope tags, chat participants and stored search entries), and returns
# the statements it then sends.
Staged = Callable[[Connection], Statements]


@dataclass(frozen=True)
class _Guard:
    """What a prepared batch read that someone else could have changed before it writes.

    Only the projector adds or changes projection rows, and it holds the cursor while it
    writes; other writers (retention, a workspace's deletion, `reproject`) only delete them. So
    the cursor's position and the number of tracks and segments read are enough: any change
    between the read and the write moves one of them."""

    workspace_sid: str
    account_sid: str
    position: int
    task_sids: tuple[str, ...]
    tracks: int
    conversations: tuple[str, ...]
    segments: int

    def holds(self, conn: Connection) -> bool:
        """Checked first in the write transaction (locking the cursor row on PostgreSQL)."""
        expected = (self.position, self.tracks, self.segments)
        found = store.locked_position_and_counts(
            conn, self.workspace_sid, self.account_sid, self.task_sids, self.conversations
        )
        if found is not None:
            return found == expected
        return (
            store.lock_position(conn, self.workspace_sid) == self.position
            and store.count_tracks(conn, self.task_sids) == self.tracks
            and store.count_segments(conn, self.account_sid, self.conversations) == self.segments
        )


@dataclass(frozen=True)
class Plan:
    """A prepared batch: its writes, in the order the projection makes them, then the staged
    writes (which read first)."""

    guard: _Guard
    writes: tuple[Write, ...]
    staged: tuple[Staged, ...]
    last_seq: int

    def write(self, conn: Connection) -> None:
        """Write the batch and move the cursor past it (the cursor exists: it was locked).

        The staged writes read first, before any statement is sent (what they read, no
        write of the batch changes); then every statement goes out, on PostgreSQL in one
        pipeline: one round trip for the batch's writes instead of one per statement."""
        statements = [stage(conn) for stage in self.staged]
        with pipelined(conn, enabled=not any(s.reads for s in statements)):
            for write in self.writes:
                write(conn)
            for staged in statements:
                staged.send(conn)
            store.move_cursor(conn, self.guard.workspace_sid, self.last_seq)


class PreparedEvents(list[Any]):
    """A batch of events with the plan prepared for them on a read connection (None: the cursor
    was already past them)."""

    def __init__(self, events: list[Any], plan: Plan | None) -> None:
        super().__init__(events)
        self.plan = plan


class _StoredSegment:
    """A stored segment row as it reads once this batch's moves are written: its conversation
    is the one its task moved to."""

    __slots__ = ("_mapping",)

    def __init__(self, row: Any, conversation_id: str) -> None:
        self._mapping: dict[str, Any] = {**row._mapping, "conversation_id": conversation_id}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


class _Batch:
    """One batch of one workspace's events, applied to the projection.

    Each distinct attributes string is read once per batch (`attributes`), and only rows whose
    values changed are written: a segment, conversation or scope tag that an event leaves as it
    was keeps its row (and its `updated_ms`, which is when the row last changed).
    """

    def __init__(
        self,
        conn: Connection,
        workspace_sid: str,
        account_sid: str,
        options: ProjectionOptions,
        now_ms: int,
    ) -> None:
        self.conn = conn
        self.workspace_sid = workspace_sid
        self.account_sid = account_sid
        self.options = options
        self.now_ms = now_ms
        self.tracks: dict[str, seg.TaskTrack] = {}
        self.stored_tracks: dict[str, tuple[str, str]] = {}
        self.changed: dict[str, set[seg.Slot]] = {}
        self.conversations: set[str] = set()
        # Conversations' segments as they were before this batch moved a task between them
        # (the pick-list counts take off what each showed before, not after the move): the
        # conversations are noted as events move tasks, and their segments read once, in `save`.
        self.moved_between: set[str] = set()
        self.before_moves: dict[str, list[Any]] = {}
        self.agent_rows: dict[str, dict[str, Any]] = {}
        # Tasks regrouped under another conversation (task SID -> its latest), moved in one
        # batch when the batch is saved.
        self.moves: dict[str, str] = {}
        self._readings: dict[str | None, TaskAttributes] = {}
        # What the batch writes, in order: run later, in the write transaction.
        self.writes: list[Write] = []
        self.staged: list[Staged] = []
        self.segments_read = 0

    def attributes(self, raw: str | None) -> TaskAttributes:
        """The reading of one attributes string, made once per batch."""
        reading = self._readings.get(raw)
        if reading is None:
            reading = self._readings[raw] = TaskAttributes.parse(raw, hipaa=self.options.hipaa)
        return reading

    def load(self, events: list[Any]) -> list[tuple[Any, dict[str, str]]]:
        decoded = [(e, orjson.loads(e.event_data)) for e in events]
        sids = {d["task_sid"] for _e, d in decoded if d.get("task_sid")}
        for sid, row in store.load_tracks(self.conn, sids).items():
            self.tracks[sid] = seg.TaskTrack.from_json(orjson.loads(row.track))
            self.stored_tracks[sid] = (row.conversation_id, row.track)
        return decoded

    def apply(self, event: Any, data: dict[str, str]) -> None:
        at = event.event_date_ms
        if event.event_type == "worker.activity.update":
            self._agent_status(data, at)
            return
        task_sid = data.get("task_sid")
        if not task_sid:
            return
        track = self.tracks.get(task_sid)
        if track is None:
            track = self.tracks[task_sid] = self._new_track(task_sid, data, at)
            self.conversations.add(track.conversation)
        slots = self.changed.setdefault(task_sid, set())
        track.channel = data.get("task_channel_unique_name") or track.channel
        track.workflow = data.get("workflow_name") or track.workflow
        attributes = data.get("task_attributes")
        if attributes is not None:
            self._attributes(track, attributes, at, slots)
        slots.update(seg.apply(track, event.event_type, data, at))

    def _new_track(self, task_sid: str, data: dict[str, str], at_ms: int) -> seg.TaskTrack:
        attributes = data.get("task_attributes") or "{}"
        return seg.TaskTrack(
            task_sid=task_sid,
            conversation=self.attributes(attributes).conversation_key(task_sid),
            attributes=attributes,
            channel=data.get("task_channel_unique_name"),
            workflow=data.get("workflow_name"),
            created_ms=at_ms,
        )

    def _attributes(
        self, track: seg.TaskTrack, attributes: str, at: int, slots: set[seg.Slot]
    ) -> None:
        if not track.finished:
            if attributes == track.attributes:
                return
            track.attributes = attributes
            regrouped = self.attributes(attributes).conversation_key(track.task_sid)
            if regrouped != track.conversation:
                self.conversations.add(track.conversation)
                self.moved_between.update((track.conversation, regrouped))
                track.conversation = regrouped
                self.moves[track.task_sid] = regrouped
            self.conversations.add(track.conversation)
            slots.update(track.all_slots())
            return
        latest = track.late_attributes or track.attributes
        if self.attributes(attributes).changes_late_media(self.attributes(latest)):
            # Media attached after the task ended: taken (Twilio allows two minutes; Hindsight
            # has no deadline) and marked late.
            track.late_attributes = attributes
            track.late_media_ms = at
            slots.update(track.all_slots())

    def _agent_status(self, data: dict[str, str], at: int) -> None:
        statuses = seg.agent_status(data, at)
        if statuses and statuses[0].kind == seg.AGENT_STATUS:
            self.writes.append(
                functools.partial(
                    store.end_agent_status_in_progress,
                    worker_sid=data.get("worker_sid", ""),
                    before_ms=at,
                )
            )
        for facts in statuses:
            self.agent_rows[facts.segment_id] = agent_status_row(
                facts,
                account_sid=self.account_sid,
                workspace_sid=self.workspace_sid,
                now_ms=self.now_ms,
            )

    def _segment_rows(self) -> list[dict[str, Any]]:
        rows = []
        for task_sid, slots in self.changed.items():
            track = self.tracks[task_sid]
            self.conversations.add(track.conversation)
            for slot in slots:
                facts = seg.facts(track, slot)
                if facts is not None:
                    rows.append(
                        segment_row(
                            facts,
                            track,
                            account_sid=self.account_sid,
                            workspace_sid=self.workspace_sid,
                            options=self.options,
                            now_ms=self.now_ms,
                            read=self.attributes,
                        )
                    )
        return rows

    def save(self) -> None:
        """Compute the batch's writes (into `writes`)."""
        moves = dict(self.moves)
        self.writes.append(lambda conn: store.move_task_segments(conn, moves))
        computed = self._segment_rows()
        stored = self._stored_after_moves()
        stored_segments = {row.segment_id: row for rows in stored.values() for row in rows}
        written = [row for row in computed if _differs(row, stored_segments.get(row["segment_id"]))]
        segment_rows = sorted([*self.agent_rows.values(), *written], key=lambda r: r["segment_id"])
        self.writes.append(lambda conn: store.save_segments(conn, segment_rows))
        track_rows = self._track_rows()
        self.writes.append(lambda conn: store.save_tracks(conn, track_rows))
        self._save_conversations(stored, written, stored_segments)

    def _stored_after_moves(self) -> dict[str, list[Any]]:
        """The touched conversations' segments as stored once this batch's moves are written
        (they are written only in the write step, so they are applied here to what was read)."""
        found = store.segments_of_conversations(self.conn, self.account_sid, self.conversations)
        self.segments_read = sum(len(rows) for rows in found.values())
        self.before_moves = {c: found.get(c, []) for c in self.moved_between}
        if not self.moves:
            return found
        rows = {row.segment_id: row for conversation in found.values() for row in conversation}
        rows.update((row.segment_id, row) for row in store.segments_of_tasks(self.conn, self.moves))
        regrouped: dict[str, list[Any]] = {}
        for row in rows.values():
            moved_to = self.moves.get(row.task_sid)
            if moved_to is not None:
                row = _StoredSegment(row, moved_to)
            if row.conversation_id in self.conversations:
                regrouped.setdefault(row.conversation_id, []).append(row)
        return {
            conversation: sorted(regrouped[conversation], key=lambda r: (r.start_ms, r.segment_id))
            for conversation in sorted(regrouped)
        }

    def guard(self, position: int) -> _Guard:
        return _Guard(
            workspace_sid=self.workspace_sid,
            account_sid=self.account_sid,
            position=position,
            task_sids=tuple(sorted(self.stored_tracks.keys() | self.tracks.keys())),
            tracks=len(self.stored_tracks),
            conversations=tuple(sorted(self.conversations)),
            segments=self.segments_read,
        )

    def _track_rows(self) -> list[dict[str, Any]]:
        rows = []
        for sid, track in sorted(self.tracks.items()):
            if sid not in self.changed:
                continue
            document = orjson.dumps(track.to_json()).decode()
            if self.stored_tracks.get(sid) == (track.conversation, document):
                continue
            rows.append(
                {
                    "task_sid": sid,
                    "account_sid": self.account_sid,
                    "workspace_sid": self.workspace_sid,
                    "conversation_id": track.conversation,
                    "track": document,
                }
            )
        return rows

    def _save_conversations(
        self,
        stored: dict[str, list[Any]],
        written: list[dict[str, Any]],
        stored_segments: dict[str, Any],
    ) -> None:
        """Each touched conversation's summary and scope tags, from its segments as now stored."""
        members: dict[str, dict[str, Mapping[str, Any]]] = {
            conversation: {row.segment_id: row._mapping for row in rows}
            for conversation, rows in stored.items()
        }
        for row in written:
            before = stored_segments.get(row["segment_id"])
            if before is not None and before.conversation_id != row["conversation_id"]:
                members[before.conversation_id].pop(row["segment_id"], None)
            members.setdefault(row["conversation_id"], {})[row["segment_id"]] = row
        touched = sorted(self.conversations)
        summaries = store.summaries_of(self.conn, self.account_sid, touched)
        tags = store.scope_tags_of(self.conn, self.account_sid, touched)
        saved, deleted, retagged = [], [], {}
        searched: dict[str, list[Mapping[str, Any]]] = {}
        # Conversations whose start moved: their customer keys hold it (list order).
        moved: dict[str, int] = {}
        picks = PickListChanges()
        for conversation in touched:
            rows = sorted(
                members.get(conversation, {}).values(),
                key=lambda r: (r["start_ms"], r["segment_id"]),
            )
            before_rows = [
                r._mapping
                for r in self.before_moves.get(conversation, stored.get(conversation, []))
            ]
            if searched_inputs(rows) != searched_inputs(before_rows):
                searched[conversation] = rows
            summary = conversation_row(
                rows,
                account_sid=self.account_sid,
                workspace_sid=self.workspace_sid,
                now_ms=self.now_ms,
            )
            if summary is None:
                if conversation in summaries:
                    deleted.append(conversation)
                wanted: set[str] = set()
            else:
                before = summaries.get(conversation)
                if _differs(summary, before):
                    saved.append(summary)
                    if before is not None and before.start_ms != summary["start_ms"]:
                        moved[conversation] = summary["start_ms"]
                wanted = conversation_tags(rows)
            before = summaries.get(conversation)
            current = tags.get(conversation, set())
            # The stored tags are what the stored rows gave (the projector wrote them).
            picks.rewritten(
                before._mapping if before is not None else None,
                before_rows,
                summary,
                rows,
                (current, wanted),
            )
            if wanted != current:
                retagged[conversation] = (current, wanted)
        account = self.account_sid
        self.writes.append(lambda conn: store.delete_conversations(conn, account, deleted))
        self.writes.append(lambda conn: store.save_conversations(conn, saved))
        self.writes.append(lambda conn: conversations_moved(conn, account, moved))
        self.writes.append(lambda conn: picks.save(conn, account))
        # These read tables that HTTP writers change too (assessments, chat participants), so
        # they read them in the write transaction.
        self.staged.append(lambda conn: store.prepare_scope_tags(conn, account, retagged))
        self.staged.append(lambda conn: prepare_index(conn, account, searched))


def _differs(row: Mapping[str, Any], stored: Any | None) -> bool:
    """Whether a computed row says anything its stored copy does not (`updated_ms` aside)."""
    if stored is None:
        return True
    before = stored._mapping
    return any(before[key] != value for key, value in row.items() if key != "updated_ms")


def prepare(
    conn: Connection,
    workspace_sid: str,
    events: list[Any],
    options: ProjectionOptions,
    now_ms: int,
) -> Plan | None:
    """Read what a batch of one workspace's events (in log order) needs and compute its writes;
    None if the cursor is already past them (another projector took them in)."""
    position = store.position(conn, workspace_sid)
    if position >= events[0].seq:
        return None
    account_sid = store.account_of(conn, workspace_sid) or events[0].account_sid
    batch = _Batch(conn, workspace_sid, account_sid, options, now_ms)
    for event, data in batch.load(events):
        batch.apply(event, data)
    batch.save()
    return Plan(batch.guard(position), tuple(batch.writes), tuple(batch.staged), events[-1].seq)


def project(
    conn: Connection,
    workspace_sid: str,
    events: list[Any],
    options: ProjectionOptions,
    now_ms: int,
) -> None:
    """Apply a batch of one workspace's events (in log order) and move the cursor past them.

    Events prepared beforehand (`PreparedEvents`) are written as planned if what the plan read
    is unchanged; otherwise the batch is computed here, in the write transaction. The cursor
    row is locked first: if another projector (a second process) has already taken these
    events in, the batch is skipped rather than applied twice.
    """
    planned = events.plan if isinstance(events, PreparedEvents) else None
    if planned is not None and planned.guard.holds(conn):
        planned.write(conn)
        return
    if store.lock_position(conn, workspace_sid) >= events[0].seq:
        return
    plan = prepare(conn, workspace_sid, events, options, now_ms)
    if plan is not None:
        plan.write(conn)


class Projector:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifier: LogNotifier | None,
        options: ProjectionOptions,
    ) -> None:
        self._db = db
        self._clock = clock
        self._options = options
        self._wake = WakeUp()
        if notifier is not None:
            notifier.subscribe(self._wake)

    async def _project(self, workspace_sid: str, batch: list[Any]) -> None:
        """Compute the batch on a read connection, then only write it in the write transaction."""
        now = self._clock.now_ms()
        prepared = await self._db.read(
            lambda conn: PreparedEvents(
                batch, prepare(conn, workspace_sid, batch, self._options, now)
            )
        )
        await self._db.write(
            lambda conn: project(conn, workspace_sid, prepared, self._options, now)
        )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.catch_up()
            except Exception:
                log.exception("projection pass failed")
            settled = self._db.horizon.settled
            if await self._wake.wait(_POLL_SECONDS if settled else _UNSETTLED_SECONDS):
                await asyncio.sleep(_GATHER_SECONDS)

    async def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Project everything the log holds beyond the cursors; returns events applied."""
        applied = 0
        for workspace_sid, seq in await self._db.read(store.behind):
            applied += await self._follow(workspace_sid, seq, progress)
        return applied

    async def _follow(
        self, workspace_sid: str, seq: int, progress: Callable[[int], None] | None
    ) -> int:
        applied = 0
        while True:
            batch = await self._db.scan(
                lambda conn, seq=seq: event_store.follow(
                    conn, self._db.horizon, workspace_sid, seq, BATCH
                )
            )
            if not batch:
                return applied
            await self._project(workspace_sid, batch)
            applied += len(batch)
            if progress is not None:
                progress(len(batch))
            seq = batch[-1].seq
            if len(batch) < BATCH:
                return applied


def reset(conn: Connection) -> None:
    """Forget the projection; the next catch-up rebuilds it from the whole log."""
    store.clear(conn)


def total_events(conn: Connection) -> int:
    from sqlalchemy import func, select

    from hindsight.store.schema import events

    return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


__all__ = [
    "PreparedEvents",
    "ProjectionOptions",
    "Projector",
    "prepare",
    "project",
    "reset",
    "total_events",
]
