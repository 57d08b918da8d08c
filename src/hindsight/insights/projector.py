"""The projector: follows each workspace's event log and keeps conversations and segments.

It reads events in log order from a stored cursor, applies them to per-task tracks, rewrites
the affected segments and conversation summaries, and moves the cursor in the same
transaction, so it is idempotent and resumes exactly where it stopped. `reproject` forgets the
projection and replays the whole log, giving the same rows (segment ids are deterministic).
It runs in the server (woken by every commit that appends events) or on its own
(`hindsight project`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
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
from hindsight.search.indexing import index_conversations, searched_inputs
from hindsight.search.pick_lists import PickListChanges
from hindsight.store import events as event_store
from hindsight.store import insights as store
from hindsight.store.database import Database

log = logging.getLogger(__name__)

BATCH = 1000
_POLL_SECONDS = 1.0
# After a wake-up the projector lets more events arrive before it works: each pass costs a
# transaction and a summary per touched conversation, so under load it takes events in
# batches rather than one commit each; freshness stays well under the one-second aim.
_GATHER_SECONDS = 0.1
# While transactions that drew log positions are still in flight (PostgreSQL), look again soon.
_UNSETTLED_SECONDS = 0.02


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
        # (the pick-list counts take off what each showed before, not after the move).
        self.before_moves: dict[str, list[Any]] = {}
        self.agent_rows: dict[str, dict[str, Any]] = {}
        # Tasks regrouped under another conversation (task SID -> its latest), moved in one
        # batch when the batch is saved.
        self.moves: dict[str, str] = {}
        self._readings: dict[str | None, TaskAttributes] = {}

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
                self._remember_before_move(track.conversation, regrouped)
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
            store.end_agent_status_in_progress(self.conn, data.get("worker_sid", ""), at)
        for facts in statuses:
            self.agent_rows[facts.segment_id] = agent_status_row(
                facts,
                account_sid=self.account_sid,
                workspace_sid=self.workspace_sid,
                now_ms=self.now_ms,
            )

    def _remember_before_move(self, *conversation_ids: str) -> None:
        unseen = [c for c in conversation_ids if c not in self.before_moves]
        if not unseen:
            return
        found = store.segments_of_conversations(self.conn, self.account_sid, unseen)
        for conversation in unseen:
            self.before_moves[conversation] = found.get(conversation, [])

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
        store.move_task_segments(self.conn, self.moves)
        computed = self._segment_rows()
        # The touched conversations' segments as stored (the moves above included).
        stored = store.segments_of_conversations(self.conn, self.account_sid, self.conversations)
        stored_segments = {row.segment_id: row for rows in stored.values() for row in rows}
        written = [row for row in computed if _differs(row, stored_segments.get(row["segment_id"]))]
        store.save_segments(
            self.conn,
            sorted([*self.agent_rows.values(), *written], key=lambda r: r["segment_id"]),
        )
        self._save_tracks()
        self._save_conversations(stored, written, stored_segments)

    def _save_tracks(self) -> None:
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
        store.save_tracks(self.conn, rows)

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
                if _differs(summary, summaries.get(conversation)):
                    saved.append(summary)
                wanted = conversation_tags(rows)
            before = summaries.get(conversation)
            picks.rewritten(
                before._mapping if before is not None else None, before_rows, summary, rows
            )
            current = tags.get(conversation, set())
            if wanted != current:
                retagged[conversation] = (current, wanted)
        store.delete_conversations(self.conn, self.account_sid, deleted)
        store.save_conversations(self.conn, saved)
        store.replace_scope_tags(self.conn, self.account_sid, retagged)
        index_conversations(self.conn, self.account_sid, searched)
        picks.save(self.conn, self.account_sid)


def _differs(row: Mapping[str, Any], stored: Any | None) -> bool:
    """Whether a computed row says anything its stored copy does not (`updated_ms` aside)."""
    if stored is None:
        return True
    before = stored._mapping
    return any(before[key] != value for key, value in row.items() if key != "updated_ms")


def project(
    conn: Connection,
    workspace_sid: str,
    events: list[Any],
    options: ProjectionOptions,
    now_ms: int,
) -> None:
    """Apply a batch of one workspace's events (in log order) and move the cursor past them.

    The cursor row is locked first: if another projector (a second process) has already taken
    these events in, the batch is skipped rather than applied twice.
    """
    if store.lock_position(conn, workspace_sid) >= events[0].seq:
        return
    account_sid = store.account_of(conn, workspace_sid) or events[0].account_sid
    batch = _Batch(conn, workspace_sid, account_sid, options, now_ms)
    for event, data in batch.load(events):
        batch.apply(event, data)
    batch.save()
    store.advance(conn, workspace_sid, events[-1].seq)


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

    def _unit(self, workspace_sid: str, batch: list[Any]) -> Callable[[Connection], None]:
        now = self._clock.now_ms()
        return lambda conn: project(conn, workspace_sid, batch, self._options, now)

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
            await self._db.write(self._unit(workspace_sid, batch))
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


__all__ = ["ProjectionOptions", "Projector", "project", "reset", "total_events"]
