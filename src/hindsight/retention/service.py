"""Retention: each account's policy, legal holds, and the sweep that deletes what expired.

A sweep deletes in small transactions, each with its audit records, so the record of a deletion
exists exactly when the deletion does, and a server sharing the database keeps answering while
a large backlog is cleared. A conversation's deletion re-checks its hold under the row lock the
hold takes, so a hold placed during a sweep always wins. A recording's file is removed after
its row (never a row naming a missing file).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

import anyio
import orjson
from sqlalchemy import Connection

from hindsight.audit.trail import ALLOWED, FAILED, Actor, AuditTrail
from hindsight.domain import retention as rules
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Conflict, InvalidParameter, NotFound
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.permissions import Permission
from hindsight.domain.record_fields import fields_of
from hindsight.insights import held_media
from hindsight.insights.queries import scope_of
from hindsight.media.analysis import recording_media_key
from hindsight.media.storage import BlobStore
from hindsight.store import insights_queries
from hindsight.store import recordings as recording_store
from hindsight.store import retention as store
from hindsight.store.database import Database
from hindsight.store.keyset import fetch_page
from hindsight.store.records import written
from hindsight.store.retention import LegalHold, RetentionPolicyRow, RetentionRun

# The order holds are listed in: newest first.
HOLD_ORDER = store.HOLD_ORDER


class _Expired(Protocol):
    """A row a sweep walks over: `key` is what a hold protects, `position` where the walk
    goes on after it."""

    @property
    def key(self) -> str: ...

    @property
    def position(self) -> store.Position: ...


E = TypeVar("E", bound=_Expired)

log = logging.getLogger(__name__)

SCHEDULE = "schedule"
API = "api"
CLI = "cli"
MAX_CONVERSATION_ID = 128
_RUN_DETAIL = ("trigger", "dry_run", "conversations", "recordings", "transcripts", "held")


@dataclass(frozen=True)
class SweepReport:
    """What one sweep of one account deleted (or, dry, would delete)."""

    account_sid: str
    trigger: str
    dry_run: bool
    started_ms: int
    finished_ms: int | None = None
    conversations: int = 0
    recordings: int = 0
    transcripts: int = 0
    held: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_row(cls, row: RetentionRun) -> SweepReport:
        return cls(
            account_sid=row.account_sid,
            trigger=row.trigger,
            dry_run=bool(row.dry_run),
            started_ms=row.started_ms,
            finished_ms=row.finished_ms,
            conversations=row.conversations,
            recordings=row.recordings,
            transcripts=row.transcripts,
            held=row.held,
            error=row.error,
        )


@dataclass(frozen=True)
class PolicyView:
    policy: rules.RetentionPolicy
    updated_ms: int | None
    updated_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.policy.to_json(),
            "effective_recording_days": self.policy.effective_recording_days,
            "effective_transcript_days": self.policy.effective_transcript_days,
            "updated_ms": self.updated_ms,
            "updated_by": self.updated_by,
        }


@dataclass(frozen=True)
class Protected:
    """The recordings and transcripts the account's held conversations show."""

    held: frozenset[str]
    recordings: frozenset[str]
    transcripts: frozenset[str]

    @property
    def holds(self) -> int:
        return len(self.held)


def hold_json(row: LegalHold) -> dict[str, Any]:
    return fields_of(
        row, "conversation_id", "reason", "placed_by_sid", "placed_by_name", "placed_ms"
    )


def _policy_of(row: RetentionPolicyRow | None) -> rules.RetentionPolicy:
    if row is None:
        return rules.RetentionPolicy()
    return rules.RetentionPolicy(
        conversation_days=row.conversation_days,
        recording_days=row.recording_days,
        transcript_days=row.transcript_days,
    )


def conversation_id_of(value: str) -> str:
    if not value or len(value) > MAX_CONVERSATION_ID:
        raise InvalidParameter(f"A conversation id is 1 to {MAX_CONVERSATION_ID} characters")
    return value


