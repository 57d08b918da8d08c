"""Workspaces: create (with TaskRouter's defaults), fetch, update, delete, list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain import workspace_template as template
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.names import check_friendly_name
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix, new_sid
from hindsight.domain.unset import UNSET, Changes
from hindsight.domain.urls import check_callback_url
from hindsight.domain.workflow_config import fifo_configuration
from hindsight.routing.base import RoutingService, emit, not_found, resource_row, workspace_or_404
from hindsight.service_base import Caller
from hindsight.store import activities as activity_store
from hindsight.store import callbacks as callback_store
from hindsight.store import events as event_store
from hindsight.store import task_channels as channel_store
from hindsight.store import task_queues as queue_store
from hindsight.store import workflows as workflow_store
from hindsight.store import workspaces as store
from hindsight.store.keyset import fetch_page

# Re-exported: the HTTP layer names the workspace record through this service.
from hindsight.store.workspaces import WorkspaceRecord as WorkspaceRecord


@dataclass(frozen=True)
class NewWorkspace:
    friendly_name: str
    event_callback_url: str | None = None
    events_filter: str | None = None
    multi_task_enabled: bool = True
    template: str = "NONE"
    prioritize_queue_order: str = "FIFO"


@dataclass(frozen=True)
class WorkspaceChanges(Changes):
    friendly_name: Any = UNSET
    event_callback_url: Any = UNSET
    events_filter: Any = UNSET
    multi_task_enabled: Any = UNSET
    default_activity_sid: Any = UNSET
    timeout_activity_sid: Any = UNSET
    prioritize_queue_order: Any = UNSET


def _set_callback_cursor(conn: Connection, workspace_sid: str, url: str | None) -> None:
    """Start callbacks from the current end of the log: a new URL gets new events only."""
    callback_store.stop(conn, workspace_sid)
    if url:
        callback_store.start(conn, workspace_sid, event_store.head(conn, workspace_sid))


def _announce(
    conn: Connection, workspace: WorkspaceRecord, caller: Caller, now: int, verb: str
) -> None:
    """Append `workspace.<verb>`, "Workspace <name> <verb>", to the workspace's log."""
    description = f"Workspace {workspace.friendly_name} {verb}"
    emit(conn, workspace, caller, now, ev.NewEvent(f"workspace.{verb}", workspace.sid, description))


