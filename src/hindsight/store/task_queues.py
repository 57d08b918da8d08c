"""Task queues: where tasks wait, and which workers may take them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from hindsight.domain.task_lifecycle import ACTIVE
from hindsight.store import routing_versions
from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import activities, task_queues, tasks

_reservation = activities.alias("reservation_activity")
_assignment = activities.alias("assignment_activity")

VIEW = (
    select(
        task_queues,
        _reservation.c.friendly_name.label("reservation_activity_name"),
        _assignment.c.friendly_name.label("assignment_activity_name"),
    )
    .select_from(task_queues)
    .outerjoin(_reservation, _reservation.c.sid == task_queues.c.reservation_activity_sid)
    .outerjoin(_assignment, _assignment.c.sid == task_queues.c.assignment_activity_sid)
)


@dataclass(frozen=True)
class TaskQueueRecord(RowLike):
    """A task queue (one row of `task_queues`), with the names of its reservation and
    assignment activities."""

    sid: str
    account_sid: str
    workspace_sid: str
    friendly_name: str
    target_workers: str | None  # a TaskRouter expression over worker attributes
    max_reserved_workers: int
    task_order: str
    reservation_activity_sid: str | None
    assignment_activity_sid: str | None
    date_created: int
    date_updated: int
    reservation_activity_name: str | None
    assignment_activity_name: str | None


record = reader(TaskQueueRecord)

_GET = VIEW.where(
    task_queues.c.sid == bindparam("sid"), task_queues.c.workspace_sid == bindparam("ws")
)

SORT = (SortKey(task_queues.c.date_created), SortKey(task_queues.c.sid))
SORT_BY_NAME = (SortKey(task_queues.c.friendly_name), SortKey(task_queues.c.sid))


def insert_queue(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(task_queues).values(**row))
    routing_versions.bump(conn, row["workspace_sid"])


def get(conn: Connection, workspace_sid: str, sid: str) -> TaskQueueRecord | None:
    return optional(record, conn.execute(_GET, {"sid": sid, "ws": workspace_sid}).first())


def get_by_name(conn: Connection, workspace_sid: str, friendly_name: str) -> TaskQueueRecord | None:
    query = VIEW.where(
        task_queues.c.workspace_sid == workspace_sid, task_queues.c.friendly_name == friendly_name
    )
    return optional(record, conn.execute(query).first())


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[TaskQueueRecord]:
    query = VIEW.where(task_queues.c.workspace_sid == workspace_sid).order_by(
        task_queues.c.date_created, task_queues.c.sid
    )
    return [record(row) for row in conn.execute(query)]


def list_query(workspace_sid: str, friendly_name: str | None) -> Select[Any]:
    query = VIEW.where(task_queues.c.workspace_sid == workspace_sid)
    return where_given(query, (task_queues.c.friendly_name, friendly_name))


def update_queue(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    routing_versions.bump_for_queue(conn, sid)
    conn.execute(update(task_queues).where(task_queues.c.sid == sid).values(**values))


def delete_queue(conn: Connection, sid: str) -> None:
    routing_versions.bump_for_queue(conn, sid)
    conn.execute(delete(task_queues).where(task_queues.c.sid == sid))


def active_task_count(conn: Connection, sid: str) -> int:
    query = (
        select(func.count())
        .select_from(tasks)
        .where(
            tasks.c.task_queue_sid == sid,
            tasks.c.assignment_status.in_(sorted(ACTIVE)),
        )
    )
    return int(conn.execute(query).scalar_one())