def _transcript_sids(media_lists: Iterable[list[dict[str, Any]]]) -> set[str]:
    return {
        item["sid"]
        for items in media_lists
        for item in items
        if item.get("type") == "ChatTranscript" and isinstance(item.get("sid"), str)
    }


def protected_media(conn: Connection, account_sid: str) -> Protected:
    """What the holds protect besides the conversations themselves: the recordings linked to
    their tasks, reservations and calls or named by their media, and their transcripts."""
    held = store.held_conversations(conn, account_sid)
    if not held:
        return Protected(frozenset(), frozenset(), frozenset())
    rows = insights_queries.segments_of(conn, account_sid, held)
    tasks, reservations, calls = held_media.wanted(held_media.segment_keys(r) for r in rows)
    linked = recording_store.linked(conn, account_sid, tasks, reservations, calls)
    media = [{"media": orjson.loads(r.media)} for r in rows]
    recordings = {r.sid for r in linked} | set(held_media.referenced_sids(media))
    transcripts = _transcript_sids(m["media"] for m in media)
    return Protected(frozenset(held), frozenset(recordings), frozenset(transcripts))


def protected_now(conn: Connection, account_sid: str, known: Protected) -> Protected:
    """Within a deleting transaction: what the holds protect now. The account's policy row is
    locked first, as placing a hold locks it, so a hold placed during a sweep is seen here."""
    store.lock_policy(conn, account_sid)
    if set(store.held_conversations(conn, account_sid)) == known.held:
        return known
    return protected_media(conn, account_sid)


class RetentionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditTrail,
        blobs: BlobStore,
        *,
        batch_size: int = 100,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._blobs = blobs
        self._batch = batch_size

    async def _manager(self, who: Viewer | Actor, action: str, object_id: str | None = None) -> str:
        """The account `who` acts in, once allowed (see AuditTrail.authorise)."""
        actor = await self._audit.authorise(
            who,
            Permission.MANAGE_RETENTION,
            action,
            object_type="conversation" if object_id else None,
            object_id=object_id,
        )
        if actor.account_sid is None:
            raise InvalidParameter("Name the account")
        return actor.account_sid

    # --- the policy ---------------------------------------------------------------------------

    async def policy(self, who: Viewer | Actor) -> PolicyView:
        account_sid = await self._manager(who, "retention.policy.read")
        row = await self._db.read(lambda conn: store.get_policy(conn, account_sid))
        return self._view(row)

    @staticmethod
    def _view(row: RetentionPolicyRow | None) -> PolicyView:
        return PolicyView(
            _policy_of(row),
            None if row is None else row.updated_ms,
            None if row is None else row.updated_by,
        )

    def _policy_unit(
        self, account_sid: str, who: Viewer | Actor, document: dict[str, Any]
    ) -> Callable[[Connection], PolicyView]:
        by = who.name
        now = self._clock.now_ms()

        def unit(conn: Connection) -> PolicyView:
            before = _policy_of(store.get_policy(conn, account_sid))
            after = before.changed(document)
            store.save_policy(
                conn, account_sid, {**after.to_json(), "updated_ms": now, "updated_by": by}
            )
            self._audit.record_in(
                conn,
                who,
                "retention.policy.update",
                detail={"before": before.to_json(), "after": after.to_json()},
            )
            return PolicyView(after, now, by)

        return unit

    async def set_policy(self, who: Viewer | Actor, document: dict[str, Any]) -> PolicyView:
        """Change the fields `document` names (days, or null to keep for ever)."""
        account_sid = await self._manager(who, "retention.policy.update")
        rules.RetentionPolicy.from_json(document)  # refuse before touching anything
        return await self._db.write(self._policy_unit(account_sid, who, document))

    # --- legal holds --------------------------------------------------------------------------

    async def holds(self, viewer: Viewer, page: PageRequest) -> PageResult[LegalHold]:
        await self._manager(viewer, "retention.hold.list")
        query = store.holds_query(viewer.account_sid)
        return await self._db.read(
            lambda conn: fetch_page(conn, query, store.HOLD_ORDER, page, read=store.read_hold)
        )

    async def all_holds(self, who: Viewer | Actor) -> list[LegalHold]:
        """Every hold of the account, newest first, in one list (the CLI's)."""
        account_sid = await self._manager(who, "retention.hold.list")
        newest = (k.column.desc() for k in store.HOLD_ORDER)
        query = store.holds_query(account_sid).order_by(*newest)
        return await self._db.scan(
            lambda conn: [store.read_hold(row) for row in conn.execute(query)]
        )

    async def hold(self, viewer: Viewer, conversation_id: str) -> LegalHold:
        await self._manager(viewer, "retention.hold.read", conversation_id)
        row = await self._db.read(
            lambda conn: store.get_hold(conn, viewer.account_sid, conversation_id)
        )
        if row is None:
            raise NotFound(f"Conversation {conversation_id!r} is not on hold")
        return row

    def _place_unit(
        self, account_sid: str, who: Viewer | Actor, conversation_id: str, reason: str
    ) -> Callable[[Connection], LegalHold]:
        scope = scope_of(who) if isinstance(who, Viewer) else None
        now = self._clock.now_ms()

        def unit(conn: Connection) -> LegalHold:
            # Locked first: a sweep deleting this conversation waits, then sees the hold.
            locked = store.lock_conversation(conn, account_sid, conversation_id)
            # ... and the policy: a sweep deleting media takes it before reading the holds.
            store.lock_policy(conn, account_sid)
            visible = insights_queries.conversation(conn, account_sid, conversation_id, scope)
            if locked is None or visible is None:
                raise NotFound(f"No conversation {conversation_id!r} in this account")
            if store.get_hold(conn, account_sid, conversation_id) is not None:
                raise Conflict(f"Conversation {conversation_id!r} is already on hold")
            row = {
                "account_sid": account_sid,
                "conversation_id": conversation_id,
                "reason": reason,
                "placed_by_sid": who.actor_sid,
                "placed_by_name": who.name,
                "placed_ms": now,
            }
            store.place_hold(conn, row)
            self._audit.record_in(
                conn,
                who,
                "retention.hold.place",
                object_type="conversation",
                object_id=conversation_id,
                reason=reason,
            )
            return written(store.get_hold(conn, account_sid, conversation_id))

        return unit

    async def place_hold(self, who: Viewer | Actor, conversation_id: str, reason: Any) -> LegalHold:
        conversation_id = conversation_id_of(conversation_id)
        account_sid = await self._manager(who, "retention.hold.place", conversation_id)
        unit = self._place_unit(account_sid, who, conversation_id, rules.hold_reason(reason))
        return await self._db.write(unit)

    def _release_unit(
        self, account_sid: str, who: Viewer | Actor, conversation_id: str
    ) -> Callable[[Connection], None]:
        def unit(conn: Connection) -> None:
            held = store.get_hold(conn, account_sid, conversation_id)
            if held is None or not store.release_hold(conn, account_sid, conversation_id):
                raise NotFound(f"Conversation {conversation_id!r} is not on hold")
            self._audit.record_in(
                conn,
                who,
                "retention.hold.release",
                object_type="conversation",
                object_id=conversation_id,
                detail={"placed_ms": held.placed_ms, "reason": held.reason},
            )

        return unit

    async def release_hold(self, who: Viewer | Actor, conversation_id: str) -> None:
        account_sid = await self._manager(who, "retention.hold.release", conversation_id)
        await self._db.write(self._release_unit(account_sid, who, conversation_id))

    # --- sweeping -----------------------------------------------------------------------------

    async def runs(self, viewer: Viewer, limit: int = 20) -> list[SweepReport]:
        await self._manager(viewer, "retention.run.list")
        rows = await self._db.read(lambda conn: store.recent_runs(conn, viewer.account_sid, limit))
        return [SweepReport.from_row(r) for r in rows]

    async def run(self, viewer: Viewer, *, dry_run: bool = False) -> SweepReport:
        """Sweep the viewer's account now, by its policy."""
        await self._manager(viewer, "retention.run")
        row = await self._db.read(lambda conn: store.get_policy(conn, viewer.account_sid))
        return await self.sweep(
            viewer.account_sid, _policy_of(row), trigger=API, dry_run=dry_run, who=viewer
        )

    async def sweep_all(
        self, trigger: str = SCHEDULE, now_ms: int | None = None
    ) -> list[SweepReport]:
        """Every account with a policy; one account's failure does not stop the others."""
        rows = await self._db.read(store.policies)
        reports = []
        for row in rows:
            policy = _policy_of(row)
            if policy.keeps_everything:
                continue
            try:
                report = await self.sweep(row.account_sid, policy, trigger=trigger, now_ms=now_ms)
            except Exception:  # recorded on its run; the next account still runs
                log.exception("retention sweep of %s failed", row.account_sid)
                continue
            reports.append(report)
        return reports

    async def sweep(
        self,
        account_sid: str,
        policy: rules.RetentionPolicy,
        *,
        trigger: str,
        dry_run: bool = False,
        who: Viewer | Actor | None = None,
        now_ms: int | None = None,
    ) -> SweepReport:
        """Delete (or, dry, count) what `policy` says has expired in the account at `now_ms`."""
        actor = who or Actor("system", None, "retention", account_sid=account_sid)
        started = self._clock.now_ms()
        now = started if now_ms is None else now_ms
        cut = rules.cutoffs(policy, now)
        report = SweepReport(account_sid, trigger, dry_run, started)
        run_id = await self._db.write(lambda conn: store.start_run(conn, _run_row(report)))
        try:
            protected = await self._db.read(lambda conn: protected_media(conn, account_sid))
            report = replace(report, held=protected.holds)
            sweep = _Sweep(self, account_sid, actor, dry_run)
            if cut.conversations_ms is not None:
                report = replace(
                    report,
                    conversations=await sweep.conversations(
                        cut.conversations_ms, policy.conversation_days
                    ),
                )
            if cut.recordings_ms is not None:
                report = replace(
                    report,
                    recordings=await sweep.recordings(
                        cut.recordings_ms, policy.effective_recording_days, protected
                    ),
                )
            if cut.transcripts_ms is not None:
                report = replace(
                    report,
                    transcripts=await sweep.transcripts(
                        cut.transcripts_ms, policy.effective_transcript_days, protected
                    ),
                )
        except Exception as exc:
            report = replace(report, error=f"{type(exc).__name__}: {exc}"[:500])
            raise
        finally:
            report = replace(report, finished_ms=self._clock.now_ms())
            await self._finish(run_id, report, actor)
        return report

    async def _finish(self, run_id: int, report: SweepReport, actor: Viewer | Actor) -> None:
        def unit(conn: Connection) -> None:
            store.finish_run(conn, run_id, _run_row(report))
            self._audit.record_in(
                conn,
                actor,
                "retention.run",
                outcome=FAILED if report.error else ALLOWED,
                reason=report.error,
                detail={k: v for k, v in report.to_json().items() if k in _RUN_DETAIL},
            )

        with anyio.CancelScope(shield=True):
            await self._db.write(unit)


