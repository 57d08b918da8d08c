"""What every TaskRouter service shares: workspace scoping, read-only mirrors, emitting events.

The dependencies, the caller and database access every service shares are in service_base.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Row, Select
from sqlalchemy.exc import IntegrityError

from hindsight.domain.errors import HindsightError, InvalidParameter, NotFound
from hindsight.domain.events import Actor, NewEvent
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix, new_sid
from hindsight.eventlog.append import Origin, append, append_from
from hindsight.service_base import Caller, Service
from hindsight.store import twilio_sources as twilio_source_store
from hindsight.store import workspaces as workspace_store
from hindsight.store.keyset import SortKey, fetch_page
from hindsight.store.workspaces import WorkspaceRecord

T = TypeVar("T")


def not_found(path: str) -> NotFound:
    return NotFound(f"The requested resource {path} was not found")


def workspace_or_404(conn: Connection, caller: Caller, workspace_sid: str) -> WorkspaceRecord:
    workspace = workspace_store.get(conn, caller.account_sid, workspace_sid)
    if workspace is None:
        raise not_found(f"/Workspaces/{workspace_sid}")
    return workspace


@dataclass(frozen=True)
class WorkspaceRef:
    """What appending an event needs to know of a workspace."""

    sid: str
    account_sid: str
    friendly_name: str


def emit(conn: Connection, workspace: Any, caller: Caller, now: int, *events: NewEvent) -> None:
    """Append `events` to the workspace's log, in this transaction."""
    append(conn, workspace, events, now, caller.origin())


def _routing_origin(workspace: Any) -> Origin:
    return Origin(Actor("workspace", workspace.sid), "routing")


def emit_routing(conn: Connection, workspace: Any, now: int, *events: NewEvent) -> None:
    """Append what routing did as a consequence of a request (actor: the workspace)."""
    if events:
        append(conn, workspace, events, now, _routing_origin(workspace))


def emit_with_routing(
    conn: Connection,
    workspace: Any,
    caller: Caller,
    now: int,
    own: Sequence[NewEvent],
    routed: Sequence[NewEvent],
) -> None:
    """`emit` then `emit_routing`, in one append (one draw of log positions, one insert)."""
    append_from(
        conn, workspace, [(own, caller.origin()), (routed, _routing_origin(workspace))], now
    )


def resource_row(sid: str, account_sid: str, ws: str, now: int, **values: Any) -> dict[str, Any]:
    """A new row of a workspace's resource: its identity and dates, and `values`."""
    return {
        **values,
        "sid": sid,
        "account_sid": account_sid,
        "workspace_sid": ws,
        "date_created": now,
        "date_updated": now,
    }


def child_or_404(row: T | None, path: str) -> T:
    if row is None:
        raise not_found(path)
    return row


class _Named(Protocol):
    @property
    def sid(self) -> str: ...
    @property
    def _mapping(self) -> Mapping[str, Any]: ...


N = TypeVar("N", bound=_Named)


@dataclass(frozen=True)
class ChildKind(Generic[N]):
    """One kind of a workspace's resources, as services find it and announce its changes."""

    label: str  # as event descriptions name the kind: "TaskQueue"
    collection: str  # as its URL names the collection: "TaskQueues"
    get: Callable[[Connection, str, str], N | None]  # (conn, workspace SID, key)
    fields: Callable[[Mapping[str, Any]], dict[str, str]]  # its event data
    name: Callable[[N], str]  # what descriptions call one: its friendly or unique name
    prefix: Prefix  # of its SIDs

    @property
    def topic(self) -> str:
        """The kind as event types name it: "task-queue" (of `task-queue.created`)."""
        return "".join(f"-{c.lower()}" if c.isupper() else c for c in self.label).lstrip("-")

    def path(self, ws: str, key: str) -> str:
        return f"/Workspaces/{ws}/{self.collection}/{key}"

    def find(self, conn: Connection, ws: str, key: str) -> N:
        """The resource, or the 404 that names the path it was asked for by."""
        return child_or_404(self.get(conn, ws, key), self.path(ws, key))

    def event(self, event_type: str, row: N, verb: str, **extra: str) -> NewEvent:
        """`<Label> <name> <verb>` with the resource's fields (and `extra`) as event data."""
        description = f"{self.label} {self.name(row)} {verb}"
        return NewEvent(event_type, row.sid, description, {**self.fields(row._mapping), **extra})

    def announce(
        self,
        conn: Connection,
        workspace: WorkspaceRecord,
        caller: Caller,
        now: int,
        key: str,
        event_type: str,
        verb: str,
    ) -> N:
        """The resource as just written (read back), with its event appended to the log."""
        row = self.find(conn, workspace.sid, key)
        emit(conn, workspace, caller, now, self.event(event_type, row, verb))
        return row


