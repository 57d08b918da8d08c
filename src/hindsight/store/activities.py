"""Activities: the states a worker can be in (Available, Offline, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import activities, task_queues, workers, workspaces


@dataclass(frozen=True)
class ActivityRecord(RowLike):
    """An activity (one row of `activities`)."""

    sid: str
    account_sid: str
    workspace_sid: str
    friendly_name: str
    available: bool
    date_created: int
    date_updated: int


record = reader(ActivityRecord)

SORT = (SortKey(activities.c.date_created), SortKey(activities.c.sid))
_GET = select(activities).where(
    activities.c.sid == bindparam("sid"), activities.c.workspace_sid == bindparam("ws")
)


def insert_activity(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(activities).values(**row))


def get(conn: Connection, workspace_sid: str, sid: str) -> ActivityRecord | None:
    return optional(record, conn.execute(_GET, {"sid": sid, "ws": workspace_sid}).first())


def get_by_name(conn: Connection, workspace_sid: str, friendly_name: str) -> ActivityRecord | None:
    query = select(activities).where(
        activities.c.workspace_sid == workspace_sid, activities.c.friendly_name == friendly_name
    )
    return optional(record, conn.execute(query).first())


def list_query(
    workspace_sid: str, friendly_name: str | None, available: bool | None
) -> Select[Any]:
    return where_given(
        select(activities).where(activities.c.workspace_sid == workspace_sid),
        (activities.c.friendly_name, friendly_name),
        (activities.c.available, available),
    )


def update_activity(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(activities).where(activities.c.sid == sid).values(**values))


def delete_activity(conn: Connection, sid: str) -> None:
    conn.execute(delete(activities).where(activities.c.sid == sid))


def usage(conn: Connection, workspace_sid: str, sid: str) -> list[str]:
    """What still refers to the activity (and so forbids deleting it), as readable phrases."""
    uses: list[str] = []
    worker_count = conn.execute(
        select(func.count()).select_from(workers).where(workers.c.activity_sid == sid)
    ).scalar_one()
    if worker_count:
        uses.append(f"{worker_count} worker(s) are in it")
    workspace = conn.execute(
        select(workspaces.c.default_activity_sid, workspaces.c.timeout_activity_sid).where(
            workspaces.c.sid == workspace_sid
        )
    ).one()
    if workspace.default_activity_sid == sid:
        uses.append("it is the workspace's DefaultActivity")
    if workspace.timeout_activity_sid == sid:
        uses.append("it is the workspace's TimeoutActivity")
    queue_count = conn.execute(
        select(func.count())
        .select_from(task_queues)
        .where(
            (task_queues.c.reservation_activity_sid == sid)
            | (task_queues.c.assignment_activity_sid == sid)
        )
    ).scalar_one()
    if queue_count:
        uses.append(f"{queue_count} task queue(s) use it as reservation or assignment activity")
    return uses
