"""Task channels: the kinds of work (voice, chat, sms, ...) and their unique names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from hindsight.domain.task_lifecycle import ACTIVE
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import task_channels, tasks


@dataclass(frozen=True)
class TaskChannelRecord(RowLike):
    """A task channel (one row of `task_channels`)."""

    sid: str
    account_sid: str
    workspace_sid: str
    friendly_name: str
    unique_name: str
    channel_optimized_routing: bool | None
    date_created: int
    date_updated: int


record = reader(TaskChannelRecord)

SORT = (SortKey(task_channels.c.date_created), SortKey(task_channels.c.sid))

_IN_WORKSPACE = task_channels.c.workspace_sid == bindparam("ws")
_GET = select(task_channels).where(task_channels.c.sid == bindparam("key"), _IN_WORKSPACE)
_GET_BY_NAME = select(task_channels).where(
    task_channels.c.unique_name == bindparam("key"), _IN_WORKSPACE
)


def insert_channel(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(task_channels).values(**row))


def get(conn: Connection, workspace_sid: str, sid: str) -> TaskChannelRecord | None:
    return optional(record, conn.execute(_GET, {"key": sid, "ws": workspace_sid}).first())


def get_by_sid_or_name(conn: Connection, workspace_sid: str, key: str) -> TaskChannelRecord | None:
    """A channel by SID, or else by unique name (TaskRouter accepts either)."""
    params = {"key": key, "ws": workspace_sid}
    if key.startswith("TC") and len(key) == 34:
        row = conn.execute(_GET, params).first()
        if row is not None:
            return record(row)
    return optional(record, conn.execute(_GET_BY_NAME, params).first())


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[TaskChannelRecord]:
    query = (
        select(task_channels)
        .where(task_channels.c.workspace_sid == workspace_sid)
        .order_by(task_channels.c.date_created, task_channels.c.sid)
    )
    return [record(row) for row in conn.execute(query)]


def list_query(workspace_sid: str) -> Select[Any]:
    return select(task_channels).where(task_channels.c.workspace_sid == workspace_sid)


def update_channel(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(task_channels).where(task_channels.c.sid == sid).values(**values))


def delete_channel(conn: Connection, sid: str) -> None:
    conn.execute(delete(task_channels).where(task_channels.c.sid == sid))


def active_task_count(conn: Connection, sid: str) -> int:
    query = (
        select(func.count())
        .select_from(tasks)
        .where(tasks.c.task_channel_sid == sid, tasks.c.assignment_status.in_(sorted(ACTIVE)))
    )
    return int(conn.execute(query).scalar_one())
