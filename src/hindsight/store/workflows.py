"""Workflows: the routing configuration that sends tasks to queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from hindsight.domain.task_lifecycle import ACTIVE
from hindsight.store.keyset import SortKey
from hindsight.store.schema import tasks, workflows

SORT = (SortKey(workflows.c.date_created), SortKey(workflows.c.sid))

_GET = select(workflows).where(
    workflows.c.sid == bindparam("sid"), workflows.c.workspace_sid == bindparam("ws")
)
_FIRST_TWO = select(workflows).where(workflows.c.workspace_sid == bindparam("ws")).limit(2)


def insert_workflow(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(workflows).values(**row))


def get(conn: Connection, workspace_sid: str, sid: str) -> Any | None:
    return conn.execute(_GET, {"sid": sid, "ws": workspace_sid}).first()


def only_one(conn: Connection, workspace_sid: str) -> list[Any]:
    """Up to two workflows of the workspace: enough to tell 'exactly one' from 'several'."""
    return list(conn.execute(_FIRST_TWO, {"ws": workspace_sid}))


def list_query(workspace_sid: str, friendly_name: str | None) -> Select[Any]:
    query = select(workflows).where(workflows.c.workspace_sid == workspace_sid)
    if friendly_name is not None:
        query = query.where(workflows.c.friendly_name == friendly_name)
    return query


def update_workflow(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(workflows).where(workflows.c.sid == sid).values(**values))


def delete_workflow(conn: Connection, sid: str) -> None:
    conn.execute(delete(workflows).where(workflows.c.sid == sid))


def active_task_count(conn: Connection, sid: str) -> int:
    query = (
        select(func.count())
        .select_from(tasks)
        .where(
            tasks.c.workflow_sid == sid,
            tasks.c.assignment_status.in_(sorted(ACTIVE)),
        )
    )
    return int(conn.execute(query).scalar_one())


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[Any]:
    query = select(workflows).where(workflows.c.workspace_sid == workspace_sid)
    return list(conn.execute(query))