def _run_row(report: SweepReport) -> dict[str, Any]:
    return report.to_json()


class _Sweep:
    """One account's sweep: walks each kind of expired data in batches, oldest first."""

    def __init__(
        self, service: RetentionService, account_sid: str, actor: Viewer | Actor, dry_run: bool
    ) -> None:
        self._db = service._db
        self._audit = service._audit
        self._blobs = service._blobs
        self._batch = service._batch
        self._account = account_sid
        self._actor = actor
        self._dry = dry_run

    async def _walk(
        self,
        find: Callable[[Connection, store.Position], list[E]],
        delete_batch: Callable[[list[E]], Awaitable[int]],
        protected: frozenset[str] = frozenset(),
    ) -> int:
        """`protected`: SIDs of recordings or chats a hold keeps, skipped."""
        total = 0
        position: store.Position = None
        while True:
            rows = await self._db.read(lambda conn, at=position: find(conn, at))
            if not rows:
                return total
            wanted = [r for r in rows if r.key not in protected] if protected else rows
            if wanted:
                total += len(wanted) if self._dry else await delete_batch(wanted)
            position = rows[-1].position
            if len(rows) < self._batch:
                return total
            # Lets requests in between batches (SQLite writes run on the server's loop).
            await asyncio.sleep(0)

    def _deleted(
        self, conn: Connection, object_type: str, items: list[tuple[str, dict[str, Any]]]
    ) -> None:
        objects = [(object_type, object_id, detail) for object_id, detail in items]
        self._audit.record_each_in(conn, self._actor, "retention.delete", objects)

    async def conversations(self, cutoff_ms: int, days: int | None) -> int:
        account = self._account

        def find(conn: Connection, at: store.Position) -> list[store.ExpiredConversation]:
            return store.expired_conversations(conn, account, cutoff_ms, self._batch, at)

        def unit(rows: list[store.ExpiredConversation]) -> Callable[[Connection], int]:
            ended = {r.conversation_id: r.end_ms for r in rows}

            def delete(conn: Connection) -> int:
                # Checked again under the locks: the conversation may have moved on, or been
                # put on hold, since it was found.
                ids = store.lock_expired_conversations(conn, account, list(ended), cutoff_ms)
                if not ids:
                    return 0
                tasks = store.tasks_of(conn, account, ids)
                store.delete_conversations(conn, account, ids, [t.task_sid for t in tasks])
                per_conversation = dict.fromkeys(ids, 0)
                for t in tasks:
                    per_conversation[t.conversation_id] += 1
                details = [
                    (i, {"ended_ms": ended[i], "policy_days": days, "tasks": per_conversation[i]})
                    for i in ids
                ]
                self._deleted(conn, "conversation", details)
                return len(ids)

            return delete

        async def delete_batch(rows: list[store.ExpiredConversation]) -> int:
            return await self._db.write(unit(rows))

        return await self._walk(find, delete_batch)

    async def recordings(self, cutoff_ms: int, days: int | None, protected: Protected) -> int:
        account = self._account

        def find(conn: Connection, at: store.Position) -> list[store.ExpiredRecording]:
            return store.expired_recordings(conn, account, cutoff_ms, self._batch, at)

        async def delete_batch(rows: list[store.ExpiredRecording]) -> int:
            created = {r.sid: r.date_created for r in rows}

            def delete(conn: Connection) -> list[str]:
                kept = protected_now(conn, account, protected).recordings
                wanted = [sid for sid in created if sid not in kept]
                gone = store.delete_recordings(conn, account, wanted, recording_media_key)
                details = [
                    (r.sid, {"created_ms": created[r.sid], "policy_days": days}) for r in gone
                ]
                if details:
                    self._deleted(conn, "recording", details)
                return [r.blob_key for r in gone]

            keys = await self._db.write(delete)
            # Rows first, then files: never a row naming a missing file.
            with anyio.CancelScope(shield=True):
                for key in keys:
                    await self._blobs.delete(key)
            return len(keys)

        return await self._walk(find, delete_batch, protected.recordings)

    async def transcripts(self, cutoff_ms: int, days: int | None, protected: Protected) -> int:
        account = self._account

        def find(conn: Connection, at: store.Position) -> list[store.ExpiredByCreation]:
            return store.expired_transcripts(conn, account, cutoff_ms, self._batch, at)

        async def delete_batch(rows: list[store.ExpiredByCreation]) -> int:
            created = {r.sid: r.date_created for r in rows}

            def delete(conn: Connection) -> int:
                # A message written since the chat was found keeps it.
                kept = protected_now(conn, account, protected).transcripts
                wanted = [sid for sid in created if sid not in kept]
                gone = store.delete_expired_transcripts(conn, account, wanted, cutoff_ms)
                details = [(s, {"created_ms": created[s], "policy_days": days}) for s in gone]
                if details:
                    self._deleted(conn, "transcript", details)
                return len(gone)

            return await self._db.write(delete)

        return await self._walk(find, delete_batch, protected.transcripts)
