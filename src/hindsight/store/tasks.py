"""Tasks: units of work, with their attributes, status and routing.

Point statements are built once with bind parameters: building a SQLAlchemy statement costs
several times more than running it on SQLite, and tasks are the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Row,
    Select,
    bindparam,
    delete,
    insert,
    literal_column,
    select,
    update,
)

from hindsight.store.direct import DirectStatement
from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, builder, optional, reader
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


@dataclass(frozen=True)
class TaskRecord(RowLike):
    """A task (one row of `tasks`), with the names of its queue, workflow and channel."""

    sid: str
    account_sid: str
    workspace_sid: str
    attributes: str  # JSON object
    assignment_status: str
    priority: int
    reason: str | None
    timeout: int
    task_channel_sid: str
    workflow_sid: str | None
    task_queue_sid: str | None
    task_queue_entered_date: int | None
    virtual_start_time: int
    routing_target: str | None
    ignore_capacity: bool | None
    addons: str  # JSON object
    version: int
    step_filter: int | None  # where the task stands in its workflow (-1: default filter)
    step_target: int | None
    step_due_ms: int | None
    timeout_at_ms: int | None
    date_created: int
    date_updated: int
    task_queue_friendly_name: str | None
    workflow_friendly_name: str | None
    task_channel_unique_name: str | None


record = reader(TaskRecord)
record_of = builder(TaskRecord)

SORT = (SortKey(tasks.c.date_created), SortKey(tasks.c.sid))

# Columns the Tasks list may be ordered by (Twilio's `Ordering` names).
ORDERABLE = {
    "DateCreated": tasks.c.date_created,
    "Priority": tasks.c.priority,
    "VirtualStartTime": tasks.c.virtual_start_time,
}

_GET = VIEW.where(tasks.c.sid == bindparam("sid"), tasks.c.workspace_sid == bindparam("ws"))
_GET_FOR_UPDATE = _GET.with_for_update(of=tasks)
# The task with its workspace's name and mirrored source, in one statement: what an update
# needs to append events and to refuse a workspace mirroring Twilio without asking again.
_GET_SCOPED = (
    VIEW.add_columns(
        workspaces.c.friendly_name.label("workspace_name"),
        workspaces.c.mirror_source.label("workspace_mirror"),
    )
    .join(workspaces, workspaces.c.sid == tasks.c.workspace_sid)
    .where(
        tasks.c.sid == bindparam("sid"),
        tasks.c.workspace_sid == bindparam("ws"),
        tasks.c.account_sid == bindparam("account"),
    )
    .with_for_update(of=tasks)
)
_INSERT = insert(tasks)
# The SET clause comes from the keys given at execution. Sent directly to the driver, as the
# locked read above is by `get_for_change`: both are on every task update's path.
_UPDATE = DirectStatement(update(tasks).where(tasks.c.sid == bindparam("key_sid")))
_GET_SCOPED_DIRECT = DirectStatement(_GET_SCOPED)
_DELETE = delete(tasks).where(tasks.c.sid == bindparam("sid"))


def insert_task(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_INSERT, row)


def get(
    conn: Connection, workspace_sid: str, sid: str, *, for_update: bool = False
) -> TaskRecord | None:
    query = _GET_FOR_UPDATE if for_update else _GET
    return optional(record, conn.execute(query, {"sid": sid, "ws": workspace_sid}).first())


_GET_MANY = VIEW.where(
    tasks.c.sid.in_(bindparam("sids", expanding=True)), tasks.c.workspace_sid == bindparam("ws")
)


def get_many(conn: Connection, workspace_sid: str, sids: list[str]) -> dict[str, TaskRecord]:
    """Tasks of a workspace by SID, in one statement (those that exist), unlocked."""
    found: dict[str, TaskRecord] = {}
    for start in range(0, len(sids), 500):
        params = {"sids": sids[start : start + 500], "ws": workspace_sid}
        for row in conn.execute(_GET_MANY, params):
            found[row.sid] = record(row)
    return found


def get_for_change(
    conn: Connection, account_sid: str, workspace_sid: str, sid: str
) -> tuple[TaskRecord, str, str | None] | None:
    """The task, locked, its workspace's name and the Twilio source the workspace mirrors (or
    None); None if not in that account's workspace."""
    params = {"sid": sid, "ws": workspace_sid, "account": account_sid}
    row = _GET_SCOPED_DIRECT.first(conn, params)
    return None if row is None else (record_of(row), row["workspace_name"], row["workspace_mirror"])


class TaskListFilters(Protocol):
    """What the Tasks list filters on in SQL (the service's TaskFilters has these)."""

    @property
    def priority(self) -> int | None: ...
    @property
    def assignment_status(self) -> tuple[str, ...]: ...
    @property
    def workflow_sid(self) -> str | None: ...
    @property
    def workflow_name(self) -> str | None: ...
    @property
    def task_queue_sid(self) -> str | None: ...
    @property
    def task_queue_name(self) -> str | None: ...
    @property
    def routing_target(self) -> str | None: ...
    @property
    def has_addons(self) -> bool | None: ...


