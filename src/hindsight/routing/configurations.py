"""Workflows and task queues as routing reads them, kept per process between transactions.

A routing decision needs the task's workflow (its parsed configuration and reservation
timeout) and the queue's settings (target expression, order, reservations per task). Both
change rarely and are read for nearly every task, so each process keeps them, parsed, keyed
by the workspace's routing version (store/routing_versions.py): every change to a workspace's
workflows or queues bumps that number in the same transaction, so the next transaction of any
process, on either store, sees the new number and reads the changed rows again. Checking costs
one small read of the workspace row per transaction, whatever the number of tasks routed.

What a transaction reads after changing the workspace's workflows or queues itself is
uncommitted: it is used but not kept. Queue rows are kept with the activity names their view
joins in; routing reads only the queue's own columns (an activity rename does not bump).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.domain.workflow_config import WorkflowConfiguration, parse_configuration
from hindsight.store import routing_versions
from hindsight.store import task_queues as queue_store
from hindsight.store import workflows as workflow_store

# Beyond this many kept rows (a very large installation), start again rather than grow.
_MAX_KEPT = 20_000


@dataclass(frozen=True)
class Workflow:
    """A workflow row and its parsed configuration."""

    row: Any
    configuration: WorkflowConfiguration


@dataclass(frozen=True)
class _Kept:
    version: int
    value: Any


class RoutingConfigurations:
    """This process's parsed workflows and queues, checked against each workspace's version."""

    def __init__(self) -> None:
        self._workflows: dict[tuple[str, str], _Kept] = {}
        self._queues: dict[tuple[str, str], _Kept] = {}
        self._queue_lists: dict[tuple[str, str], _Kept] = {}
        # Parsed configurations by document text: a bump for one queue's change leaves the
        # workspace's workflows' documents as they were, and they need no parsing again.
        self._parsed: dict[str, WorkflowConfiguration] = {}

    def workflow(self, conn: Connection, workspace_sid: str, workflow_sid: str) -> Workflow | None:
        return self._kept(self._workflows, conn, workspace_sid, workflow_sid, self._read_workflow)

    def queue(self, conn: Connection, workspace_sid: str, queue_sid: str) -> Any | None:
        return self._kept(self._queues, conn, workspace_sid, queue_sid, queue_store.get)

    def queues(self, conn: Connection, workspace_sid: str) -> list[Any]:
        """Every queue of the workspace, oldest first."""
        return self._kept(  # type: ignore[no-any-return]
            self._queue_lists, conn, workspace_sid, "", _all_queues
        )

    def _read_workflow(
        self, conn: Connection, workspace_sid: str, workflow_sid: str
    ) -> Workflow | None:
        row = workflow_store.get(conn, workspace_sid, workflow_sid)
        if row is None:
            return None
        parsed = self._parsed.get(row.configuration)
        if parsed is None:
            if len(self._parsed) >= _MAX_KEPT:
                self._parsed.clear()
            parsed = self._parsed[row.configuration] = parse_configuration(row.configuration)
        return Workflow(row, parsed)

    @staticmethod
    def _kept(
        kept: dict[tuple[str, str], _Kept],
        conn: Connection,
        workspace_sid: str,
        sid: str,
        read: Callable[[Connection, str, str], Any],
    ) -> Any:
        version = routing_versions.current(conn, workspace_sid)
        if version is None:
            return None
        if version.changed_here:
            return read(conn, workspace_sid, sid)
        key = (workspace_sid, sid)
        held = kept.get(key)
        if held is not None and held.version == version.number:
            return held.value
        value = read(conn, workspace_sid, sid)
        if len(kept) >= _MAX_KEPT:
            kept.clear()
        kept[key] = _Kept(version.number, value)
        return value


def _all_queues(conn: Connection, workspace_sid: str, _unused: str) -> list[Any]:
    return queue_store.all_in_workspace(conn, workspace_sid)
