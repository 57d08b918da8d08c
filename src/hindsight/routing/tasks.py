"""Tasks: create, fetch, update (attributes, priority, channel, status), delete, list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain import expressions
from hindsight.domain.attributes import DEFAULT_ATTRIBUTES, parse_attributes
from hindsight.domain.errors import InvalidParameter, PreconditionFailed
from hindsight.domain.media import media_lists
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix, is_sid, new_sid
from hindsight.domain.task_lifecycle import (
    EVENT_FOR_STATUS,
    TERMINAL,
    TaskStatus,
    check_api_transition,
)
from hindsight.domain.unset import UNSET
from hindsight.domain.workspace_template import DEFAULT_TASK_CHANNEL
from hindsight.routing.base import (
    RoutingService,
    WorkspaceRef,
    emit,
    emit_routing,
    emit_with_routing,
    not_found,
    refuse_mirror,
    workspace_or_404,
)
from hindsight.routing.listing import parse_ordering
from hindsight.service_base import Caller
from hindsight.store import task_channels as channel_store
from hindsight.store import tasks as store
from hindsight.store import workflows as workflow_store
from hindsight.store.keyset import SortKey
from hindsight.store.task_channels import TaskChannelRecord
from hindsight.store.task_queues import TaskQueueRecord
from hindsight.store.tasks import TaskRecord as TaskRecord
from hindsight.store.workflows import WorkflowRecord

MAX_PRIORITY = 2**31 - 1
DEFAULT_TIMEOUT = 86_400
MAX_TIMEOUT = 1_209_600
_EARLIEST_VIRTUAL_START = -2_208_988_800_000  # 1900-01-01T00:00:00Z


@dataclass(frozen=True)
class NewTask:
    attributes: str | None = None
    priority: int | None = None
    timeout: int | None = None
    task_channel: str | None = None
    workflow_sid: str | None = None
    task_queue_sid: str | None = None
    virtual_start_time: int | None = None
    routing_target: str | None = None
    ignore_capacity: bool | None = None


@dataclass(frozen=True)
class TaskChanges:
    attributes: Any = UNSET
    assignment_status: Any = UNSET
    reason: Any = UNSET
    priority: Any = UNSET
    task_channel: Any = UNSET
    virtual_start_time: Any = UNSET


@dataclass(frozen=True)
class TaskFilters:
    priority: int | None = None
    assignment_status: tuple[str, ...] = ()
    workflow_sid: str | None = None
    workflow_name: str | None = None
    task_queue_sid: str | None = None
    task_queue_name: str | None = None
    evaluate_task_attributes: str | None = None
    routing_target: str | None = None
    has_addons: bool | None = None


def _path(ws: str, sid: str) -> str:
    return f"/Workspaces/{ws}/Tasks/{sid}"


def _check_priority(value: int) -> int:
    if not 0 <= value <= MAX_PRIORITY:
        raise InvalidParameter(f"Priority must be from 0 to {MAX_PRIORITY}, got {value}")
    return value


def _check_virtual_start(value: int, now: int) -> int:
    if value > now:
        raise InvalidParameter("VirtualStartTime cannot be in the future")
    if value < _EARLIEST_VIRTUAL_START:
        raise InvalidParameter("VirtualStartTime cannot be before the year 1900")
    return value


def sort_keys(ordering: str | None) -> tuple[SortKey, ...]:
    """Parse `Ordering` (`Priority:desc,DateCreated:asc`) into sort keys ending with the SID."""
    keys = parse_ordering(ordering, store.ORDERABLE, store.SORT, several=True)
    fields = {k.column.name for k in keys}
    if {"date_created", "virtual_start_time"} <= fields:
        raise InvalidParameter("Ordering cannot combine DateCreated and VirtualStartTime")
    return keys


def _check_version(task: TaskRecord, expected: int | None) -> None:
    if expected is not None and task.version != expected:
        raise PreconditionFailed(
            f"Task {task.sid} is at version {task.version}, not {expected}; nothing was changed"
        )


def _task_event(
    event_type: str, task: Mapping[str, Any], now: int, description: str
) -> ev.NewEvent:
    return ev.NewEvent(event_type, task["sid"], description, ev.task_fields(task, now))


def _task_for_change(
    conn: Connection, caller: Caller, ws: str, sid: str
) -> tuple[TaskRecord, WorkspaceRef]:
    """The task (locked) and its workspace, or the right 404; a 400 when the workspace mirrors
    a Twilio account (the unit runs under `_write(..., refuses_mirrors=True)`)."""
    found = store.get_for_change(conn, caller.account_sid, ws, sid)
    if found is None:
        workspace_or_404(conn, caller, ws)
        raise not_found(_path(ws, sid))
    task, workspace_name, mirror_source = found
    refuse_mirror(ws, mirror_source)
    return task, WorkspaceRef(ws, caller.account_sid, workspace_name)


class TaskService(RoutingService):
    def _attributes(self, raw: str) -> dict[str, Any]:
        """Parse and check attributes: a JSON object within the size limit, and any media lists
        well formed (a bad item is refused naming the item and field, and nothing is written)."""
        attributes = parse_attributes(raw, limit_bytes=self._deps.limits.max_attributes_bytes)
        media_lists(attributes, strict=True)
        return attributes

    def _channel(self, conn: Connection, ws: str, key: str) -> TaskChannelRecord:
        channel = channel_store.get_by_sid_or_name(conn, ws, key)
        if channel is None:
            raise InvalidParameter(f"TaskChannel {key!r} is not a task channel of workspace {ws}")
        return channel

    def _routing(
        self, conn: Connection, ws: str, spec: NewTask
    ) -> tuple[WorkflowRecord | None, TaskQueueRecord | None]:
        """The workflow and queue a new task starts with."""
        workflow: WorkflowRecord | None = None
        queue: TaskQueueRecord | None = None
        if spec.workflow_sid is not None:
            # As routing keeps it (checked against the workspace's routing version, which
            # placing the task reads anyway): no read of the workflow per create.
            workflow = self._engine.workflow(conn, ws, spec.workflow_sid)
            if workflow is None:
                raise InvalidParameter(
                    f"WorkflowSid {spec.workflow_sid} is not a workflow of workspace {ws}"
                )
        if spec.task_queue_sid is not None:
            queue = self._engine.queue(conn, ws, spec.task_queue_sid)
            if queue is None:
                raise InvalidParameter(
                    f"TaskQueueSid {spec.task_queue_sid} is not a queue of workspace {ws}"
                )
        if workflow is None and queue is None and spec.routing_target is None:
            candidates = workflow_store.only_one(conn, ws)
            if len(candidates) != 1:
                raise InvalidParameter(
                    "WorkflowSid field is required: the workspace has "
                    f"{'no' if not candidates else 'more than one'} workflow"
                )
            workflow = candidates[0]
        return workflow, queue

    async def create(self, caller: Caller, ws: str, spec: NewTask) -> TaskRecord:
        attributes = spec.attributes if spec.attributes is not None else DEFAULT_ATTRIBUTES
        self._attributes(attributes)
        priority = _check_priority(spec.priority) if spec.priority is not None else 0
        timeout = spec.timeout if spec.timeout is not None else DEFAULT_TIMEOUT
        if not 1 <= timeout <= MAX_TIMEOUT:
            raise InvalidParameter(f"Timeout must be from 1 to {MAX_TIMEOUT} seconds")
        target = spec.routing_target
        if target is not None and not any(
            is_sid(target, p) for p in (Prefix.WORKER, Prefix.TASK_QUEUE, Prefix.WORKFLOW)
        ):
            raise InvalidParameter(
                "RoutingTarget must be the SID of a Worker, TaskQueue or Workflow"
            )
        if spec.ignore_capacity is not None and not (target or "").startswith(Prefix.WORKER):
            raise InvalidParameter("IgnoreCapacity can only be used with a Worker RoutingTarget")
        now = self._clock.now_ms()
        virtual_start = (
            _check_virtual_start(spec.virtual_start_time, now)
            if spec.virtual_start_time is not None
            else now
        )
        # Twilio: IgnoreCapacity defaults to true when the task targets a worker directly.
        ignore_capacity = spec.ignore_capacity
        if ignore_capacity is None and (target or "").startswith(Prefix.WORKER):
            ignore_capacity = True
        sid = new_sid(Prefix.TASK)

        def unit(conn: Connection) -> TaskRecord:
            workspace = workspace_or_404(conn, caller, ws)
            refuse_mirror(ws, workspace.mirror_source)
            channel = self._channel(conn, ws, spec.task_channel or DEFAULT_TASK_CHANNEL)
            workflow, queue = self._routing(conn, ws, spec)
            row = {
                "sid": sid,
                "account_sid": caller.account_sid,
                "workspace_sid": ws,
                "attributes": attributes,
                "assignment_status": TaskStatus.PENDING.value,
                "priority": priority,
                "reason": None,
                "timeout": timeout,
                "task_channel_sid": channel.sid,
                "workflow_sid": workflow.sid if workflow is not None else None,
                "task_queue_sid": queue.sid if queue is not None else None,
                "task_queue_entered_date": now if queue is not None else None,
                "virtual_start_time": virtual_start,
                "routing_target": target,
                "ignore_capacity": ignore_capacity,
                "addons": "{}",
                "version": 0,
                "step_filter": None,
                "step_target": None,
                "step_due_ms": None,
                "timeout_at_ms": now + timeout * 1000,
                "date_created": now,
                "date_updated": now,
            }
            task = {
                **row,
                "task_channel_unique_name": channel.unique_name,
                "workflow_friendly_name": workflow.friendly_name if workflow else None,
                "task_queue_friendly_name": queue.friendly_name if queue else None,
            }
            # `task.created` describes the task as given, before the workflow places it.
            created = _task_event("task.created", task, now, f"Task {sid} created")
            routed: list[ev.NewEvent] = []
            if queue is not None:
                routed.append(
                    _task_event(
                        "task-queue.entered",
                        task,
                        now,
                        f"Task {sid} entered queue {queue.friendly_name}",
                    )
                )
            elif workflow is not None:
                routed = self._engine.enter_workflow(conn, task, now, stored=False)
            # Inserted as the workflow placed it: one statement, not an insert and an update.
            store.insert_task(conn, {column: task[column] for column in row})
            emit_with_routing(conn, workspace, caller, now, [created], routed)
            return store.record_of(task)  # as routing left it (it updates `task` in place)

        # The unit refuses a mirrored workspace itself, from the workspace row it reads.
        return await self._write(ws, unit, refuses_mirrors=True)

    async def fetch(self, caller: Caller, ws: str, sid: str) -> TaskRecord:
        return await self._fetch_child(
            caller, ws, lambda conn: store.get(conn, ws, sid), _path(ws, sid)
        )

    async def update(
        self, caller: Caller, ws: str, sid: str, changes: TaskChanges, if_match: int | None
    ) -> TaskRecord:
        if changes.attributes is not UNSET:
            self._attributes(changes.attributes)
        if changes.priority is not UNSET:
            _check_priority(changes.priority)
        if changes.reason is not UNSET and changes.assignment_status is UNSET:
            raise InvalidParameter("Reason can only be given with AssignmentStatus")
        now = self._clock.now_ms()
        if changes.virtual_start_time is not UNSET:
            _check_virtual_start(changes.virtual_start_time, now)

        def unit(conn: Connection) -> TaskRecord:
            before, workspace = _task_for_change(conn, caller, ws, sid)
            _check_version(before, if_match)
            values: dict[str, Any] = {}
            names: dict[str, Any] = {}
            if changes.attributes is not UNSET and changes.attributes != before.attributes:
                values["attributes"] = changes.attributes
            if changes.priority is not UNSET and changes.priority != before.priority:
                values["priority"] = changes.priority
            if changes.task_channel is not UNSET:
                channel = self._channel(conn, ws, changes.task_channel)
                if channel.sid != before.task_channel_sid:
                    values["task_channel_sid"] = channel.sid
                    names["task_channel_unique_name"] = channel.unique_name
            if (
                changes.virtual_start_time is not UNSET
                and changes.virtual_start_time != before.virtual_start_time
            ):
                values["virtual_start_time"] = changes.virtual_start_time
            fields_changed = bool(values)
            status = None
            if changes.assignment_status is not UNSET:
                status = TaskStatus(changes.assignment_status)
                check_api_transition(TaskStatus(before.assignment_status), status)
                values["assignment_status"] = status.value
                if changes.reason is not UNSET:
                    values["reason"] = changes.reason
            if not values:
                return before
            values["version"] = before.version + 1
            values["date_updated"] = now
            if status in TERMINAL or status == TaskStatus.WRAPPING:
                values["timeout_at_ms"] = values["step_due_ms"] = None
            store.update_task(conn, sid, values)
            task = {**before._mapping, **values, **names}
            new_events = []
            if fields_changed:
                new_events.append(_task_event("task.updated", task, now, f"Task {sid} updated"))
            if status is not None:
                verb = {"task.canceled": "canceled", "task.wrapup": "wrapping up"}.get(
                    EVENT_FOR_STATUS[status], "completed"
                )
                description = f"Task {sid} {verb}"
                if task.get("reason"):
                    description += f": {task['reason']}"
                new_events.append(_task_event(EVENT_FOR_STATUS[status], task, now, description))
            emit(conn, workspace, caller, now, *new_events)
            if status is not None:
                emit_routing(
                    conn, workspace, now, *self._engine.close_reservations(conn, task, status, now)
                )
            elif "attributes" in values and task["assignment_status"] == TaskStatus.PENDING:
                # New attributes may match another filter: the workflow is evaluated again.
                emit_routing(conn, workspace, now, *self._engine.enter_workflow(conn, task, now))
            return store.record_of(task)

        return await self._write(ws, unit, refuses_mirrors=True)

    async def delete(self, caller: Caller, ws: str, sid: str, if_match: int | None) -> None:
        now = self._clock.now_ms()

        def unit(conn: Connection) -> None:
            task, workspace = _task_for_change(conn, caller, ws, sid)
            _check_version(task, if_match)
            view = dict(task._mapping)
            emit_routing(conn, workspace, now, *self._engine.drop_reservations(conn, view, now))
            store.delete_task(conn, sid)
            emit(
                conn,
                workspace,
                caller,
                now,
                _task_event("task.deleted", view, now, f"Task {sid} deleted"),
            )

        await self._write(ws, unit, refuses_mirrors=True)

    async def list(
        self,
        caller: Caller,
        ws: str,
        filters: TaskFilters,
        keys: tuple[SortKey, ...],
        page: PageRequest,
    ) -> PageResult[TaskRecord]:
        if filters.priority is not None:
            _check_priority(filters.priority)
        query = store.filtered_query(ws, filters)
        predicate = None
        if filters.evaluate_task_attributes is not None:
            expression = expressions.parse(filters.evaluate_task_attributes)

            def predicate(task: TaskRecord) -> bool:
                attrs = parse_attributes(task.attributes, limit_bytes=1 << 30)
                return expressions.matches(expression, attrs)

        return await self._list_children(caller, ws, query, keys, page, store.record, predicate)
