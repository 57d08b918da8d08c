"""TaskRouter events: the catalogue of event types and the fields each carries.

An event's data is one flat mapping of snake_case names to strings, exactly as the Events
resource shows it in `event_data` (`task_sid`, `task_attributes`, `worker_activity_name`, ...).
The same mapping, with the names in PascalCase, is what an EventCallbackUrl receives
(`TaskSid`, `TaskAttributes`, `WorkerActivityName`, ...). Keeping one representation means the
log, the API and the callbacks can never disagree.

Dates inside event data are epoch seconds, as TaskRouter sends them in callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hindsight.domain.errors import InvalidParameter

# Every event type TaskRouter documents, with the resource type it concerns.
EVENT_TYPES: dict[str, str] = {
    "activity.created": "activity",
    "activity.updated": "activity",
    "activity.deleted": "activity",
    "reservation.created": "reservation",
    "reservation.accepted": "reservation",
    "reservation.rejected": "reservation",
    "reservation.timeout": "reservation",
    "reservation.canceled": "reservation",
    "reservation.rescinded": "reservation",
    "reservation.completed": "reservation",
    "reservation.failed": "reservation",
    "reservation.wrapup": "reservation",
    "task.created": "task",
    "task.updated": "task",
    "task.canceled": "task",
    "task.wrapup": "task",
    "task.completed": "task",
    "task.deleted": "task",
    "task.system-deleted": "task",
    "task.transfer-initiated": "task",
    "task.transfer-attempt-failed": "task",
    "task.transfer-failed": "task",
    "task.transfer-canceled": "task",
    "task.transfer-completed": "task",
    "task-channel.created": "task_channel",
    "task-channel.updated": "task_channel",
    "task-channel.deleted": "task_channel",
    "task-queue.created": "task_queue",
    "task-queue.deleted": "task_queue",
    "task-queue.entered": "task",
    "task-queue.timeout": "task",
    "task-queue.moved": "task",
    "task-queue.expression.updated": "task_queue",
    "worker.created": "worker",
    "worker.activity.update": "worker",
    "worker.attributes.update": "worker",
    "worker.capacity.update": "worker",
    "worker.channel.availability.update": "worker",
    "worker.deleted": "worker",
    "workflow.created": "workflow",
    "workflow.updated": "workflow",
    "workflow.deleted": "workflow",
    "workflow.target-matched": "task",
    "workflow.entered": "task",
    "workflow.timeout": "task",
    "workflow.skipped": "task",
    "workspace.created": "workspace",
    "workspace.updated": "workspace",
    "workspace.deleted": "workspace",
}


@dataclass(frozen=True)
class Actor:
    """Who caused an event: an API credential, or the workspace itself (timers, routing)."""

    actor_type: str
    actor_sid: str


@dataclass(frozen=True)
class NewEvent:
    event_type: str
    resource_sid: str
    description: str
    data: dict[str, str] = field(default_factory=dict)
    # When it happened, if later than the moment its batch is logged with (see `_reserve`).
    at_ms: int | None = None

    @property
    def resource_type(self) -> str:
        return EVENT_TYPES[self.event_type]


def parse_events_filter(value: str) -> str | None:
    """Validate a workspace's EventsFilter (comma-separated event types); None means all."""
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        return None
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise InvalidParameter(
            f"EventsFilter names unknown event type {unknown[0]!r}; "
            "see the TaskRouter event reference for the list"
        )
    return ",".join(names)


def passes_filter(events_filter: str | None, event_type: str) -> bool:
    return events_filter is None or event_type in events_filter.split(",")


