"""What the router must look at after events: which tasks to route, which workers to match.

Routing follows the event log. A task needs routing when it arrives in a queue or an offer of
it ends unanswered; a worker needs matching when it may have gained room (activity, capacity,
channel, attributes, or a reservation that ended). Working from the log makes routing resume
exactly where it left off after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TASK_TRIGGERS = frozenset(
    {
        "task.created",
        "task.updated",
        "task-queue.entered",
        "task-queue.moved",
        "reservation.rejected",
        "reservation.timeout",
    }
)
WORKER_TRIGGERS = frozenset(
    {
        "worker.created",
        "worker.activity.update",
        "worker.attributes.update",
        "worker.capacity.update",
        "worker.channel.availability.update",
        "reservation.completed",
        "reservation.rejected",
        "reservation.timeout",
        "reservation.canceled",
        "reservation.rescinded",
    }
)


@dataclass
class RoutingWork:
    tasks: list[str] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tasks or self.workers)


def work_for(events: Iterable[tuple[str, Mapping[str, str]]]) -> RoutingWork:
    """(event type, event data) in log order → the tasks and workers to look at, each once."""
    work = RoutingWork()
    seen_tasks: set[str] = set()
    seen_workers: set[str] = set()
    for event_type, data in events:
        task = data.get("task_sid")
        if event_type == "task.updated" and data.get("task_assignment_status") != "pending":
            # A change to a task that is reserved, assigned or done routes nothing: only a
            # waiting task can be offered, and a reserved one waits again only through a
            # reservation ending, which is a trigger of its own.
            task = None
        if event_type in TASK_TRIGGERS and task and task not in seen_tasks:
            seen_tasks.add(task)
            work.tasks.append(task)
        worker = data.get("worker_sid")
        if event_type in WORKER_TRIGGERS and worker and worker not in seen_workers:
            seen_workers.add(worker)
            work.workers.append(worker)
    return work