class RoutingService(Service):
    """A TaskRouter service: resources scoped to a workspace the caller owns."""

    async def _fetch_child(
        self, caller: Caller, ws: str, get: Callable[[Connection], T | None], path: str
    ) -> T:
        """One resource of a workspace the caller owns, or the right 404."""

        def unit(conn: Connection) -> T:
            workspace_or_404(conn, caller, ws)
            return child_or_404(get(conn), path)

        return await self._read(unit)

    async def _fetch_kind(self, caller: Caller, ws: str, kind: ChildKind[N], key: str) -> N:
        """One resource of a kind, by the key its URL gives, of a workspace the caller owns."""
        return await self._fetch_child(
            caller, ws, lambda conn: kind.get(conn, ws, key), kind.path(ws, key)
        )

    async def _create_kind(
        self,
        caller: Caller,
        ws: str,
        kind: ChildKind[N],
        values: Mapping[str, Any],
        insert: Callable[[Connection, WorkspaceRecord, dict[str, Any]], None],
    ) -> N:
        """Create one resource of `values`: `insert` checks what the new row (a new SID, its
        dates and `values`) refers to and writes it; the resource is read back and its
        `<topic>.created` event appended, in one transaction."""
        now = self._clock.now_ms()
        row = resource_row(new_sid(kind.prefix), caller.account_sid, ws, now, **values)

        def unit(conn: Connection) -> N:
            workspace = workspace_or_404(conn, caller, ws)
            insert(conn, workspace, row)
            created = f"{kind.topic}.created"
            return kind.announce(conn, workspace, caller, now, row["sid"], created, "created")

        return await self._write(ws, unit)

    async def _delete_kind(
        self,
        caller: Caller,
        ws: str,
        kind: ChildKind[N],
        key: str,
        remove: Callable[[Connection, N], None],
    ) -> None:
        """Delete one resource: `remove` refuses (raises) while it is in use, else deletes it;
        its `<topic>.deleted` event is appended in the same transaction."""
        now = self._clock.now_ms()

        def unit(conn: Connection) -> None:
            workspace = workspace_or_404(conn, caller, ws)
            row = kind.find(conn, ws, key)
            remove(conn, row)
            emit(conn, workspace, caller, now, kind.event(f"{kind.topic}.deleted", row, "deleted"))

        await self._write(ws, unit)

    async def _list_children(
        self,
        caller: Caller,
        ws: str,
        query: Select[Any],
        keys: Sequence[SortKey],
        page: PageRequest,
        read: Callable[[Row[Any]], T],
        predicate: Callable[[T], bool] | None = None,
    ) -> PageResult[T]:
        """A page of a workspace's resources as records (the workspace must be the caller's)."""

        def unit(conn: Connection) -> PageResult[T]:
            workspace_or_404(conn, caller, ws)
            return fetch_page(conn, query, keys, page, predicate, read=read)

        return await self._scan(unit)

    async def _write(
        self,
        workspace_sid: str | None,
        fn: Callable[[Connection], T],
        *,
        refuses_mirrors: bool = False,
    ) -> T:
        """Run `fn` in a write transaction, then wake whoever follows the workspace's log.

        Every change the TaskRouter API makes to a workspace passes here, which makes this the
        one place that keeps workspaces mirroring a Twilio account read-only: it asks the
        database first, unless `refuses_mirrors` says `fn` reads the workspace's mirrored
        source with what it changes and calls `refuse_mirror` before changing anything (one
        statement fewer on the hottest writes).
        """
        unit = fn
        if workspace_sid is not None and not refuses_mirrors:
            unit = _unless_mirrored(workspace_sid, fn)
        try:
            result = await self._db.write(unit)
        except IntegrityError as exc:
            # Twilio answers name clashes with 400/20001; explicit checks catch most of them
            # first, this catches the race between two concurrent creates.
            raise InvalidParameter(_describe_integrity_error(exc)) from None
        if workspace_sid is not None:
            self._deps.notifier.appended({workspace_sid})
        return result


def _mirrored(workspace_sid: str) -> InvalidParameter:
    return InvalidParameter(
        f"Workspace {workspace_sid} mirrors a Twilio account; it is read-only here"
    )


def refuse_mirror(workspace_sid: str, mirror_source: str | None) -> None:
    """Refuse to change a workspace that mirrors a Twilio source (see `_unless_mirrored`); for
    units that read `mirror_source` themselves, after the caller was found to own it."""
    if mirror_source is not None:
        raise _mirrored(workspace_sid)


def _unless_mirrored(
    workspace_sid: str, fn: Callable[[Connection], T]
) -> Callable[[Connection], T]:
    """`fn`, refused when the workspace mirrors a Twilio account (see eventlog/ingest.py).

    A mirror's log is what Twilio reported; a change made here would contradict it. `fn` still
    runs first, in a savepoint that is always undone, so that a caller who may not see the
    workspace gets the same 404 as for any other workspace, and its owner a clear 400.
    """

    def unit(conn: Connection) -> T:
        if twilio_source_store.mirror_of(conn, workspace_sid) is None:
            return fn(conn)
        savepoint = conn.begin_nested()
        try:
            fn(conn)
        except NotFound:
            raise
        except HindsightError:
            pass
        finally:
            savepoint.rollback()
        raise _mirrored(workspace_sid)

    return unit


def _describe_integrity_error(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "A resource with that name already exists in this workspace"
    return "The change conflicts with resources that refer to this one"
