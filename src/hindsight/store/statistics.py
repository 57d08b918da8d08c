"""What the Statistics resources read: tasks still being worked on, workers with their
activity, and a window of the event log. Narrow projections; the arithmetic is in the domain."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, or_, select

from hindsight.domain.task_lifecycle import ACTIVE
from hindsight.store.records import reader
from hindsight.store.schema import activities, events, tasks, worker_channels, workers


@dataclass(frozen=True)
class ActivityName:
    """An activity as statistics name it."""

    sid: str
    friendly_name: str


@dataclass(frozen=True)
class ActiveTask:
    """What statistics read of a task still being worked on."""

    sid: str
    assignment_status: str
    priority: int
    date_created: int
    task_queue_sid: str | None
    workflow_sid: str | None
    task_queue_entered_date: int | None


@dataclass(frozen=True)
class WorkerState:
    """A worker with its activity: what statistics count and match expressions against."""

    sid: str
    friendly_name: str
    attributes: str
    activity_sid: str
    activity_name: str
    available: bool


@dataclass(frozen=True)
class LoggedRow:
    """One event of the log as cumulative statistics read it (`event_data` still JSON)."""

    event_type: str
    event_date_ms: int
    task_sid: str | None
    worker_sid: str | None
    task_queue_sid: str | None
    workflow_sid: str | None
    event_data: str


_activity = reader(ActivityName)
_task = reader(ActiveTask)
_worker = reader(WorkerState)
_logged = reader(LoggedRow)

_ACTIVE = sorted(s.value for s in ACTIVE)

# Typed as any row: each is read into its record below.
_TASKS: Select[Any] = select(
    tasks.c.sid,
    tasks.c.assignment_status,
    tasks.c.priority,
    tasks.c.date_created,
    tasks.c.task_queue_sid,
    tasks.c.workflow_sid,
    tasks.c.task_queue_entered_date,
)

_WORKERS: Select[Any] = (
    select(
        workers.c.sid,
        workers.c.friendly_name,
        workers.c.attributes,
        workers.c.activity_sid,
        activities.c.friendly_name.label("activity_name"),
        activities.c.available,
    )
    .select_from(workers)
    .join(activities, activities.c.sid == workers.c.activity_sid)
)

_EVENTS: Select[Any] = select(
    events.c.event_type,
    events.c.event_date_ms,
    events.c.task_sid,
    events.c.worker_sid,
    events.c.task_queue_sid,
    events.c.workflow_sid,
    events.c.event_data,
)


def activities_of(conn: Connection, workspace_sid: str) -> list[ActivityName]:
    query: Select[Any] = (
        select(activities.c.sid, activities.c.friendly_name)
        .where(activities.c.workspace_sid == workspace_sid)
        .order_by(activities.c.date_created, activities.c.sid)
    )
    return [_activity(row) for row in conn.execute(query)]


def active_tasks(
    conn: Connection,
    workspace_sid: str,
    *,
    queue_sids: Collection[str] | None = None,
    workflow_sid: str | None = None,
    channel_sid: str | None = None,
) -> list[ActiveTask]:
    """Tasks still being worked on (pending, reserved, assigned, wrapping)."""
    query = _TASKS.where(
        tasks.c.workspace_sid == workspace_sid, tasks.c.assignment_status.in_(_ACTIVE)
    )
    if queue_sids is not None:
        query = query.where(tasks.c.task_queue_sid.in_(sorted(queue_sids)))
    if workflow_sid is not None:
        query = query.where(tasks.c.workflow_sid == workflow_sid)
    if channel_sid is not None:
        query = query.where(tasks.c.task_channel_sid == channel_sid)
    return [_task(row) for row in conn.execute(query)]


def workers_of(
    conn: Connection,
    workspace_sid: str,
    *,
    channel_sid: str | None = None,
    friendly_name: str | None = None,
    worker_sid: str | None = None,
) -> list[WorkerState]:
    """Workers with their activity; with `channel_sid`, only those whose channel is on."""
    query = _WORKERS.where(workers.c.workspace_sid == workspace_sid)
    if friendly_name is not None:
        query = query.where(workers.c.friendly_name == friendly_name)
    if worker_sid is not None:
        query = query.where(workers.c.sid == worker_sid)
    if channel_sid is not None:
        query = query.join(
            worker_channels,
            and_(
                worker_channels.c.worker_sid == workers.c.sid,
                worker_channels.c.task_channel_sid == channel_sid,
            ),
        ).where(worker_channels.c.available.is_(True))
    ordered = query.order_by(workers.c.date_created, workers.c.sid)
    return [_worker(row) for row in conn.execute(ordered)]


def logged(
    conn: Connection,
    workspace_sid: str,
    start_ms: int,
    end_ms: int,
    event_types: Collection[str],
    *,
    queue_sids: Collection[str] | None = None,
    workflow_sid: str | None = None,
    worker_sids: Collection[str] | None = None,
    channel: str | None = None,
    channel_free_types: Collection[str] = (),
) -> list[LoggedRow]:
    """Events of the given types in [start_ms, end_ms], oldest first.

    `channel` (a unique name) narrows every type but `channel_free_types`: worker activity
    changes concern no channel and are kept whatever the channel asked for.
    """
    query = _EVENTS.where(
        events.c.workspace_sid == workspace_sid,
        events.c.event_date_ms >= start_ms,
        events.c.event_date_ms <= end_ms,
        events.c.event_type.in_(sorted(event_types)),
    )
    if queue_sids is not None:
        query = query.where(events.c.task_queue_sid.in_(sorted(queue_sids)))
    if workflow_sid is not None:
        query = query.where(events.c.workflow_sid == workflow_sid)
    if worker_sids is not None:
        query = query.where(events.c.worker_sid.in_(sorted(worker_sids)))
    if channel is not None:
        on_channel = events.c.task_channel == channel
        if channel_free_types:
            on_channel = or_(on_channel, events.c.event_type.in_(sorted(channel_free_types)))
        query = query.where(on_channel)
    return [_logged(row) for row in conn.execute(query.order_by(events.c.seq))]
