"""The task state machine.

    pending ──reserve──> reserved ──accept──> assigned ──wrap──> wrapping ──complete──> completed
       ^                    │                    └──────────────complete───────────────────^
       └──reject/timeout────┘
    pending | reserved ──cancel──> canceled

Through the Tasks resource a client may only cancel, wrap or complete (with an optional
`Reason`); reserving and assigning are done by routing through reservations.
"""

from __future__ import annotations

from enum import StrEnum

from hindsight.domain.errors import InvalidParameter


class TaskStatus(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    WRAPPING = "wrapping"
    COMPLETED = "completed"
    CANCELED = "canceled"


TERMINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELED})
# Statuses of a task that is still being worked on.
ACTIVE = frozenset(
    {TaskStatus.PENDING, TaskStatus.RESERVED, TaskStatus.ASSIGNED, TaskStatus.WRAPPING}
)
# Statuses a task can be routed in: it still waits for a worker.
ROUTABLE = frozenset({TaskStatus.PENDING, TaskStatus.RESERVED})

# Which statuses the Tasks resource's AssignmentStatus parameter may move a task to, and from where.
_API_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.CANCELED: frozenset({TaskStatus.PENDING, TaskStatus.RESERVED}),
    TaskStatus.WRAPPING: frozenset({TaskStatus.ASSIGNED}),
    TaskStatus.COMPLETED: frozenset({TaskStatus.ASSIGNED, TaskStatus.WRAPPING}),
}

# Transitions routing makes (reservations); used by the routing engine.
_ROUTING_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.RESERVED: frozenset({TaskStatus.PENDING}),
    TaskStatus.PENDING: frozenset({TaskStatus.RESERVED}),
    TaskStatus.ASSIGNED: frozenset({TaskStatus.RESERVED, TaskStatus.PENDING}),
}

# The event each status change appends.
EVENT_FOR_STATUS: dict[TaskStatus, str] = {
    TaskStatus.CANCELED: "task.canceled",
    TaskStatus.WRAPPING: "task.wrapup",
    TaskStatus.COMPLETED: "task.completed",
}


def parse_status(value: str, parameter: str = "AssignmentStatus") -> TaskStatus:
    try:
        return TaskStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in TaskStatus)
        raise InvalidParameter(f"{parameter} must be one of {allowed}; got {value!r}") from None


def check_api_transition(current: TaskStatus, requested: TaskStatus) -> None:
    """Raise unless a client may move a task from `current` to `requested`."""
    allowed_from = _API_TRANSITIONS.get(requested)
    if allowed_from is None:
        settable = ", ".join(sorted(s.value for s in _API_TRANSITIONS))
        raise InvalidParameter(
            f"AssignmentStatus can only be set to {settable}; "
            f"'{requested.value}' is reached through routing"
        )
    if current not in allowed_from:
        sources = " or ".join(sorted(s.value for s in allowed_from))
        raise InvalidParameter(
            f"Cannot move a task from '{current.value}' to '{requested.value}': "
            f"only a {sources} task can become {requested.value}"
        )


def check_routing_transition(current: TaskStatus, target: TaskStatus) -> None:
    if current not in _ROUTING_TRANSITIONS.get(target, frozenset()):
        raise InvalidParameter(
            f"Routing cannot move a task from '{current.value}' to '{target.value}'"
        )
