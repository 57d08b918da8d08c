"""What every TaskRouter service shares: workspace scoping, read-only mirrors, emitting events.

The dependencies, the caller and database access every service shares are in service_base.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from hindsight.domain.errors import HindsightError, InvalidParameter, NotFound
from hindsight.domain.events import Actor, NewEvent
from hindsight.eventlog.append import Origin, append, append_from
from hindsight.service_base import Caller, Service
from hindsight.store import twilio_sources as twilio_source_store
from hindsight.store import workspaces as workspace_store
from hindsight.store.keyset import fetch_page

T = TypeVar("T")


def not_found(path: str) -> NotFound:
    return NotFound(f"The requested resource {path} was not found")


def workspace_or_404(conn: Connection, caller: Caller, workspace_sid: str) -> Any:
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


def child_or_404(row: Any, path: str) -> Any:
    if row is None:
        raise not_found(path)
    return row


class RoutingService(Service):
    """A TaskRouter service: resources scoped to a workspace the caller owns."""

    async def _fetch_child(
        self, caller: Caller, ws: str, get: Callable[[Connection], Any], path: str
    ) -> Any:
        """One resource of a workspace the caller owns, or the right 404."""

        def unit(conn: Connection) -> Any:
            workspace_or_404(conn, caller, ws)
            return child_or_404(get(conn), path)

        return await self._read(unit)

    async def _list_children(
        self,
        caller: Caller,
        ws: str,
        query: Any,
        keys: Any,
        page: Any,
        predicate: Callable[[Any], bool] | None = None,
    ) -> Any:
        """A page of a workspace's resources (the workspace must be the caller's)."""

        def unit(conn: Connection) -> Any:
            workspace_or_404(conn, caller, ws)
            return fetch_page(conn, query, keys, page, predicate)

        return await self._scan(unit)

    async def _write(self, workspace_sid: str | None, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in a write transaction, then wake whoever follows the workspace's log.

        Every change the TaskRouter API makes to a workspace passes here, which makes this the
        one place that keeps workspaces mirroring a Twilio account read-only.
        """
        unit = fn if workspace_sid is None else _unless_mirrored(workspace_sid, fn)
        try:
            result = await self._db.write(unit)
        except IntegrityError as exc:
            # Twilio answers name clashes with 400/20001; explicit checks catch most of them
            # first, this catches the race between two concurrent creates.
            raise InvalidParameter(_describe_integrity_error(exc)) from None
        if workspace_sid is not None:
            self._deps.notifier.appended({workspace_sid})
        return result


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
        raise InvalidParameter(
            f"Workspace {workspace_sid} mirrors a Twilio account; it is read-only here"
        )

    return unit


def _describe_integrity_error(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "A resource with that name already exists in this workspace"
    return "The change conflicts with resources that refer to this one"
