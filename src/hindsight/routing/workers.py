"""Workers and their channels: create, fetch, update (activity, attributes), delete, list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain import expressions
from hindsight.domain.attributes import DEFAULT_ATTRIBUTES, parse_attributes
from hindsight.domain.errors import InvalidParameter, PreconditionFailed
from hindsight.domain.names import check_friendly_name
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.reservation_lifecycle import ReservationStatus
from hindsight.domain.sids import Prefix
from hindsight.domain.unset import UNSET
from hindsight.routing.base import (
    ChildKind,
    RoutingService,
    child_or_404,
    emit,
    workspace_or_404,
)
from hindsight.routing.eligibility import queue_accepts, worker_matches
from hindsight.routing.listing import parse_ordering
from hindsight.routing.task_channels import worker_channel_rows
from hindsight.routing.worker_activity import move_worker
from hindsight.service_base import Caller
from hindsight.store import activities as activity_store
from hindsight.store import reservations as reservation_store
from hindsight.store import task_channels as channel_store
from hindsight.store import task_queues as queue_store
from hindsight.store import tasks as task_store
from hindsight.store import workers as store
from hindsight.store.keyset import SortKey, fetch_page
from hindsight.store.workers import WorkerChannelRecord as WorkerChannelRecord
from hindsight.store.workers import WorkerRecord as WorkerRecord
from hindsight.store.workspaces import WorkspaceRecord

MAX_CHANNEL_CAPACITY = 50


@dataclass(frozen=True)
class WorkerChanges:
    friendly_name: Any = UNSET
    activity_sid: Any = UNSET
    attributes: Any = UNSET
    reject_pending_reservations: bool = False


@dataclass(frozen=True)
class WorkerFilters:
    activity_name: str | None = None
    activity_sid: str | None = None
    available: bool | None = None
    friendly_name: str | None = None
    target_workers_expression: str | None = None
    task_queue_name: str | None = None
    task_queue_sid: str | None = None


WORKER = ChildKind[WorkerRecord](
    "Worker",
    "Workers",
    store.get,
    ev.worker_fields,
    lambda w: w.friendly_name,
    Prefix.WORKER,
)


def sort_keys(ordering: str | None) -> tuple[SortKey, ...]:
    return parse_ordering(ordering, store.ORDERABLE, store.SORT)


def _lock_tasks_pending_for(conn: Connection, ws: str, worker_sid: str) -> None:
    """Lock the tasks of the worker's pending reservations, in SID order, before the worker.

    Row locks are taken in one order everywhere: a task first, then the worker's channel and
    worker rows (routing's `_reserve`, answers, timers). Rejecting a worker's pending
    reservations answers each, which locks its task; had the worker row been locked first, an
    answer or a timer holding one of those tasks and waiting for the worker would deadlock
    with it. A reservation routed to the worker between this read and the worker's lock (a
    routing pass that committed in between) has its task locked after the worker: that pass
    no longer holds the task, so only a third transaction on that very task could still
    meet this one, and the database's deadlock retry covers that."""
    pending = {
        reservation.task_sid
        for reservation in reservation_store.holding_of_worker(conn, worker_sid)
        if reservation.reservation_status == ReservationStatus.PENDING
    }
    for task_sid in sorted(pending):
        task_store.get(conn, ws, task_sid, for_update=True)


def _check_version(worker: WorkerRecord, expected: int | None) -> None:
    if expected is not None and worker.version != expected:
        raise PreconditionFailed(
            f"Worker {worker.sid} is at version {worker.version}, not {expected}; "
            "fetch it again and retry"
        )