class WorkspaceService(RoutingService):
    async def create(self, caller: Caller, spec: NewWorkspace) -> WorkspaceRecord:
        check_friendly_name(spec.friendly_name)
        if spec.template not in template.TEMPLATES:
            raise InvalidParameter(f"Template must be NONE or FIFO, got {spec.template!r}")
        url = check_callback_url(
            spec.event_callback_url, "EventCallbackUrl", self._deps.callback_rules
        )
        events_filter = ev.parse_events_filter(spec.events_filter) if spec.events_filter else None
        now = self._clock.now_ms()
        sid = new_sid(Prefix.WORKSPACE)

        def unit(conn: Connection) -> WorkspaceRecord:
            store.insert_workspace(
                conn,
                {
                    "sid": sid,
                    "account_sid": caller.account_sid,
                    "friendly_name": spec.friendly_name,
                    "event_callback_url": url,
                    "events_filter": events_filter,
                    "multi_task_enabled": spec.multi_task_enabled,
                    "prioritize_queue_order": spec.prioritize_queue_order,
                    "event_seq": 0,
                    "date_created": now,
                    "date_updated": now,
                },
            )
            _set_callback_cursor(conn, sid, url)
            offline = self._create_defaults(conn, caller.account_sid, sid, now)
            store.update_workspace(
                conn, sid, {"default_activity_sid": offline, "timeout_activity_sid": offline}
            )
            if spec.template == "FIFO":
                self._create_fifo(conn, caller.account_sid, sid, now)
            workspace = workspace_or_404(conn, caller, sid)
            _announce(conn, workspace, caller, now, "created")
            return workspace

        return await self._write(sid, unit)

    def _create_defaults(self, conn: Connection, account_sid: str, ws: str, now: int) -> str:
        default_activity = ""
        for name, available in template.DEFAULT_ACTIVITIES:
            sid = new_sid(Prefix.ACTIVITY)
            activity_store.insert_activity(
                conn,
                resource_row(sid, account_sid, ws, now, friendly_name=name, available=available),
            )
            if name == template.DEFAULT_ACTIVITY:
                default_activity = sid
        for unique_name, friendly_name in template.DEFAULT_TASK_CHANNELS:
            channel_store.insert_channel(
                conn,
                resource_row(
                    new_sid(Prefix.TASK_CHANNEL),
                    account_sid,
                    ws,
                    now,
                    friendly_name=friendly_name,
                    unique_name=unique_name,
                    channel_optimized_routing=None,
                ),
            )
        return default_activity

    def _create_fifo(self, conn: Connection, account_sid: str, ws: str, now: int) -> None:
        queue_sid = new_sid(Prefix.TASK_QUEUE)
        queue_store.insert_queue(
            conn,
            resource_row(
                queue_sid,
                account_sid,
                ws,
                now,
                friendly_name=template.FIFO_QUEUE_NAME,
                target_workers=template.DEFAULT_TARGET_WORKERS,
                max_reserved_workers=1,
                task_order="FIFO",
                reservation_activity_sid=None,
                assignment_activity_sid=None,
            ),
        )
        workflow_store.insert_workflow(
            conn,
            resource_row(
                new_sid(Prefix.WORKFLOW),
                account_sid,
                ws,
                now,
                friendly_name=template.FIFO_WORKFLOW_NAME,
                configuration=fifo_configuration(queue_sid),
                assignment_callback_url=None,
                fallback_assignment_callback_url=None,
                task_reservation_timeout=template.DEFAULT_RESERVATION_TIMEOUT,
            ),
        )

    async def fetch(self, caller: Caller, sid: str) -> WorkspaceRecord:
        return await self._read(lambda conn: workspace_or_404(conn, caller, sid))

    async def list(
        self, caller: Caller, friendly_name: str | None, page: PageRequest
    ) -> PageResult[WorkspaceRecord]:
        query = store.list_query(caller.account_sid, friendly_name)
        return await self._scan(
            lambda conn: fetch_page(conn, query, store.SORT, page, read=store.record)
        )

    async def update(self, caller: Caller, sid: str, changes: WorkspaceChanges) -> WorkspaceRecord:
        values = changes.given()
        if "friendly_name" in values:
            check_friendly_name(values["friendly_name"])
        if "event_callback_url" in values:
            values["event_callback_url"] = check_callback_url(
                values["event_callback_url"], "EventCallbackUrl", self._deps.callback_rules
            )
        if "events_filter" in values:
            raw = values["events_filter"]
            values["events_filter"] = ev.parse_events_filter(raw) if raw else None
        now = self._clock.now_ms()

        def unit(conn: Connection) -> WorkspaceRecord:
            before = store.lock(conn, caller.account_sid, sid)
            if before is None:
                raise not_found(f"/Workspaces/{sid}")
            for key in ("default_activity_sid", "timeout_activity_sid"):
                if key in values and activity_store.get(conn, sid, values[key]) is None:
                    raise InvalidParameter(
                        f"{_param(key)} {values[key]} is not an Activity of workspace {sid}"
                    )
            if all(getattr(before, key) == value for key, value in values.items()):
                return before
            store.update_workspace(conn, sid, {**values, "date_updated": now})
            if (
                "event_callback_url" in values
                and values["event_callback_url"] != before.event_callback_url
            ):
                _set_callback_cursor(conn, sid, values["event_callback_url"])
            workspace = workspace_or_404(conn, caller, sid)
            _announce(conn, workspace, caller, now, "updated")
            return workspace

        return await self._write(sid, unit)

    async def delete(self, caller: Caller, sid: str) -> None:
        now = self._clock.now_ms()

        def unit(conn: Connection) -> None:
            workspace = workspace_or_404(conn, caller, sid)
            # The deletion is the last entry of the workspace's log; the log itself is kept,
            # as the verbatim record the conversation projection is built from.
            _announce(conn, workspace, caller, now, "deleted")
            callback_store.stop(conn, sid)
            store.retire(conn, workspace, event_store.head(conn, sid), now)
            store.delete_workspace(conn, sid)

        await self._write(sid, unit)


def _param(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_"))
