"""Workflows: create, fetch, update, delete, list; configurations checked against the workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain import expressions
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.names import check_friendly_name
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix
from hindsight.domain.unset import UNSET, Changes
from hindsight.domain.urls import check_callback_url
from hindsight.domain.worker_choice import parse_order_by
from hindsight.domain.workflow_config import WorkflowConfiguration, parse_configuration
from hindsight.domain.workspace_template import DEFAULT_RESERVATION_TIMEOUT
from hindsight.routing.base import (
    ChildKind,
    RoutingService,
    emit_routing,
    workspace_or_404,
)
from hindsight.service_base import Caller
from hindsight.store import task_queues as queue_store
from hindsight.store import tasks as task_store
from hindsight.store import workflows as store
from hindsight.store.workflows import WorkflowRecord as WorkflowRecord
from hindsight.store.workspaces import WorkspaceRecord

MAX_RESERVATION_TIMEOUT = 86_400


@dataclass(frozen=True)
class WorkflowSettings(Changes):
    friendly_name: Any = UNSET
    configuration: Any = UNSET
    assignment_callback_url: Any = UNSET
    fallback_assignment_callback_url: Any = UNSET
    task_reservation_timeout: Any = UNSET


WORKFLOW = ChildKind[WorkflowRecord](
    "Workflow",
    "Workflows",
    store.get,
    ev.workflow_fields,
    lambda w: w.friendly_name,
    Prefix.WORKFLOW,
)


def _parse_expression(text: str, where: str) -> None:
    try:
        expressions.parse(text)
    except expressions.ExpressionError as exc:
        raise InvalidParameter(f"Configuration {where}: {exc.message}") from None


def check_configuration(raw: str) -> WorkflowConfiguration:
    """Parse the document and every expression in it (task filters and worker targets)."""
    config = parse_configuration(raw)
    for i, rule in enumerate(config.filters):
        where = f"task_routing.filters[{i}]"
        _parse_expression(rule.expression, f"{where}.expression")
        for j, target in enumerate(rule.targets):
            for key, text in (("expression", target.expression), ("skip_if", target.skip_if)):
                if text:
                    _parse_expression(text, f"{where}.targets[{j}].{key}")
            try:
                parse_order_by(target.order_by)
            except InvalidParameter as exc:
                raise InvalidParameter(
                    f"Configuration {where}.targets[{j}].order_by: {exc.message}"
                ) from None
    return config


def _check(values: dict[str, Any]) -> WorkflowConfiguration | None:
    if "friendly_name" in values:
        check_friendly_name(values["friendly_name"])
    for key, param in (
        ("assignment_callback_url", "AssignmentCallbackUrl"),
        ("fallback_assignment_callback_url", "FallbackAssignmentCallbackUrl"),
    ):
        if key in values:
            values[key] = check_callback_url(values[key], param)
    timeout = values.get("task_reservation_timeout")
    if timeout is not None and not 1 <= timeout <= MAX_RESERVATION_TIMEOUT:
        raise InvalidParameter(
            f"TaskReservationTimeout must be from 1 to {MAX_RESERVATION_TIMEOUT} seconds"
        )
    if "configuration" in values:
        return check_configuration(values["configuration"])
    return None


def _check_refs(
    conn: Connection,
    workspace: WorkspaceRecord,
    values: dict[str, Any],
    config: WorkflowConfiguration | None,
    own_sid: str | None = None,
) -> None:
    if config is not None:
        for queue_sid in sorted(config.queue_sids()):
            if queue_store.get(conn, workspace.sid, queue_sid) is None:
                raise InvalidParameter(
                    f"Configuration routes to TaskQueue {queue_sid}, which is not a queue of "
                    f"workspace {workspace.sid}"
                )
    name = values.get("friendly_name")
    if name is not None:
        clash = [
            w
            for w in store.all_in_workspace(conn, workspace.sid)
            if w.friendly_name == name and w.sid != own_sid
        ]
        if clash:
            raise InvalidParameter(
                f"Workflow named {name} already exists for workspace {workspace.sid} "
                f"for account {workspace.account_sid}"
            )


class WorkflowService(RoutingService):
    async def create(self, caller: Caller, ws: str, settings: WorkflowSettings) -> WorkflowRecord:
        values = settings.given()
        if "configuration" not in values:
            raise InvalidParameter("Missing required parameter Configuration in the post body")
        config = _check(values)
        values.setdefault("task_reservation_timeout", DEFAULT_RESERVATION_TIMEOUT)

        def insert(conn: Connection, workspace: WorkspaceRecord, row: dict[str, Any]) -> None:
            _check_refs(conn, workspace, values, config)
            store.insert_workflow(conn, row)

        unset = {"assignment_callback_url": None, "fallback_assignment_callback_url": None}
        return await self._create_kind(caller, ws, WORKFLOW, {**unset, **values}, insert)

    async def fetch(self, caller: Caller, ws: str, sid: str) -> WorkflowRecord:
        return await self._fetch_kind(caller, ws, WORKFLOW, sid)

    async def list(
        self, caller: Caller, ws: str, friendly_name: str | None, page: PageRequest
    ) -> PageResult[WorkflowRecord]:
        query = store.list_query(ws, friendly_name)
        return await self._list_children(caller, ws, query, store.SORT, page, store.record)

    async def update(
        self,
        caller: Caller,
        ws: str,
        sid: str,
        settings: WorkflowSettings,
        re_evaluate: bool = False,
    ) -> WorkflowRecord:
        values = settings.given()
        config = _check(values)
        now = self._clock.now_ms()

        def unit(conn: Connection) -> WorkflowRecord:
            workspace = workspace_or_404(conn, caller, ws)
            before = WORKFLOW.find(conn, ws, sid)
            _check_refs(conn, workspace, values, config, own_sid=sid)
            if not values and not re_evaluate:
                return before
            row = before
            if values:
                store.update_workflow(conn, sid, {**values, "date_updated": now})
                row = WORKFLOW.announce(
                    conn, workspace, caller, now, sid, "workflow.updated", "updated"
                )
            if re_evaluate:
                # Waiting tasks go through the (new) rules again from the top.
                for task in task_store.waiting_in_workflow(conn, sid):
                    view = dict(task._mapping)
                    emit_routing(
                        conn, workspace, now, *self._engine.enter_workflow(conn, view, now)
                    )
            return row

        return await self._write(ws, unit)

    async def delete(self, caller: Caller, ws: str, sid: str) -> None:
        def remove(conn: Connection, row: WorkflowRecord) -> None:
            active = store.active_task_count(conn, sid)
            if active:
                raise InvalidParameter(
                    f"Workflow {sid} cannot be deleted: {active} active task(s) are routed by it"
                )
            store.delete_workflow(conn, sid)

        await self._delete_kind(caller, ws, WORKFLOW, sid, remove)
