"""Workflows: the routing configuration that sends tasks to queues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update

from hindsight.domain.task_lifecycle import ACTIVE
from hindsight.store import routing_versions
from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import tasks, workflows


@dataclass(frozen=True)
class WorkflowRecord(RowLike):
    """A workflow (one row of `workflows`)."""

    sid: str
    account_sid: str
    workspace_sid: str
    friendly_name: str
    configuration: str  # the JSON document, as given
    assignment_callback_url: str | None
    fallback_assignment_callback_url: str | None
    task_reservation_timeout: int
    date_created: int
    date_updated: int


record = reader(WorkflowRecord)

SORT = (SortKey(workflows.c.date_created), SortKey(workflows.c.sid))

_GET = select(workflows).where(
    workflows.c.sid == bindparam("sid"), workflows.c.workspace_sid == bindparam("ws")
)
_FIRST_TWO = select(workflows).where(workflows.c.workspace_sid == bindparam("ws")).limit(2)


def insert_workflow(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(workflows).values(**row))
    routing_versions.bump(conn, row["workspace_sid"])


def get(conn: Connection, workspace_sid: str, sid: str) -> WorkflowRecord | None:
    return optional(record, conn.execute(_GET, {"sid": sid, "ws": workspace_sid}).first())


# Workflows read in the connection's current transaction: (transaction, {(ws, sid): row}).
_READ_KEY = "hindsight.workflows_read"


def get_in_transaction(conn: Connection, workspace_sid: str, sid: str) -> WorkflowRecord | None:
    """The workflow, read once per transaction: a routing pass over many tasks of one
    workflow reads it once rather than once or twice per task. A change made by another
    process is seen by the next transaction; one made in this transaction (through
    `update_workflow` or `delete_workflow`) at once."""
    transaction = conn.get_transaction()
    held: tuple[Any, dict[tuple[str, str], WorkflowRecord | None]] | None = conn.info.get(_READ_KEY)
    if held is None or held[0] is not transaction:
        held = conn.info[_READ_KEY] = (transaction, {})
    key = (workspace_sid, sid)
    if key not in held[1]:
        held[1][key] = get(conn, workspace_sid, sid)
    return held[1][key]


def _forget_read(conn: Connection) -> None:
    conn.info.pop(_READ_KEY, None)


def only_one(conn: Connection, workspace_sid: str) -> list[WorkflowRecord]:
    """Up to two workflows of the workspace: enough to tell 'exactly one' from 'several'."""
    return [record(row) for row in conn.execute(_FIRST_TWO, {"ws": workspace_sid})]


def list_query(workspace_sid: str, friendly_name: str | None) -> Select[Any]:
    query = select(workflows).where(workflows.c.workspace_sid == workspace_sid)
    return where_given(query, (workflows.c.friendly_name, friendly_name))


def update_workflow(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    _forget_read(conn)
    routing_versions.bump_for_workflow(conn, sid)
    conn.execute(update(workflows).where(workflows.c.sid == sid).values(**values))


def delete_workflow(conn: Connection, sid: str) -> None:
    _forget_read(conn)
    routing_versions.bump_for_workflow(conn, sid)
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


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[WorkflowRecord]:
    query = select(workflows).where(workflows.c.workspace_sid == workspace_sid)
    return [record(row) for row in conn.execute(query)]
