"""Task queues: create, fetch, update, delete, list (with worker-eligibility filters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain import expressions
from hindsight.domain.attributes import parse_attributes
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.names import check_friendly_name
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix
from hindsight.domain.unset import UNSET, Changes
from hindsight.domain.workflow_config import parse_configuration
from hindsight.domain.workspace_template import DEFAULT_TARGET_WORKERS
from hindsight.routing.base import ChildKind, RoutingService, emit, workspace_or_404
from hindsight.routing.eligibility import queue_accepts
from hindsight.routing.listing import parse_ordering
from hindsight.service_base import Caller
from hindsight.store import activities as activity_store
from hindsight.store import task_queues as store
from hindsight.store import workers as worker_store
from hindsight.store import workflows as workflow_store
from hindsight.store.keyset import SortKey, fetch_page
from hindsight.store.task_queues import TaskQueueRecord as TaskQueueRecord
from hindsight.store.workspaces import WorkspaceRecord

MAX_RESERVED_WORKERS = 50


@dataclass(frozen=True)
class QueueSettings(Changes):
    friendly_name: Any = UNSET
    target_workers: Any = UNSET
    max_reserved_workers: Any = UNSET
    task_order: Any = UNSET
    reservation_activity_sid: Any = UNSET
    assignment_activity_sid: Any = UNSET


@dataclass(frozen=True)
class QueueFilters:
    friendly_name: str | None = None
    evaluate_worker_attributes: str | None = None
    worker_sid: str | None = None


TASK_QUEUE = ChildKind[TaskQueueRecord](
    "TaskQueue",
    "TaskQueues",
    store.get,
    ev.task_queue_fields,
    lambda q: q.friendly_name,
    Prefix.TASK_QUEUE,
)


def _check(values: dict[str, Any]) -> None:
    if "friendly_name" in values:
        check_friendly_name(values["friendly_name"])
    target = values.get("target_workers")
    if target:
        expressions.parse(target)
    reserved = values.get("max_reserved_workers")
    if reserved is not None and not 1 <= reserved <= MAX_RESERVED_WORKERS:
        raise InvalidParameter(f"MaxReservedWorkers must be from 1 to {MAX_RESERVED_WORKERS}")


def _check_refs(
    conn: Connection, workspace: WorkspaceRecord, values: dict[str, Any], own_sid: str | None = None
) -> None:
    for key, param in (
        ("reservation_activity_sid", "ReservationActivitySid"),
        ("assignment_activity_sid", "AssignmentActivitySid"),
    ):
        sid = values.get(key)
        if sid is not None and activity_store.get(conn, workspace.sid, sid) is None:
            raise InvalidParameter(f"{param} {sid} is not an Activity of workspace {workspace.sid}")
    name = values.get("friendly_name")
    if name is not None:
        existing = store.get_by_name(conn, workspace.sid, name)
        if existing is not None and existing.sid != own_sid:
            raise InvalidParameter(
                f"Queue named {name} already exists for workspace {workspace.sid} "
                f"for account {workspace.account_sid}"
            )


def sort_keys(ordering: str | None) -> tuple[SortKey, ...]:
    """Twilio's `Ordering` for queues: `DateCreated` or `FriendlyName`, `:asc` or `:desc`."""
    allowed = {"DateCreated": store.SORT[0].column, "FriendlyName": store.SORT_BY_NAME[0].column}
    return parse_ordering(ordering, allowed, store.SORT)


class TaskQueueService(RoutingService):
    async def create(self, caller: Caller, ws: str, settings: QueueSettings) -> TaskQueueRecord:
        values = settings.given()
        values.setdefault("target_workers", DEFAULT_TARGET_WORKERS)
        values.setdefault("max_reserved_workers", 1)
        values.setdefault("task_order", "FIFO")
        _check(values)

        def insert(conn: Connection, workspace: WorkspaceRecord, row: dict[str, Any]) -> None:
            _check_refs(conn, workspace, values)
            store.insert_queue(conn, row)

        unset = {"reservation_activity_sid": None, "assignment_activity_sid": None}
        return await self._create_kind(caller, ws, TASK_QUEUE, {**unset, **values}, insert)

    async def fetch(self, caller: Caller, ws: str, sid: str) -> TaskQueueRecord:
        return await self._fetch_kind(caller, ws, TASK_QUEUE, sid)

    async def list(
        self,
        caller: Caller,
        ws: str,
        filters: QueueFilters,
        keys: tuple[SortKey, ...],
        page: PageRequest,
    ) -> PageResult[TaskQueueRecord]:
        query = store.list_query(ws, filters.friendly_name)
        evaluate = None
        if filters.evaluate_worker_attributes is not None:
            evaluate = parse_attributes(
                filters.evaluate_worker_attributes,
                limit_bytes=self._deps.limits.max_attributes_bytes,
                parameter="EvaluateWorkerAttributes",
            )

        def unit(conn: Connection) -> PageResult[TaskQueueRecord]:
            workspace_or_404(conn, caller, ws)
            worker_attributes = evaluate
            if filters.worker_sid is not None:
                worker = worker_store.get(conn, ws, filters.worker_sid)
                if worker is None:
                    return PageResult(rows=[], has_next=False, has_previous=False)
                worker_attributes = parse_attributes(worker.attributes, limit_bytes=1 << 30)
            predicate = None
            if worker_attributes is not None:
                attrs = worker_attributes

                def predicate(queue: TaskQueueRecord) -> bool:
                    return queue_accepts(queue.target_workers, attrs)

            return fetch_page(conn, query, keys, page, predicate, read=store.record)

        return await self._scan(unit)

    async def update(
        self, caller: Caller, ws: str, sid: str, settings: QueueSettings
    ) -> TaskQueueRecord:
        values = settings.given()
        _check(values)
        now = self._clock.now_ms()

        def unit(conn: Connection) -> TaskQueueRecord:
            workspace = workspace_or_404(conn, caller, ws)
            before = TASK_QUEUE.find(conn, ws, sid)
            _check_refs(conn, workspace, values, own_sid=sid)
            if not values:
                return before
            store.update_queue(conn, sid, {**values, "date_updated": now})
            row = TASK_QUEUE.find(conn, ws, sid)
            if row.target_workers != before.target_workers:
                emit(
                    conn,
                    workspace,
                    caller,
                    now,
                    TASK_QUEUE.event("task-queue.expression.updated", row, "expression updated"),
                )
            return row

        return await self._write(ws, unit)

    async def delete(self, caller: Caller, ws: str, sid: str) -> None:
        def remove(conn: Connection, row: TaskQueueRecord) -> None:
            active = store.active_task_count(conn, sid)
            if active:
                raise InvalidParameter(
                    f"TaskQueue {sid} cannot be deleted: {active} active task(s) are in it"
                )
            users = [
                w.friendly_name
                for w in workflow_store.all_in_workspace(conn, ws)
                if sid in parse_configuration(w.configuration).queue_sids()
            ]
            if users:
                raise InvalidParameter(
                    f"TaskQueue {sid} cannot be deleted: workflow(s) {', '.join(users)} route to it"
                )
            store.delete_queue(conn, sid)

        await self._delete_kind(caller, ws, TASK_QUEUE, sid, remove)
