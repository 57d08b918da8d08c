"""TaskRouter resources as JSON, with Twilio's field names, dates, `url` and `links`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import orjson

from hindsight.domain.timefmt import iso8601
from hindsight.routing.activities import ActivityRecord
from hindsight.routing.events import EventRecord
from hindsight.routing.reservations import ReservationRecord
from hindsight.routing.task_channels import TaskChannelRecord
from hindsight.routing.task_queues import TaskQueueRecord
from hindsight.routing.tasks import TaskRecord
from hindsight.routing.workers import WorkerChannelRecord, WorkerRecord
from hindsight.routing.workflows import WorkflowRecord
from hindsight.routing.workspaces import WorkspaceRecord


def workspace_url(base: str, ws: str) -> str:
    return f"{base}/v1/Workspaces/{ws}"


def workspace(base: str, ws: WorkspaceRecord) -> dict[str, Any]:
    url = workspace_url(base, ws.sid)
    return {
        "account_sid": ws.account_sid,
        "date_created": iso8601(ws.date_created),
        "date_updated": iso8601(ws.date_updated),
        "default_activity_name": ws.default_activity_name,
        "default_activity_sid": ws.default_activity_sid,
        "event_callback_url": ws.event_callback_url,
        # Hindsight's addition: why the last delivery to the URL failed (None when it did not).
        "event_callback_error": ws.event_callback_error,
        "events_filter": ws.events_filter,
        "friendly_name": ws.friendly_name,
        "links": {
            name: f"{url}/{path}"
            for name, path in (
                ("activities", "Activities"),
                ("statistics", "Statistics"),
                ("real_time_statistics", "RealTimeStatistics"),
                ("cumulative_statistics", "CumulativeStatistics"),
                ("task_queues", "TaskQueues"),
                ("tasks", "Tasks"),
                ("workers", "Workers"),
                ("workflows", "Workflows"),
                ("task_channels", "TaskChannels"),
                ("events", "Events"),
            )
        },
        "multi_task_enabled": ws.multi_task_enabled,
        "prioritize_queue_order": ws.prioritize_queue_order,
        "sid": ws.sid,
        "timeout_activity_name": ws.timeout_activity_name,
        "timeout_activity_sid": ws.timeout_activity_sid,
        "url": url,
    }


class _Resource(Protocol):
    """What every workspace resource has."""

    @property
    def sid(self) -> str: ...
    @property
    def account_sid(self) -> str: ...
    @property
    def workspace_sid(self) -> str: ...
    @property
    def date_created(self) -> int: ...
    @property
    def date_updated(self) -> int: ...


def _resource(r: _Resource) -> dict[str, Any]:
    """The fields every workspace resource shows."""
    return {
        "account_sid": r.account_sid,
        "date_created": iso8601(r.date_created),
        "date_updated": iso8601(r.date_updated),
        "sid": r.sid,
        "workspace_sid": r.workspace_sid,
    }


def _statistics_links(url: str) -> dict[str, str]:
    return {
        "statistics": f"{url}/Statistics",
        "real_time_statistics": f"{url}/RealTimeStatistics",
        "cumulative_statistics": f"{url}/CumulativeStatistics",
    }


def activity(base: str, r: ActivityRecord) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    return {
        **_resource(r),
        "available": r.available,
        "friendly_name": r.friendly_name,
        "url": f"{ws_url}/Activities/{r.sid}",
        "links": {"workspace": ws_url},
    }


def task_channel(base: str, r: TaskChannelRecord) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    return {
        **_resource(r),
        "friendly_name": r.friendly_name,
        "unique_name": r.unique_name,
        "url": f"{ws_url}/TaskChannels/{r.sid}",
        "channel_optimized_routing": r.channel_optimized_routing,
        "links": {"workspace": ws_url},
    }


def task_queue(base: str, r: TaskQueueRecord) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    url = f"{ws_url}/TaskQueues/{r.sid}"
    links = {
        "workspace": ws_url,
        **_statistics_links(url),
        "list_statistics": f"{ws_url}/TaskQueues/Statistics",
        "bulk_real_time_statistics": f"{ws_url}/TaskQueues/RealTimeStatistics",
    }
    if r.assignment_activity_sid:
        links["assignment_activity"] = f"{ws_url}/Activities/{r.assignment_activity_sid}"
    if r.reservation_activity_sid:
        links["reservation_activity"] = f"{ws_url}/Activities/{r.reservation_activity_sid}"
    return {
        **_resource(r),
        "assignment_activity_name": r.assignment_activity_name,
        "assignment_activity_sid": r.assignment_activity_sid,
        "friendly_name": r.friendly_name,
        "max_reserved_workers": r.max_reserved_workers,
        "links": links,
        "reservation_activity_name": r.reservation_activity_name,
        "reservation_activity_sid": r.reservation_activity_sid,
        "target_workers": r.target_workers,
        "task_order": r.task_order,
        "url": url,
    }


def workflow(base: str, r: WorkflowRecord) -> dict[str, Any]:
    url = f"{workspace_url(base, r.workspace_sid)}/Workflows/{r.sid}"
    return {
        **_resource(r),
        "assignment_callback_url": r.assignment_callback_url,
        "configuration": r.configuration,
        "document_content_type": "application/json",
        "fallback_assignment_callback_url": r.fallback_assignment_callback_url,
        "friendly_name": r.friendly_name,
        "task_reservation_timeout": r.task_reservation_timeout,
        "url": url,
        "links": _statistics_links(url),
    }


def worker(base: str, r: WorkerRecord) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    url = f"{ws_url}/Workers/{r.sid}"
    return {
        **_resource(r),
        "activity_name": r.activity_name,
        "activity_sid": r.activity_sid,
        "attributes": r.attributes,
        "available": r.available,
        "date_status_changed": iso8601(r.date_status_changed),
        "friendly_name": r.friendly_name,
        "url": url,
        "links": {
            "channels": f"{url}/Channels",
            "activity": f"{ws_url}/Activities/{r.activity_sid}",
            "workspace": ws_url,
            **_statistics_links(f"{ws_url}/Workers"),
            "worker_statistics": f"{url}/Statistics",
            "worker_channels": f"{url}/Channels",
            "reservations": f"{url}/Reservations",
        },
    }


def worker_channel(base: str, r: WorkerChannelRecord) -> dict[str, Any]:
    capacity = r.configured_capacity
    free = max(0, capacity - r.assigned_tasks)
    return {
        **_resource(r),
        "assigned_tasks": r.assigned_tasks,
        "available": r.available,
        "available_capacity_percentage": (free * 100 // capacity) if capacity else 0,
        "configured_capacity": capacity,
        "task_channel_sid": r.task_channel_sid,
        "task_channel_unique_name": r.task_channel_unique_name,
        "url": f"{workspace_url(base, r.workspace_sid)}/Workers/{r.worker_sid}/Channels/{r.sid}",
        "worker_sid": r.worker_sid,
    }


def task(base: str, r: TaskRecord, now_ms: int) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    url = f"{ws_url}/Tasks/{r.sid}"
    links = {"workspace": ws_url, "reservations": f"{url}/Reservations"}
    if r.task_queue_sid:
        links["task_queue"] = f"{ws_url}/TaskQueues/{r.task_queue_sid}"
    if r.workflow_sid:
        links["workflow"] = f"{ws_url}/Workflows/{r.workflow_sid}"
    return {
        **_resource(r),
        "age": max(0, (now_ms - r.date_created) // 1000),
        "assignment_status": r.assignment_status,
        "attributes": r.attributes,
        "addons": r.addons,
        "task_queue_entered_date": iso8601(r.task_queue_entered_date),
        "priority": r.priority,
        "reason": r.reason,
        "task_queue_sid": r.task_queue_sid,
        "task_queue_friendly_name": r.task_queue_friendly_name,
        "task_channel_sid": r.task_channel_sid,
        "task_channel_unique_name": r.task_channel_unique_name,
        "timeout": r.timeout,
        "workflow_sid": r.workflow_sid,
        "workflow_friendly_name": r.workflow_friendly_name,
        "url": url,
        "links": links,
        "virtual_start_time": iso8601(r.virtual_start_time),
        "ignore_capacity": r.ignore_capacity,
        "routing_target": r.routing_target,
    }


_RESOURCE_PATHS = {
    "WK": "Workers",
    "WT": "Tasks",
    "WR": "Reservations",
    "WQ": "TaskQueues",
    "WW": "Workflows",
    "WA": "Activities",
    "TC": "TaskChannels",
}


def _resource_url(ws_url: str, sid: str | None, data: Mapping[str, str]) -> str | None:
    if not sid:
        return None
    prefix = sid[:2]
    if prefix == "WS":
        return ws_url
    if prefix == "WR" and data.get("task_sid"):
        return f"{ws_url}/Tasks/{data['task_sid']}/Reservations/{sid}"
    path = _RESOURCE_PATHS.get(prefix)
    return f"{ws_url}/{path}/{sid}" if path else None


def _actor_url(ws_url: str, actor_sid: str | None) -> str | None:
    # Credentials (AC, SK) have no TaskRouter URL; workspace resources do.
    if not actor_sid or actor_sid.startswith(("AC", "SK")):
        return None
    return _resource_url(ws_url, actor_sid, {})


def event(base: str, r: EventRecord) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    data = orjson.loads(r.event_data)
    return {
        "account_sid": r.account_sid,
        "actor_sid": r.actor_sid,
        "actor_type": r.actor_type,
        "actor_url": _actor_url(ws_url, r.actor_sid),
        "description": r.description,
        "event_data": data,
        "event_date": iso8601(r.event_date_ms),
        "event_date_ms": r.event_date_ms,
        "event_type": r.event_type,
        "resource_sid": r.resource_sid,
        "resource_type": r.resource_type,
        "resource_url": _resource_url(ws_url, r.resource_sid, data),
        "sid": r.sid,
        "source": r.source,
        "source_ip_address": r.source_ip_address,
        "url": f"{ws_url}/Events/{r.sid}",
        "workspace_sid": r.workspace_sid,
    }


def reservation(base: str, r: ReservationRecord, through_worker: bool) -> dict[str, Any]:
    ws_url = workspace_url(base, r.workspace_sid)
    task_url = f"{ws_url}/Tasks/{r.task_sid}"
    worker_url = f"{ws_url}/Workers/{r.worker_sid}"
    parent = worker_url if through_worker else task_url
    return {
        **_resource(r),
        "reservation_status": r.reservation_status,
        "task_sid": r.task_sid,
        "worker_name": r.worker_name,
        "worker_sid": r.worker_sid,
        "url": f"{parent}/Reservations/{r.sid}",
        "links": {"task": task_url, "worker": worker_url, "workspace": ws_url},
    }