class WorkerService(RoutingService):
    def _attributes(self, raw: str) -> str:
        parse_attributes(raw, limit_bytes=self._deps.limits.max_attributes_bytes)
        return raw

    async def create(
        self,
        caller: Caller,
        ws: str,
        friendly_name: str,
        activity_sid: str | None,
        attributes: str | None,
    ) -> WorkerRecord:
        check_friendly_name(friendly_name)
        attrs = self._attributes(attributes if attributes is not None else DEFAULT_ATTRIBUTES)

        def insert(conn: Connection, workspace: WorkspaceRecord, row: dict[str, Any]) -> None:
            activity = activity_sid or workspace.default_activity_sid
            if activity is None or activity_store.get(conn, ws, activity) is None:
                raise InvalidParameter(
                    f"ActivitySid {activity} is not an Activity of workspace {ws}"
                )
            if store.get_by_name(conn, ws, friendly_name) is not None:
                raise InvalidParameter(
                    f"Worker named {friendly_name} already exists for workspace {ws} "
                    f"for account {caller.account_sid}"
                )
            now = row["date_created"]
            store.insert_worker(conn, {**row, "activity_sid": activity, "date_status_changed": now})
            pairs = [(row["sid"], c.sid) for c in channel_store.all_in_workspace(conn, ws)]
            store.insert_channels(conn, worker_channel_rows(caller.account_sid, ws, pairs, now))

        values = {"friendly_name": friendly_name, "attributes": attrs, "version": 0}
        return await self._create_kind(caller, ws, WORKER, values, insert)

    async def fetch(self, caller: Caller, ws: str, sid: str) -> WorkerRecord:
        return await self._fetch_kind(caller, ws, WORKER, sid)

    async def list(
        self,
        caller: Caller,
        ws: str,
        filters: WorkerFilters,
        keys: tuple[SortKey, ...],
        page: PageRequest,
    ) -> PageResult[WorkerRecord]:
        query = store.filtered_query(
            ws,
            activity_name=filters.activity_name,
            activity_sid=filters.activity_sid,
            available=filters.available,
            friendly_name=filters.friendly_name,
        )
        expression = filters.target_workers_expression
        if expression is not None:
            # Checked up front: a malformed expression is a 400 even when no worker exists.
            expressions.parse(expression)

        def unit(conn: Connection) -> PageResult[WorkerRecord]:
            workspace_or_404(conn, caller, ws)
            queue_expression: str | None = None
            if filters.task_queue_sid is not None or filters.task_queue_name is not None:
                queue = (
                    queue_store.get(conn, ws, filters.task_queue_sid)
                    if filters.task_queue_sid is not None
                    else queue_store.get_by_name(conn, ws, filters.task_queue_name or "")
                )
                if queue is None:
                    return PageResult(rows=[], has_next=False, has_previous=False)
                queue_expression = queue.target_workers or ""
            if expression is None and queue_expression is None:
                return fetch_page(conn, query, keys, page, read=store.record)

            def predicate(worker: WorkerRecord) -> bool:
                if expression is not None and not worker_matches(expression, worker):
                    return False
                if queue_expression is not None:
                    attrs = parse_attributes(worker.attributes, limit_bytes=1 << 30)
                    return queue_accepts(queue_expression, attrs)
                return True

            return fetch_page(conn, query, keys, page, predicate, read=store.record)

        return await self._scan(unit)

    async def update(
        self, caller: Caller, ws: str, sid: str, changes: WorkerChanges, if_match: int | None
    ) -> WorkerRecord:
        if changes.friendly_name is not UNSET:
            check_friendly_name(changes.friendly_name)
        if changes.attributes is not UNSET:
            self._attributes(changes.attributes)
        now = self._clock.now_ms()

        def unit(conn: Connection) -> WorkerRecord:
            workspace = workspace_or_404(conn, caller, ws)
            if changes.reject_pending_reservations:
                _lock_tasks_pending_for(conn, ws, sid)
            before = child_or_404(store.get(conn, ws, sid, for_update=True), WORKER.path(ws, sid))
            _check_version(before, if_match)
            values: dict[str, Any] = {}
            new_events: list[ev.NewEvent] = []
            activity = None
            if changes.activity_sid is not UNSET and changes.activity_sid != before.activity_sid:
                activity = activity_store.get(conn, ws, changes.activity_sid)
                if activity is None:
                    raise InvalidParameter(
                        f"ActivitySid {changes.activity_sid} is not an Activity of workspace {ws}"
                    )
            if changes.reject_pending_reservations and (activity is None or activity.available):
                raise InvalidParameter(
                    "RejectPendingReservations is only valid with an ActivitySid for an "
                    "unavailable Activity"
                )
            if changes.attributes is not UNSET and changes.attributes != before.attributes:
                values["attributes"] = changes.attributes
            renamed = (
                changes.friendly_name is not UNSET and changes.friendly_name != before.friendly_name
            )
            if renamed:
                clash = store.get_by_name(conn, ws, changes.friendly_name)
                if clash is not None:
                    raise InvalidParameter(
                        f"Worker named {changes.friendly_name} already exists for workspace {ws} "
                        f"for account {caller.account_sid}"
                    )
                values["friendly_name"] = changes.friendly_name
            if not values and activity is None:
                return before
            worker = before
            if values:
                store.update_worker(
                    conn, sid, {**values, "version": before.version + 1, "date_updated": now}
                )
                worker = WORKER.find(conn, ws, sid)
                new_events.append(
                    WORKER.event("worker.attributes.update", worker, "attributes updated")
                )
            if activity is not None:
                worker, moved = move_worker(conn, ws, worker, activity, now)
                new_events.insert(0, moved)
            emit(conn, workspace, caller, now, *new_events)
            if changes.reject_pending_reservations:
                rejected = []
                for reservation in reservation_store.holding_of_worker(conn, sid):
                    if reservation.reservation_status == ReservationStatus.PENDING:
                        rejected += self._engine.answer(
                            conn, workspace, reservation, ReservationStatus.REJECTED, now
                        )
                emit(conn, workspace, caller, now, *rejected)
            return worker

        return await self._write(ws, unit)

    async def delete(self, caller: Caller, ws: str, sid: str, if_match: int | None) -> None:
        now = self._clock.now_ms()

        def unit(conn: Connection) -> None:
            workspace = workspace_or_404(conn, caller, ws)
            worker = child_or_404(store.get(conn, ws, sid, for_update=True), WORKER.path(ws, sid))
            _check_version(worker, if_match)
            holding = reservation_store.holding_of_worker(conn, sid)
            if holding:
                raise InvalidParameter(
                    f"Worker {sid} cannot be deleted while it holds {len(holding)} reservation(s); "
                    "complete or reject them first"
                )
            store.delete_worker(conn, sid)
            emit(
                conn,
                workspace,
                caller,
                now,
                WORKER.event("worker.deleted", worker, "deleted"),
            )

        await self._write(ws, unit)

    # --- worker channels ------------------------------------------------------------------

    async def fetch_channel(
        self, caller: Caller, ws: str, worker_sid: str, key: str
    ) -> WorkerChannelRecord:
        def unit(conn: Connection) -> WorkerChannelRecord:
            workspace_or_404(conn, caller, ws)
            WORKER.find(conn, ws, worker_sid)
            row = store.get_channel(conn, worker_sid, key)
            return child_or_404(row, f"{WORKER.path(ws, worker_sid)}/Channels/{key}")

        return await self._read(unit)

    async def list_channels(
        self, caller: Caller, ws: str, worker_sid: str, page: PageRequest
    ) -> PageResult[WorkerChannelRecord]:
        def unit(conn: Connection) -> PageResult[WorkerChannelRecord]:
            workspace_or_404(conn, caller, ws)
            WORKER.find(conn, ws, worker_sid)
            query = store.channels_query(worker_sid)
            return fetch_page(conn, query, store.CHANNEL_SORT, page, read=store.channel_record)

        return await self._scan(unit)

    async def update_channel(
        self,
        caller: Caller,
        ws: str,
        worker_sid: str,
        key: str,
        capacity: int | None,
        available: bool | None,
    ) -> WorkerChannelRecord:
        if capacity is not None and not 0 <= capacity <= MAX_CHANNEL_CAPACITY:
            raise InvalidParameter(f"Capacity must be from 0 to {MAX_CHANNEL_CAPACITY}")
        now = self._clock.now_ms()

        def unit(conn: Connection) -> WorkerChannelRecord:
            workspace = workspace_or_404(conn, caller, ws)
            worker = WORKER.find(conn, ws, worker_sid)
            before = child_or_404(
                store.get_channel(conn, worker_sid, key),
                f"{WORKER.path(ws, worker_sid)}/Channels/{key}",
            )
            values: dict[str, Any] = {}
            if capacity is not None and capacity != before.configured_capacity:
                values["configured_capacity"] = capacity
            if available is not None and available != before.available:
                values["available"] = available
            load = before.assigned_tasks
            if not values:
                return before
            store.update_channel(conn, before.sid, {**values, "date_updated": now})
            after = child_or_404(
                store.get_channel(conn, worker_sid, before.sid),
                f"{WORKER.path(ws, worker_sid)}/Channels/{key}",
            )
            new_events = []
            worker_data = ev.worker_fields(worker._mapping)
            if "configured_capacity" in values:
                data = ev.worker_channel_fields(after._mapping, before.configured_capacity, load)
                new_events.append(
                    ev.NewEvent(
                        "worker.capacity.update",
                        worker_sid,
                        f"Worker {worker.friendly_name} capacity on "
                        f"{after.task_channel_unique_name} set to {capacity}",
                        {**worker_data, **data},
                    )
                )
            if "available" in values:
                data = ev.worker_channel_fields(after._mapping, None, load)
                state = "available" if available else "unavailable"
                new_events.append(
                    ev.NewEvent(
                        "worker.channel.availability.update",
                        worker_sid,
                        f"Worker {worker.friendly_name} channel "
                        f"{after.task_channel_unique_name} is {state}",
                        {**worker_data, **data},
                    )
                )
            emit(conn, workspace, caller, now, *new_events)
            return after

        return await self._write(ws, unit)