def filtered_query(workspace_sid: str, filters: TaskListFilters) -> Select[Any]:
    """The Tasks list's SQL filters."""
    query = where_given(
        VIEW.where(tasks.c.workspace_sid == workspace_sid),
        (tasks.c.priority, filters.priority),
        (tasks.c.workflow_sid, filters.workflow_sid),
        (workflows.c.friendly_name, filters.workflow_name),
        (tasks.c.task_queue_sid, filters.task_queue_sid),
        (task_queues.c.friendly_name, filters.task_queue_name),
        (tasks.c.routing_target, filters.routing_target),
    )
    if filters.assignment_status:
        query = query.where(tasks.c.assignment_status.in_(filters.assignment_status))
    if filters.has_addons is not None:
        has = tasks.c.addons != "{}"
        query = query.where(has if filters.has_addons else ~has)
    return query


def update_task(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    _UPDATE.execute(conn, {**values, "key_sid": sid})


def delete_task(conn: Connection, sid: str) -> None:
    conn.execute(_DELETE, {"sid": sid})


# The timers ask these five times a second: built once.
_DUE_TIMEOUTS = (
    select(tasks.c.sid, tasks.c.workspace_sid)
    .where(tasks.c.timeout_at_ms <= bindparam("now"))
    .order_by(tasks.c.timeout_at_ms)
    .limit(bindparam("limit"))
)
_DUE_STEPS = (
    select(tasks.c.sid, tasks.c.workspace_sid)
    .where(tasks.c.step_due_ms <= bindparam("now"), tasks.c.assignment_status == "pending")
    .order_by(tasks.c.step_due_ms)
    .limit(bindparam("limit"))
)


def due_timeouts(conn: Connection, now_ms: int, limit: int) -> list[Row[tuple[str, str]]]:
    """(sid, workspace_sid) of tasks whose TTL has passed, the oldest first."""
    return list(conn.execute(_DUE_TIMEOUTS, {"now": now_ms, "limit": limit}))


def due_steps(conn: Connection, now_ms: int, limit: int) -> list[Row[tuple[str, str]]]:
    """(sid, workspace_sid) of waiting tasks whose workflow step timed out, the oldest first."""
    return list(conn.execute(_DUE_STEPS, {"now": now_ms, "limit": limit}))


def waiting_in_workflow(conn: Connection, workflow_sid: str) -> list[TaskRecord]:
    query = VIEW.where(
        tasks.c.workflow_sid == workflow_sid, tasks.c.assignment_status == "pending"
    ).order_by(tasks.c.date_created, tasks.c.sid)
    return [record(row) for row in conn.execute(query)]


# Routing's walk of a queue's waiting tasks on one channel. The status is written into the
# SQL (not bound) so both databases may use ix_tasks_waiting_on_channel, which holds only
# waiting tasks: each page is a short index range however long the backlog, never a sort.
_PENDING = tasks.c.assignment_status == literal_column("'pending'")
_ON_CHANNEL = VIEW.where(
    tasks.c.task_queue_sid == bindparam("queue"),
    tasks.c.task_channel_sid == bindparam("channel"),
    _PENDING,
)


def _on_channel_page(lifo: bool, keyset: bool) -> Select[Any]:
    age = tasks.c.virtual_start_time
    query = _ON_CHANNEL
    if keyset:
        priority, start, sid = bindparam("p"), bindparam("v"), bindparam("s")
        later = age < start if lifo else age > start
        query = query.where(
            (tasks.c.priority < priority)
            | ((tasks.c.priority == priority) & later)
            | ((tasks.c.priority == priority) & (age == start) & (tasks.c.sid > sid))
        )
    return query.order_by(tasks.c.priority.desc(), age.desc() if lifo else age, tasks.c.sid).limit(
        bindparam("limit")
    )


_ON_CHANNEL_PAGES = {
    (lifo, keyset): _on_channel_page(lifo, keyset)
    for lifo in (False, True)
    for keyset in (False, True)
}


def waiting_on_channel(
    conn: Connection,
    queue_sid: str,
    channel_sid: str,
    lifo: bool,
    after: tuple[int, int, str] | None,
    limit: int,
) -> list[Row[Any]]:
    """A page of a queue's waiting tasks on one channel, in routing order, after `after`
    (priority, virtual start time, sid) of the previous page's last task. Rows, not records:
    routing reads them in its hot loop, where building records costs."""
    params: dict[str, Any] = {"queue": queue_sid, "channel": channel_sid, "limit": limit}
    if after is not None:
        params["p"], params["v"], params["s"] = after
    query = _ON_CHANNEL_PAGES[(lifo, after is not None)]
    return list(conn.execute(query, params))
