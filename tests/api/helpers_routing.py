"""Helpers for the routing scenarios: a workspace set up for routing, and ways to watch it.

Everything goes through the official helper library. Routing is asynchronous (the router
follows the event log, timers tick every 0.2 s), so the helpers poll for what routing should
do instead of sleeping for a fixed time.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from twilio.rest import Client

from tests.api.helpers_tasks import header
from tests.support.waiting import wait_for

T = TypeVar("T")

# The events a task logs when it is created with a workflow and lands in its first target.
ENTERED = ["task.created", "workflow.entered", "workflow.target-matched", "task-queue.entered"]


def ms_tick() -> None:
    """Wait until the wall clock has moved to the next millisecond (distinct creation times)."""
    start = time.time_ns() // 1_000_000
    wait_for(
        lambda: time.time_ns() // 1_000_000 > start, "the next millisecond", 1.0, interval=0.0005
    )


def etag(response: Any) -> str:
    value = header(response.headers, "ETag")
    assert value, response.headers
    return value


@dataclass
class Floor:
    """A workspace prepared for routing scenarios, with its default activities at hand."""

    client: Client
    sid: str
    available: str
    offline: str
    unavailable: str
    timeout_activity: str

    @property
    def api(self) -> Any:
        return self.client.taskrouter.v1.workspaces(self.sid)

    # --- configuration ------------------------------------------------------------------

    def queue(self, name: str, target_workers: str = "1==1", **fields: Any) -> Any:
        return self.api.task_queues.create(
            friendly_name=name, target_workers=target_workers, **fields
        )

    def workflow(
        self,
        name: str,
        filters: list[dict[str, Any]] | None = None,
        default_queue: str | None = None,
        reservation_timeout: int | None = None,
    ) -> Any:
        routing: dict[str, Any] = {"filters": filters or []}
        if default_queue is not None:
            routing["default_filter"] = {"queue": default_queue}
        fields: dict[str, Any] = {}
        if reservation_timeout is not None:
            fields["task_reservation_timeout"] = reservation_timeout
        return self.api.workflows.create(
            friendly_name=name,
            configuration=json.dumps({"task_routing": routing}),
            **fields,
        )

    def worker(self, name: str, available: bool = True, **attributes: Any) -> Any:
        fields: dict[str, Any] = {"attributes": json.dumps(attributes)}
        if available:
            fields["activity_sid"] = self.available
        return self.api.workers.create(friendly_name=name, **fields)

    def set_activity(self, worker_sid: str, activity_sid: str) -> Any:
        return self.api.workers(worker_sid).update(activity_sid=activity_sid)

    def channel(self, worker_sid: str, unique_name: str) -> Any:
        (found,) = [
            c
            for c in self.api.workers(worker_sid).worker_channels.list()
            if c.task_channel_unique_name == unique_name
        ]
        return found

    def task(self, workflow_sid: str, **attributes: Any) -> Any:
        return self.api.tasks.create(workflow_sid=workflow_sid, attributes=json.dumps(attributes))

    def status(self, task_sid: str) -> str:
        return self.api.tasks(task_sid).fetch().assignment_status

    def worker_activity(self, worker_sid: str) -> str:
        return self.api.workers(worker_sid).fetch().activity_name

    # --- events -------------------------------------------------------------------------

    def events(self, **filters: Any) -> list[Any]:
        """Matching events in log order (the resource lists newest first)."""
        return list(reversed(self.api.events.list(**filters)))

    def task_events(self, task_sid: str) -> list[Any]:
        return self.events(task_sid=task_sid)

    def task_event_types(self, task_sid: str) -> list[str]:
        return [e.event_type for e in self.task_events(task_sid)]

    def wait_task_events(self, task_sid: str, last: str, count: int = 1) -> list[Any]:
        """The task's events, once `last` has been logged `count` times for it."""

        def probe() -> list[Any] | None:
            found = self.task_events(task_sid)
            return found if [e.event_type for e in found].count(last) >= count else None

        return wait_for(probe, f"{count} x {last} for {task_sid}")

    # --- reservations -------------------------------------------------------------------

    def reservations(self, task_sid: str, **filters: Any) -> list[Any]:
        return list(self.api.tasks(task_sid).reservations.list(**filters))

    def pending(self, task_sid: str, count: int = 1) -> list[Any]:
        """Wait for `count` pending reservations of a task; returns them, oldest first."""

        def probe() -> list[Any] | None:
            found = self.reservations(task_sid, reservation_status="pending")
            return found if len(found) >= count else None

        found = wait_for(probe, f"{count} pending reservation(s) of {task_sid}")
        assert len(found) == count, [r.worker_name for r in found]
        return found

    def pending_one(self, task_sid: str) -> Any:
        (reservation,) = self.pending(task_sid)
        return reservation

    def answer(self, reservation: Any, **fields: Any) -> Any:
        return self.api.tasks(reservation.task_sid).reservations(reservation.sid).update(**fields)


def floor(client: Client, name: str = "Routing", **fields: Any) -> Floor:
    """A new workspace (no queues, no workflows) and its default activities."""
    workspace = client.taskrouter.v1.workspaces.create(friendly_name=name, **fields)
    by_name = {
        a.friendly_name: a.sid
        for a in client.taskrouter.v1.workspaces(workspace.sid).activities.list()
    }
    return Floor(
        client=client,
        sid=workspace.sid,
        available=by_name["Available"],
        offline=by_name["Offline"],
        unavailable=by_name["Unavailable"],
        timeout_activity=workspace.timeout_activity_sid,
    )


def data(event: Any) -> dict[str, Any]:
    """An event's data (the helper library hands it over as a dict)."""
    value = event.event_data
    return json.loads(value) if isinstance(value, str) else dict(value)


def summary(events: list[Any]) -> list[tuple[str, str | None]]:
    """(event type, worker name) per event: who each reservation event was about."""
    return [(e.event_type, data(e).get("worker_name")) for e in events]
