"""A workspace's routing version: bumped in the transaction of every change to one of its
workflows or task queues.

Routing keeps workflows and queues parsed between transactions (routing/configurations.py) and
checks them against this number, one small read per transaction, instead of reading and parsing
them again. Every process sees another's change with its next transaction: the change and the
bump commit together.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update

from hindsight.store.schema import task_queues, workflows, workspaces


@dataclass(frozen=True)
class RoutingVersion:
    """The version a transaction sees. `changed_here`: this transaction changed the workspace's
    workflows or queues, so what it reads is not yet committed and must not be kept for others
    (it may still roll back, and another transaction commit the same number)."""

    number: int
    changed_here: bool = False


_READ = select(workspaces.c.routing_version).where(workspaces.c.sid == bindparam("ws"))
_BUMP = (
    update(workspaces)
    .where(workspaces.c.sid == bindparam("ws"))
    .values(routing_version=workspaces.c.routing_version + 1)
)
_WORKFLOW_WORKSPACE = select(workflows.c.workspace_sid).where(workflows.c.sid == bindparam("sid"))
_QUEUE_WORKSPACE = select(task_queues.c.workspace_sid).where(task_queues.c.sid == bindparam("sid"))

# Versions read in the connection's current transaction: (transaction, {workspace: version}).
_SEEN_KEY = "hindsight.routing_versions"


def _seen(conn: Connection) -> dict[str, RoutingVersion | None]:
    transaction = conn.get_transaction()
    held: tuple[object, dict[str, RoutingVersion | None]] | None = conn.info.get(_SEEN_KEY)
    if held is None or held[0] is not transaction:
        held = conn.info[_SEEN_KEY] = (transaction, {})
    return held[1]


def current(conn: Connection, workspace_sid: str) -> RoutingVersion | None:
    """The workspace's routing version in this transaction (read once), None without it."""
    seen = _seen(conn)
    if workspace_sid not in seen:
        number = conn.execute(_READ, {"ws": workspace_sid}).scalar()
        seen[workspace_sid] = None if number is None else RoutingVersion(int(number))
    return seen[workspace_sid]


def bump(conn: Connection, workspace_sid: str) -> None:
    """Mark a change to the workspace's workflows or queues, in the changing transaction."""
    conn.execute(_BUMP, {"ws": workspace_sid})
    _seen(conn)[workspace_sid] = RoutingVersion(-1, changed_here=True)


def bump_for_workflow(conn: Connection, workflow_sid: str) -> None:
    workspace_sid = conn.execute(_WORKFLOW_WORKSPACE, {"sid": workflow_sid}).scalar()
    if workspace_sid is not None:
        bump(conn, workspace_sid)


def bump_for_queue(conn: Connection, queue_sid: str) -> None:
    workspace_sid = conn.execute(_QUEUE_WORKSPACE, {"sid": queue_sid}).scalar()
    if workspace_sid is not None:
        bump(conn, workspace_sid)
