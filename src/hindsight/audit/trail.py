"""Recording, searching and verifying the audit trail.

Every read of conversation data, every media link minted and used, every export, every sign-in
and every denial is recorded here, synchronously, before the data leaves the server: if the
record cannot be written, the read fails. Records are append-only and chained under a key
the database does not hold (domain/audit_chain.py, audit/keyring.py), so an edited, inserted,
deleted or reordered record is detected by `verify`, even when whoever did it recomputed the
chain; checkpoints published outside the database (audit/checkpoints.py) catch a trail cut
short. Records carry identifiers and outcomes, never the personal data itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypedDict, Unpack

import orjson
from sqlalchemy import Connection

from hindsight.audit.checkpoints import BadLine, Checkpoint, CheckpointLog, make
from hindsight.audit.keyring import Keyring
from hindsight.domain import audit_chain
from hindsight.domain.access import PermissionDenied, Viewer
from hindsight.domain.audit_chain import ChainKey
from hindsight.domain.clock import Clock
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.permissions import Permission
from hindsight.store import audit as store
from hindsight.store.audit import AuditFilters, AuditRecord
from hindsight.store.database import Database
from hindsight.store.keyset import fetch_page

ALLOWED = "allowed"
DENIED = "denied"
FAILED = "failed"
# Newest first, for people reading the trail.
NEWEST_FIRST = store.NEWEST_FIRST
_MAX_DETAIL_CHARS = 4000


@dataclass(frozen=True)
class Actor:
    """Who an audit record is about when there is no Viewer (sign-in attempts, the CLI)."""

    actor_type: str
    actor_sid: str | None
    name: str | None
    account_sid: str | None = None
    roles: tuple[str, ...] = ()
    ip: str | None = None

    @classmethod
    def of(cls, viewer: Viewer) -> Actor:
        return cls(
            actor_type=viewer.actor_type,
            actor_sid=viewer.actor_sid,
            name=viewer.name,
            account_sid=viewer.account_sid,
            roles=viewer.roles,
            ip=viewer.ip,
        )


SYSTEM = Actor("system", None, "hindsight")


def operator(account_sid: str | None) -> Actor:
    """The operator at the server's own machine (the CLI) acting in an account, or in every
    account when None: trusted as the machine is, and recorded as the system."""
    return replace(SYSTEM, account_sid=account_sid)


class About(TypedDict, total=False):
    """What a record says besides who and what: its object, outcome, reason and detail."""

    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    detail: Mapping[str, Any] | None


@dataclass(frozen=True)
class Verification:
    records: int
    head_seq: int
    head_hash: str
    broken: audit_chain.Break | None
    checkpoints: int = 0  # checkpoints the chain was found to hold

    @property
    def intact(self) -> bool:
        return self.broken is None


def _detail(detail: Mapping[str, Any] | None) -> str:
    text = orjson.dumps(dict(detail or {}), default=str).decode()
    # A record never grows without bound (filters echo what a client sent).
    return text if len(text) <= _MAX_DETAIL_CHARS else orjson.dumps({"truncated": True}).decode()


class AuditTrail:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        keyring: Keyring,
        checkpoints: CheckpointLog | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._keyring = keyring
        self._key = keyring.current
        self._checkpoints = checkpoints
        self._published_seq = -1

    def _row(
        self,
        actor: Actor,
        action: str,
        object_type: str | None,
        object_id: str | None,
        outcome: str,
        reason: str | None,
        detail: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        return {
            "at_ms": self._clock.now_ms(),
            "account_sid": actor.account_sid,
            "actor_type": actor.actor_type,
            "actor_sid": actor.actor_sid,
            "actor_name": actor.name,
            "roles": orjson.dumps(list(actor.roles)).decode(),
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id)[:160],
            "outcome": outcome,
            "reason": reason,
            "ip": actor.ip,
            "detail": _detail(detail),
        }

    async def record(self, who: Viewer | Actor, action: str, **about: Unpack[About]) -> None:
        """In a transaction of its own (see `record_in` for the arguments)."""
        await self._db.write(lambda conn: self.record_in(conn, who, action, **about))

    async def refused_sign_in(
        self, actor: Actor, action: str, reason: str, detail: Mapping[str, Any] | None
    ) -> None:
        """A sign-in refused (by password or single sign-on): about the person it names."""
        await self.record(
            actor,
            action,
            object_type="user",
            object_id=actor.actor_sid,
            outcome=DENIED,
            reason=reason,
            detail=detail,
        )

    def record_in(
        self,
        conn: Connection,
        who: Viewer | Actor,
        action: str,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
        outcome: str = ALLOWED,
        reason: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Within the caller's transaction: the record exists exactly when the change does."""
        actor = Actor.of(who) if isinstance(who, Viewer) else who
        row = self._row(actor, action, object_type, object_id, outcome, reason, detail)
        append(conn, self._key, row)

    def record_each_in(
        self,
        conn: Connection,
        who: Viewer | Actor,
        action: str,
        objects: list[tuple[str, str, Mapping[str, Any] | None]],
    ) -> None:
        """One record per (object type, object id, detail), within the caller's transaction."""
        actor = Actor.of(who) if isinstance(who, Viewer) else who
        rows = [
            self._row(actor, action, object_type, object_id, ALLOWED, None, detail)
            for object_type, object_id, detail in objects
        ]
        append_all(conn, self._key, rows)

    async def require(
        self,
        viewer: Viewer,
        permission: Permission,
        action: str,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> None:
        """Check a permission; a refusal is recorded before it is raised (HTTP 403)."""
        try:
            viewer.require(permission)
        except PermissionDenied as denied:
            await self.record(
                viewer,
                action,
                object_type=object_type,
                object_id=object_id,
                outcome=DENIED,
                reason=denied.message,
            )
            raise

    async def authorise(
        self,
        who: Viewer | Actor,
        permission: Permission,
        action: str,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> Actor:
        """Who acts, once allowed: a Viewer (someone signed in) must hold the permission, and
        a refusal is recorded; an Actor is the operator on the server's own machine (the CLI),
        whom the machine's own access control guards."""
        if isinstance(who, Actor):
            return who
        await self.require(who, permission, action, object_type=object_type, object_id=object_id)
        return Actor.of(who)

    # --- reading ---------------------------------------------------------------------------

    async def search(
        self, viewer: Viewer, filters: AuditFilters, page: PageRequest
    ) -> PageResult[AuditRecord]:
        """Admins read their account's trail; the read is itself recorded."""
        await self.require(viewer, Permission.READ_AUDIT, "audit.search")
        scoped = _own_account(viewer, filters)
        query = store.search_query(scoped)
        result = await self._db.scan(
            lambda conn: fetch_page(conn, query, NEWEST_FIRST, page, read=store.record)
        )
        await self.record(viewer, "audit.search", detail=_filter_detail(scoped))
        return result

    async def export(
        self, viewer: Viewer, filters: AuditFilters
    ) -> AsyncIterator[list[dict[str, Any]]]:
        await self.require(viewer, Permission.READ_AUDIT, "audit.export")
        scoped = _own_account(viewer, filters)
        await self.record(viewer, "audit.export", detail=_filter_detail(scoped))
        query = store.search_query(scoped)
        page = PageRequest(size=1000)
        while True:
            result = await self._db.scan(
                lambda conn, page=page: fetch_page(
                    conn, query, NEWEST_FIRST, page, read=store.record
                )
            )
            if result.rows:
                yield [r.fields() for r in result.rows]
            if not result.has_next:
                return
            page = PageRequest(size=1000, after=(result.rows[-1].seq,))

    def verify(self) -> Verification:
        """Check the whole chain under the keyring, that it ends where the head says, and that
        it still holds every published checkpoint (nothing cut off or re-chained)."""
        published = self._checkpoints.read() if self._checkpoints is not None else []
        keys = self._keyring.keys

        def unit(conn: Connection) -> Verification:
            head = store.read_head(conn) or (0, audit_chain.GENESIS)
            count = 0
            last_seq, last_hash = 0, audit_chain.GENESIS
            wanted = {c.seq for c in published if isinstance(c, Checkpoint)}
            held: dict[int, str] = {}

            def walk() -> Any:
                nonlocal count, last_seq, last_hash
                for record in store.in_order(conn):
                    count += 1
                    if record.seq != count:
                        # A gap in the numbering: a record was deleted from the middle.
                        raise _Gap(count, record.seq)
                    last_seq, last_hash = record.seq, record.hash
                    if last_seq in wanted:
                        held[last_seq] = last_hash
                    yield record.fields()

            try:
                broken = audit_chain.verify(walk(), keys, self._keyring.keyed_from)
            except _Gap as gap:
                broken = audit_chain.Break(
                    gap.position - 1, gap.found, f"comes after a missing record {gap.position}"
                )
            if broken is None and (last_seq, last_hash) != head:
                broken = audit_chain.Break(
                    count,
                    head[0],
                    f"the chain ends at record {last_seq} but its head says {head[0]}: "
                    "records were removed from the end or the head was changed",
                )
            if broken is None:
                broken = _checkpoint_break(published, keys, held, count)
            return Verification(count, head[0], head[1], broken, len(wanted))

        return self._db.read_sync(unit)

    # --- checkpoints -----------------------------------------------------------------------

    def _checkpoint_of(self, conn: Connection) -> Checkpoint | None:
        head = store.read_head(conn)
        if head is None or head[0] <= self._published_seq:
            return None
        seq, hash_ = head
        return make(self._key, seq, hash_, seq, self._clock.now_ms())

    def _publish(self, checkpoint: Checkpoint | None) -> Checkpoint | None:
        if checkpoint is None or self._checkpoints is None:
            return None
        self._checkpoints.publish(checkpoint)
        self._published_seq = checkpoint.seq
        return checkpoint

    async def publish_checkpoint(self) -> Checkpoint | None:
        """Publish the head if the chain grew since the last checkpoint this process wrote."""
        if self._checkpoints is None:
            return None
        return self._publish(await self._db.read(self._checkpoint_of))


def _checkpoint_break(
    published: list[Checkpoint | BadLine],
    keys: Mapping[int, ChainKey],
    held: Mapping[int, str],
    count: int,
) -> audit_chain.Break | None:
    """The first published checkpoint the chain no longer matches, as a break."""
    for checkpoint in published:
        if isinstance(checkpoint, BadLine):
            return audit_chain.Break(
                count,
                f"(checkpoint file line {checkpoint.number})",
                "is not a checkpoint: the checkpoint file was edited",
            )
        seq = checkpoint.seq
        if not checkpoint.genuine(keys):
            return audit_chain.Break(
                count, seq, "has a checkpoint the audit keyring did not sign (forged)"
            )
        if seq > count:
            return audit_chain.Break(
                count,
                seq,
                f"was checkpointed at {checkpoint.at_ms} but is gone: records were removed "
                f"from the end (the trail has {count})",
            )
        if held.get(seq) != checkpoint.hash:
            return audit_chain.Break(
                count,
                seq,
                f"is not the record checkpointed at {checkpoint.at_ms}: the trail was "
                "rewritten and re-chained",
            )
    return None


class _Gap(Exception):
    def __init__(self, position: int, found: int) -> None:
        self.position = position
        self.found = found


def append(conn: Connection, key: ChainKey, row: dict[str, Any]) -> None:
    """Chain `row` after the newest record (the head is locked until this transaction ends)."""
    append_all(conn, key, [row])


def append_all(conn: Connection, key: ChainKey, rows: list[dict[str, Any]]) -> None:
    """Chain `rows`, in order, after the newest record: one head lock and one move for all."""
    if not rows:
        return
    head = store.lock_head(conn)
    seq, previous = head if head is not None else (0, audit_chain.GENESIS)
    records = []
    for row in rows:
        seq += 1
        record = {**row, "seq": seq, "previous_hash": previous}
        record["hash"] = previous = audit_chain.keyed_hash(key, previous, record)
        records.append(record)
    if len(records) == 1:
        store.append(conn, records[0], head_exists=head is not None)
    else:
        store.append_many(conn, records, head_exists=head is not None)


def record_fields(record: AuditRecord) -> dict[str, Any]:
    """An audit record as its fields, with the roles and the detail decoded from JSON."""
    return {
        **record.fields(),
        "roles": orjson.loads(record.roles),
        "detail": orjson.loads(record.detail),
    }


def _own_account(viewer: Viewer, filters: AuditFilters) -> AuditFilters:
    # An account's admins see their account's records only, whatever they ask for.
    return AuditFilters(**{**filters.__dict__, "account_sid": viewer.account_sid})


def _filter_detail(filters: AuditFilters) -> dict[str, Any]:
    return {k: v for k, v in filters.__dict__.items() if v is not None and k != "account_sid"}
