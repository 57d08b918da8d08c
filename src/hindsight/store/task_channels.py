"""Task channels: the kinds of work (voice, chat, sms, ...) and their unique names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from hindsight.domain.task_lifecycle import ACTIVE
from hindsight.store.keyset import SortKey
from hindsight.store.schema import task_channels, tasks

SORT = (SortKey(task_channels.c.date_created), SortKey(task_channels.c.sid))

_IN_WORKSPACE = task_channels.c.workspace_sid == bindparam("ws")
_GET = select(task_channels).where(task_channels.c.sid == bindparam("key"), _IN_WORKSPACE)
_GET_BY_NAME = select(task_channels).where(
    task_channels.c.unique_name == bindparam("key"), _IN_WORKSPACE
)


def insert_channel(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(task_channels).values(**row))


def get(conn: Connection, workspace_sid: str, sid: str) -> Any | None:
    return conn.execute(_GET, {"key": sid, "ws": workspace_sid}).first()


def get_by_sid_or_name(conn: Connection, workspace_sid: str, key: str) -> Any | None:
    """A channel by SID, or else by unique name (TaskRouter accepts either)."""
    params = {"key": key, "ws": workspace_sid}
    if key.startswith("TC") and len(key) == 34:
        row = conn.execute(_GET, params).first()
        if row is not None:
            return row
    return conn.execute(_GET_BY_NAME, params).first()


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[Any]:
    query = (
        select(task_channels)
        .where(task_channels.c.workspace_sid == workspace_sid)
        .order_by(task_channels.c.date_created, task_channels.c.sid)
    )
    return list(conn.execute(query))


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
