"""Workers and their per-channel capacity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, insert, select, update

from hindsight.store.keyset import SortKey
from hindsight.store.schema import activities, task_channels, worker_channels, workers

VIEW = (
    select(
        workers,
        activities.c.friendly_name.label("activity_name"),
        activities.c.available.label("available"),
    )
    .select_from(workers)
    .join(activities, activities.c.sid == workers.c.activity_sid)
)

_GET = VIEW.where(workers.c.sid == bindparam("sid"), workers.c.workspace_sid == bindparam("ws"))
_GET_FOR_UPDATE = _GET.with_for_update(of=workers)

SORT = (SortKey(workers.c.date_created), SortKey(workers.c.sid))
SORT_BY_NAME = (SortKey(workers.c.friendly_name), SortKey(workers.c.sid))

CHANNEL_VIEW = (
    select(worker_channels, task_channels.c.unique_name.label("task_channel_unique_name"))
    .select_from(worker_channels)
    .join(task_channels, task_channels.c.sid == worker_channels.c.task_channel_sid)
)
CHANNEL_SORT = (SortKey(worker_channels.c.date_created), SortKey(worker_channels.c.sid))


def insert_worker(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(workers).values(**row))


def get(conn: Connection, workspace_sid: str, sid: str, *, for_update: bool = False) -> Any:
    query = _GET_FOR_UPDATE if for_update else _GET
    return conn.execute(query, {"sid": sid, "ws": workspace_sid}).first()


def get_by_name(conn: Connection, workspace_sid: str, friendly_name: str) -> Any | None:
    query = VIEW.where(
        workers.c.workspace_sid == workspace_sid, workers.c.friendly_name == friendly_name
    )
    return conn.execute(query).first()


def filtered_query(
    workspace_sid: str,
    *,
    activity_name: str | None,
    activity_sid: str | None,
    available: bool | None,
    friendly_name: str | None,
) -> Select[Any]:
    query = VIEW.where(workers.c.workspace_sid == workspace_sid)
    if activity_name is not None:
        query = query.where(activities.c.friendly_name == activity_name)
    if activity_sid is not None:
        query = query.where(workers.c.activity_sid == activity_sid)
    if available is not None:
        query = query.where(activities.c.available == available)
    if friendly_name is not None:
        query = query.where(workers.c.friendly_name == friendly_name)
    return query


def update_worker(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(workers).where(workers.c.sid == sid).values(**values))


def delete_worker(conn: Connection, sid: str) -> None:
    conn.execute(delete(workers).where(workers.c.sid == sid))


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[Any]:
    return list(conn.execute(VIEW.where(workers.c.workspace_sid == workspace_sid)))


def worker_sids(conn: Connection, workspace_sid: str) -> list[str]:
    query = select(workers.c.sid).where(workers.c.workspace_sid == workspace_sid)
    return list(conn.execute(query).scalars())


def insert_channels(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(worker_channels), rows)


def get_channel(conn: Connection, worker_sid: str, key: str) -> Any | None:
    """A worker channel by its WC sid, or by the TC sid or unique name of its task channel."""
    query = CHANNEL_VIEW.where(worker_channels.c.worker_sid == worker_sid).where(
        (worker_channels.c.sid == key)
        | (worker_channels.c.task_channel_sid == key)
        | (task_channels.c.unique_name == key)
    )
    return conn.execute(query).first()


def channels_query(worker_sid: str) -> Select[Any]:
    return CHANNEL_VIEW.where(worker_channels.c.worker_sid == worker_sid)


def update_channel(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(worker_channels).where(worker_channels.c.sid == sid).values(**values))