def _s(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _seconds(epoch_ms: int | None) -> str | None:
    return None if epoch_ms is None else str(epoch_ms // 1000)


def _clean(fields: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in fields.items() if value is not None}


def workspace_fields(sid: str, friendly_name: str) -> dict[str, str]:
    return {"workspace_sid": sid, "workspace_name": friendly_name}


def task_fields(task: Mapping[str, Any], now_ms: int) -> dict[str, str]:
    status = task["assignment_status"]
    return _clean(
        {
            "task_sid": task["sid"],
            "task_attributes": task["attributes"],
            "task_age": str(max(0, (now_ms - task["date_created"]) // 1000)),
            "task_priority": _s(task["priority"]),
            "task_assignment_status": status,
            "task_canceled_reason": task["reason"] if status == "canceled" else None,
            "task_completed_reason": task["reason"] if status == "completed" else None,
            "task_version": _s(task["version"]),
            "task_timeout": _s(task["timeout"]),
            "task_channel_sid": task["task_channel_sid"],
            "task_channel_unique_name": task.get("task_channel_unique_name"),
            "task_queue_sid": task["task_queue_sid"],
            "task_queue_name": task.get("task_queue_friendly_name"),
            "task_queue_entered_date": _seconds(task["task_queue_entered_date"]),
            "task_date_created": _seconds(task["date_created"]),
            "task_virtual_start_time": _seconds(task["virtual_start_time"]),
            "task_routing_target": task["routing_target"],
            "task_ignore_capacity": _s(task["ignore_capacity"]),
            "workflow_sid": task["workflow_sid"],
            "workflow_name": task.get("workflow_friendly_name"),
        }
    )


def worker_fields(worker: Mapping[str, Any]) -> dict[str, str]:
    return _clean(
        {
            "worker_sid": worker["sid"],
            "worker_name": worker["friendly_name"],
            "worker_attributes": worker["attributes"],
            "worker_activity_sid": worker["activity_sid"],
            "worker_activity_name": worker.get("activity_name"),
            "worker_version": _s(worker["version"]),
        }
    )


def worker_activity_change_fields(
    previous_activity_sid: str, previous_activity_name: str, previous_since_ms: int, now_ms: int
) -> dict[str, str]:
    elapsed_ms = max(0, now_ms - previous_since_ms)
    return {
        "worker_previous_activity_sid": previous_activity_sid,
        "worker_previous_activity_name": previous_activity_name,
        "worker_time_in_previous_activity": str(elapsed_ms // 1000),
        "worker_time_in_previous_activity_ms": str(elapsed_ms),
    }


def worker_channel_fields(
    channel: Mapping[str, Any], previous_capacity: int | None, task_count: int
) -> dict[str, str]:
    capacity = channel["configured_capacity"]
    return _clean(
        {
            "task_channel_sid": channel["task_channel_sid"],
            "task_channel_unique_name": channel.get("task_channel_unique_name"),
            "worker_channel_available": _s(channel["available"]),
            "worker_channel_available_capacity": str(max(0, capacity - task_count)),
            "worker_channel_capacity": str(capacity),
            "worker_channel_previous_capacity": _s(previous_capacity),
            "worker_channel_task_count": str(task_count),
        }
    )


def activity_fields(activity: Mapping[str, Any]) -> dict[str, str]:
    return {
        "activity_sid": activity["sid"],
        "activity_name": activity["friendly_name"],
        "activity_available": _s(activity["available"]) or "false",
    }


def task_channel_fields(channel: Mapping[str, Any]) -> dict[str, str]:
    return _clean(
        {
            "task_channel_sid": channel["sid"],
            "task_channel_name": channel["friendly_name"],
            "task_channel_unique_name": channel["unique_name"],
            "task_channel_optimized_routing": _s(channel["channel_optimized_routing"]),
        }
    )


def task_queue_fields(queue: Mapping[str, Any]) -> dict[str, str]:
    return _clean(
        {
            "task_queue_sid": queue["sid"],
            "task_queue_name": queue["friendly_name"],
            "task_queue_target_expression": queue["target_workers"],
        }
    )


def workflow_fields(workflow: Mapping[str, Any]) -> dict[str, str]:
    return {"workflow_sid": workflow["sid"], "workflow_name": workflow["friendly_name"]}


def pascal_case(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def snake_case(pascal: str) -> str:
    """The inverse of `pascal_case`: `TaskQueueSid` → `task_queue_sid`, as callbacks name fields.

    Every capital starts a word, so `snake_case(pascal_case(name)) == name` for every snake_case
    name whose words start with a letter.
    """
    out: list[str] = []
    for index, char in enumerate(pascal):
        if char.isupper():
            if index:
                out.append("_")
            out.append(char.lower())
        else:
            out.append(char)
    return "".join(out)


def callback_form(
    *,
    sid: str,
    event_type: str,
    account_sid: str,
    workspace_sid: str,
    description: str,
    resource_type: str,
    resource_sid: str,
    event_ms: int,
    data: Mapping[str, str],
) -> dict[str, str]:
    """The form parameters an EventCallbackUrl receives for one event."""
    form = {pascal_case(name): value for name, value in data.items()}
    form.update(
        {
            "Sid": sid,
            "EventType": event_type,
            "AccountSid": account_sid,
            "WorkspaceSid": workspace_sid,
            "EventDescription": description,
            "ResourceType": resource_type,
            "ResourceSid": resource_sid,
            "Timestamp": str(event_ms // 1000),
            "TimestampMs": str(event_ms),
        }
    )
    return form
