"""Tasks: units of work, with their attributes, status and routing.

Point statements are built once with bind parameters: building a SQLAlchemy statement costs
several times more than running it on SQLite, and tasks are the hot path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, insert, select, update

from hindsight.store.schema import task_channels, task_queues, tasks, workflows, workspaces

VIEW = (
    select(
        tasks,
        task_queues.c.friendly_name.label("task_queue_friendly_name"),
        workflows.c.friendly_name.label("workflow_friendly_name"),
        task_channels.c.unique_name.label("task_channel_unique_name"),
    )
    .select_from(tasks)
    .outerjoin(task_queues, task_queues.c.sid == tasks.c.task_queue_sid)
    .outerjoin(workflows, workflows.c.sid == tasks.c.workflow_sid)
    .outerjoin(task_channels, task_channels.c.sid == tasks.c.task_channel_sid)
)

# Columns the Tasks list may be ordered by (Twilio's `Ordering` names).
ORDERABLE = {
    "DateCreated": tasks.c.date_created,
    "Priority": tasks.c.priority,
    "VirtualStartTime": tasks.c.virtual_start_time,
}

_GET = VIEW.where(tasks.c.sid == bindparam("sid"), tasks.c.workspace_sid == bindparam("ws"))
_GET_FOR_UPDATE = _GET.with_for_update(of=tasks)
# The task with its workspace's name, in one statement: what an update needs to append events.
_GET_SCOPED = (
    VIEW.add_columns(workspaces.c.friendly_name.label("workspace_name"))
    .join(workspaces, workspaces.c.sid == tasks.c.workspace_sid)
    .where(
        tasks.c.sid == bindparam("sid"),
        tasks.c.workspace_sid == bindparam("ws"),
        tasks.c.account_sid == bindparam("account"),
    )
    .with_for_update(of=tasks)
)
_INSERT = insert(tasks)
# The SET clause comes from the keys given at execution.
_UPDATE = update(tasks).where(tasks.c.sid == bindparam("key_sid"))
_DELETE = delete(tasks).where(tasks.c.sid == bindparam("sid"))


def insert_task(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_INSERT, row)


def get(conn: Connection, workspace_sid: str, sid: str, *, for_update: bool = False) -> Any:
    query = _GET_FOR_UPDATE if for_update else _GET
    return conn.execute(query, {"sid": sid, "ws": workspace_sid}).first()


def get_for_change(conn: Connection, account_sid: str, workspace_sid: str, sid: str) -> Any:
    """The task, locked, with `workspace_name`; None if not in that account's workspace."""
    params = {"sid": sid, "ws": workspace_sid, "account": account_sid}
    return conn.execute(_GET_SCOPED, params).first()


def filtered_query(workspace_sid: str, filters: Any) -> Select[Any]:
    """The Tasks list's SQL filters (`filters` is a routing.tasks.TaskFilters)."""
    query = VIEW.where(tasks.c.workspace_sid == workspace_sid)
    if filters.priority is not None:
        query = query.where(tasks.c.priority == filters.priority)
    if filters.assignment_status:
        query = query.where(tasks.c.assignment_status.in_(filters.assignment_status))
    if filters.workflow_sid is not None:
        query = query.where(tasks.c.workflow_sid == filters.workflow_sid)
    if filters.workflow_name is not None:
        query = query.where(workflows.c.friendly_name == filters.workflow_name)
    if filters.task_queue_sid is not None:
        query = query.where(tasks.c.task_queue_sid == filters.task_queue_sid)
    if filters.task_queue_name is not None:
        query = query.where(task_queues.c.friendly_name == filters.task_queue_name)
    if filters.routing_target is not None:
        query = query.where(tasks.c.routing_target == filters.routing_target)
    if filters.has_addons is not None:
        has = tasks.c.addons != "{}"
        query = query.where(has if filters.has_addons else ~has)
    return query


def update_task(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(_UPDATE, {**values, "key_sid": sid})


def delete_task(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


_WAITING = (
    VIEW.where(
        tasks.c.task_queue_sid == bindparam("queue"),
        tasks.c.assignment_status == "pending",
    )
    .order_by(tasks.c.priority.desc(), tasks.c.virtual_start_time, tasks.c.sid)
    .limit(bindparam("limit"))
)
_WAITING_LIFO = (
    VIEW.where(
        tasks.c.task_queue_sid == bindparam("queue"),
        tasks.c.assignment_status == "pending",
    )
    .order_by(tasks.c.priority.desc(), tasks.c.virtual_start_time.desc(), tasks.c.sid)
    .limit(bindparam("limit"))
)


def waiting_in_queue(conn: Connection, queue_sid: str, lifo: bool, limit: int) -> list[Any]:
    """Pending tasks of a queue, in the order routing offers them: priority, then age."""
    query = _WAITING_LIFO if lifo else _WAITING
    return list(conn.execute(query, {"queue": queue_sid, "limit": limit}))


def due_timeouts(conn: Connection, now_ms: int, limit: int) -> list[Any]:
    query = (
        select(tasks.c.sid, tasks.c.workspace_sid)
        .where(tasks.c.timeout_at_ms <= now_ms)
        .order_by(tasks.c.timeout_at_ms)
        .limit(limit)
    )
    return list(conn.execute(query))


def due_steps(conn: Connection, now_ms: int, limit: int) -> list[Any]:
    query = (
        select(tasks.c.sid, tasks.c.workspace_sid)
        .where(tasks.c.step_due_ms <= now_ms, tasks.c.assignment_status == "pending")
        .order_by(tasks.c.step_due_ms)
        .limit(limit)
    )
    return list(conn.execute(query))


def waiting_in_workflow(conn: Connection, workflow_sid: str) -> list[Any]:
    query = VIEW.where(
        tasks.c.workflow_sid == workflow_sid, tasks.c.assignment_status == "pending"
    ).order_by(tasks.c.date_created, tasks.c.sid)
    return list(conn.execute(query))


_CHANNELS_WAITING = (
    select(tasks.c.task_channel_sid)
    .where(tasks.c.task_queue_sid == bindparam("queue"), tasks.c.assignment_status == "pending")
    .distinct()
)


def channels_waiting(conn: Connection, queue_sid: str) -> list[str]:
    """The task channels of a queue's waiting tasks."""
    return list(conn.execute(_CHANNELS_WAITING, {"queue": queue_sid}).scalars())


def waiting_on_channel(
    conn: Connection,
    queue_sid: str,
    channel_sid: str,
    lifo: bool,
    after: tuple[int, int, str] | None,
    limit: int,
) -> list[Any]:
    """A page of a queue's waiting tasks on one channel, in routing order, after `after`
    (priority, virtual start time, sid) of the previous page's last task."""
    age = tasks.c.virtual_start_time.desc() if lifo else tasks.c.virtual_start_time
    query = VIEW.where(
        tasks.c.task_queue_sid == queue_sid,
        tasks.c.assignment_status == "pending",
        tasks.c.task_channel_sid == channel_sid,
    )
    if after is not None:
        priority, start, sid = after
        later_start = (
            tasks.c.virtual_start_time < start if lifo else tasks.c.virtual_start_time > start
        )
        query = query.where(
            (tasks.c.priority < priority)
            | ((tasks.c.priority == priority) & later_start)
            | (
                (tasks.c.priority == priority)
                & (tasks.c.virtual_start_time == start)
                & (tasks.c.sid > sid)
            )
        )
    query = query.order_by(tasks.c.priority.desc(), age, tasks.c.sid).limit(limit)
    return list(conn.execute(query))
