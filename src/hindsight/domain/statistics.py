"""TaskRouter statistics: the arithmetic, from task rows and logged events to figures.

Real-time figures describe the current state (tasks still being worked on, workers and their
activities); cumulative figures count what the event log recorded in a time window. Where
TaskRouter's documentation leaves a figure's meaning open, the choice made is written here.

Every duration is in whole seconds, as TaskRouter reports them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.task_lifecycle import ACTIVE, ROUTABLE, TaskStatus

DEFAULT_MINUTES = 15
MAX_THRESHOLDS = 100
# The statuses TaskRouter reports in tasks_by_status: those of tasks still being worked on.
# Finished tasks (completed, canceled) are history, counted by the cumulative figures.
REPORTED_STATUSES: tuple[str, ...] = (
    TaskStatus.PENDING.value,
    TaskStatus.RESERVED.value,
    TaskStatus.ASSIGNED.value,
    TaskStatus.WRAPPING.value,
)
_ACTIVE = frozenset(s.value for s in ACTIVE)
_WAITING = frozenset(s.value for s in ROUTABLE)

# Which event types mean "a task entered this scope" (counted once per task in a window).
QUEUE_ENTRY = frozenset({"task-queue.entered", "task-queue.moved"})
WORKFLOW_ENTRY = frozenset({"workflow.entered"})

RESERVATION_COUNTS = {
    "reservation.created": "reservations_created",
    "reservation.accepted": "reservations_accepted",
    "reservation.rejected": "reservations_rejected",
    "reservation.timeout": "reservations_timed_out",
    "reservation.canceled": "reservations_canceled",
    "reservation.rescinded": "reservations_rescinded",
}
TASK_COUNTS = {
    "task.created": "tasks_created",
    "task.canceled": "tasks_canceled",
    "task.completed": "tasks_completed",
    "task.deleted": "tasks_deleted",
    "task.system-deleted": "tasks_deleted",
    "task-queue.moved": "tasks_moved",
    "workflow.timeout": "tasks_timed_out_in_workflow",
}
ACTIVITY_CHANGE = "worker.activity.update"
# Every event type the cumulative figures read.
COUNTED_TYPES = frozenset(
    {*RESERVATION_COUNTS, *TASK_COUNTS, *QUEUE_ENTRY, *WORKFLOW_ENTRY, ACTIVITY_CHANGE}
)


# --- the window ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The instants [start_ms, end_ms], both included."""

    start_ms: int
    end_ms: int

    def holds(self, at_ms: int) -> bool:
        return self.start_ms <= at_ms <= self.end_ms


def window(
    now_ms: int,
    *,
    minutes: int | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> Window:
    """The window cumulative figures cover.

    TaskRouter: `Minutes` counts back from now (15 by default) and cannot be combined with
    StartDate or EndDate. A StartDate alone runs to now. An EndDate alone is not described;
    here it closes the default 15 minutes that end at it.
    """
    if minutes is not None:
        if start_ms is not None or end_ms is not None:
            raise InvalidParameter("Minutes cannot be combined with StartDate or EndDate")
        if minutes < 1:
            raise InvalidParameter(f"Minutes must be at least 1, got {minutes}")
    span = (minutes or DEFAULT_MINUTES) * 60_000
    if start_ms is None:
        end = now_ms if end_ms is None else end_ms
        # Nothing is logged before the epoch; clamping keeps a huge Minutes a valid instant.
        return Window(max(0, end - span), end)
    end = now_ms if end_ms is None else end_ms
    if start_ms > end:
        if end_ms is None:
            raise InvalidParameter("StartDate is in the future")
        raise InvalidParameter("StartDate must not be after EndDate")
    return Window(start_ms, end)


def parse_thresholds(text: str) -> tuple[int, ...]:
    """`SplitByWaitTime`: comma-separated whole seconds, such as `20,60`; sorted, unique."""
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise InvalidParameter("SplitByWaitTime must list thresholds in seconds, such as 20,60")
    values: set[int] = set()
    for part in parts:
        if not part.isdigit() or not part.isascii():
            raise InvalidParameter(
                f"SplitByWaitTime must be whole seconds separated by commas; got {part!r}"
            )
        values.add(int(part))
    if len(values) > MAX_THRESHOLDS:
        raise InvalidParameter(f"SplitByWaitTime takes at most {MAX_THRESHOLDS} thresholds")
    return tuple(sorted(values))


# --- real time: tasks -----------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """What the real-time figures need of a task."""

    sid: str
    status: str
    priority: int
    created_ms: int
    queue_entered_ms: int | None = None


@dataclass(frozen=True)
class TaskCounts:
    by_status: dict[str, int]
    by_priority: dict[str, int]
    total: int
    longest_waiting_sid: str | None
    longest_waiting_age: int
    longest_in_queue_sid: str | None
    longest_in_queue_age: int


def _age(now_ms: int, since_ms: int) -> int:
    return max(0, now_ms - since_ms) // 1000


def count_tasks(tasks: Iterable[TaskRow], now_ms: int) -> TaskCounts:
    """The real-time task figures of the tasks still being worked on.

    "Waiting" means not yet accepted (pending or reserved). The longest waiting task is the
    oldest by creation; the longest waiting in the queue, the earliest to enter its queue.
    Finished tasks are left out of every figure.
    """
    by_status = dict.fromkeys(REPORTED_STATUSES, 0)
    by_priority: Counter[int] = Counter()
    oldest: TaskRow | None = None
    earliest_in_queue: TaskRow | None = None
    for task in tasks:
        if task.status not in _ACTIVE:
            continue
        by_status[task.status] += 1
        by_priority[task.priority] += 1
        if task.status not in _WAITING:
            continue
        if oldest is None or (task.created_ms, task.sid) < (oldest.created_ms, oldest.sid):
            oldest = task
        entered = task.queue_entered_ms
        if entered is not None and (
            earliest_in_queue is None
            or (entered, task.sid)
            < (earliest_in_queue.queue_entered_ms or 0, earliest_in_queue.sid)
        ):
            earliest_in_queue = task
    return TaskCounts(
        by_status=by_status,
        by_priority={str(p): n for p, n in sorted(by_priority.items())},
        total=sum(by_status.values()),
        longest_waiting_sid=oldest.sid if oldest else None,
        longest_waiting_age=_age(now_ms, oldest.created_ms) if oldest else 0,
        longest_in_queue_sid=earliest_in_queue.sid if earliest_in_queue else None,
        longest_in_queue_age=(
            _age(now_ms, earliest_in_queue.queue_entered_ms or 0) if earliest_in_queue else 0
        ),
    )


# --- real time: workers ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRef:
    sid: str
    friendly_name: str


@dataclass(frozen=True)
class ActivityCount:
    sid: str
    friendly_name: str
    workers: int


def workers_by_activity(
    activities: Sequence[ActivityRef], worker_activity_sids: Iterable[str]
) -> list[ActivityCount]:
    """How many of the workers are in each activity; every activity is listed, in order."""
    counts = Counter(worker_activity_sids)
    return [ActivityCount(a.sid, a.friendly_name, counts.get(a.sid, 0)) for a in activities]


# --- cumulative -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedEvent:
    """One event of the log as the cumulative figures read it (`data` is its event_data)."""

    event_type: str
    at_ms: int
    task_sid: str | None = None
    worker_sid: str | None = None
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Durations:
    """`avg`, `min`, `max` and `total` of some durations in seconds; all 0 when there are none.

    `avg` is rounded to the nearest second (halves up), as the figures are whole seconds.
    """

    avg: int = 0
    min: int = 0
    max: int = 0
    total: int = 0

    @classmethod
    def of(cls, seconds: Sequence[int]) -> Durations:
        if not seconds:
            return cls()
        total = sum(seconds)
        count = len(seconds)
        return cls(
            avg=(2 * total + count) // (2 * count),
            min=min(seconds),
            max=max(seconds),
            total=total,
        )


@dataclass(frozen=True)
class SplitCounts:
    tasks_canceled: int = 0
    reservations_accepted: int = 0


@dataclass(frozen=True)
class Split:
    """Counts at or under (`below`) and over (`above`) one threshold of seconds waited."""

    threshold: int
    above: SplitCounts
    below: SplitCounts


@dataclass(frozen=True)
class Cumulative:
    reservations_created: int = 0
    reservations_accepted: int = 0
    reservations_rejected: int = 0
    reservations_timed_out: int = 0
    reservations_canceled: int = 0
    reservations_rescinded: int = 0
    tasks_created: int = 0
    tasks_entered: int = 0
    tasks_moved: int = 0
    tasks_canceled: int = 0
    tasks_completed: int = 0
    tasks_deleted: int = 0
    tasks_timed_out_in_workflow: int = 0
    avg_task_acceptance_time: int = 0
    wait_until_accepted: Durations = Durations()
    wait_until_canceled: Durations = Durations()
    wait_in_queue_until_accepted: Durations = Durations()
    split_by_wait_time: tuple[Split, ...] | None = None


def _number(data: Mapping[str, str], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def waited(event: LoggedEvent) -> int | None:
    """Seconds from the task's creation to this event (the `task_age` the event recorded)."""
    age = _number(event.data, "task_age")
    return None if age is None else max(0, age)


def waited_in_queue(event: LoggedEvent) -> int | None:
    """Seconds from the task entering its queue to this event."""
    entered = _number(event.data, "task_queue_entered_date")
    return None if entered is None else max(0, event.at_ms // 1000 - entered)


def split_by_wait_time(
    thresholds: Sequence[int], accepted_waits: Sequence[int], canceled_waits: Sequence[int]
) -> tuple[Split, ...]:
    """For each threshold: canceled tasks and accepted reservations by how long they waited.

    TaskRouter says "above and below" a threshold; a wait equal to it counts as below (within
    the threshold), the way service levels are usually stated ("answered within 20 s").
    """
    splits = []
    for limit in thresholds:
        splits.append(
            Split(
                threshold=limit,
                above=SplitCounts(
                    tasks_canceled=sum(1 for w in canceled_waits if w > limit),
                    reservations_accepted=sum(1 for w in accepted_waits if w > limit),
                ),
                below=SplitCounts(
                    tasks_canceled=sum(1 for w in canceled_waits if w <= limit),
                    reservations_accepted=sum(1 for w in accepted_waits if w <= limit),
                ),
            )
        )
    return tuple(splits)


def cumulative(
    events: Iterable[LoggedEvent],
    *,
    entry_types: frozenset[str] = QUEUE_ENTRY,
    thresholds: Sequence[int] | None = None,
) -> Cumulative:
    """Count what the events (already narrowed to one scope and window) record.

    * Reservations and task endings count their events; `tasks_entered` counts the distinct
      tasks with an `entry_types` event (a task re-entering on an attribute change counts once).
    * `tasks_moved` counts task-queue.moved: for a queue, the tasks moved into it.
    * Waits run from the task's creation to its acceptance or cancellation, one per
      reservation.accepted or task.canceled; `avg_task_acceptance_time` is the average of the
      former. The wait in queue runs from when the task entered its current queue.
    """
    counts: Counter[str] = Counter()
    entered: set[str] = set()
    accepted: list[int] = []
    canceled: list[int] = []
    in_queue: list[int] = []
    for event in events:
        kind = event.event_type
        name = RESERVATION_COUNTS.get(kind) or TASK_COUNTS.get(kind)
        if name is not None:
            counts[name] += 1
        if kind in entry_types and event.task_sid is not None:
            entered.add(event.task_sid)
        if kind == "reservation.accepted":
            wait = waited(event)
            if wait is not None:
                accepted.append(wait)
            queue_wait = waited_in_queue(event)
            if queue_wait is not None:
                in_queue.append(queue_wait)
        elif kind == "task.canceled":
            wait = waited(event)
            if wait is not None:
                canceled.append(wait)
    until_accepted = Durations.of(accepted)
    return Cumulative(
        **counts,
        tasks_entered=len(entered),
        avg_task_acceptance_time=until_accepted.avg,
        wait_until_accepted=until_accepted,
        wait_until_canceled=Durations.of(canceled),
        wait_in_queue_until_accepted=Durations.of(in_queue),
        split_by_wait_time=(
            None if thresholds is None else split_by_wait_time(thresholds, accepted, canceled)
        ),
    )


@dataclass(frozen=True)
class ActivityDuration:
    sid: str
    friendly_name: str
    durations: Durations


def activity_durations(
    activities: Sequence[ActivityRef], events: Iterable[LoggedEvent]
) -> list[ActivityDuration]:
    """Time spent in each activity, from worker.activity.update events.

    Each event closes one stint in the previous activity (`worker_time_in_previous_activity_ms`)
    and counts whole in the window where it ended; stints still running are not counted yet.
    `min`/`avg`/`max` are over stints, `total` their sum. Every activity of the workspace is
    listed, in order; activities since deleted follow, named as the log named them.
    """
    stints: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for event in events:
        if event.event_type != ACTIVITY_CHANGE:
            continue
        sid = event.data.get("worker_previous_activity_sid")
        elapsed_ms = _number(event.data, "worker_time_in_previous_activity_ms")
        if not sid or elapsed_ms is None:
            continue
        stints.setdefault(sid, []).append(max(0, elapsed_ms) // 1000)
        names.setdefault(sid, event.data.get("worker_previous_activity_name", ""))
    known = {a.sid for a in activities}
    listed = [*activities, *(ActivityRef(s, names[s]) for s in stints if s not in known)]
    return [
        ActivityDuration(a.sid, a.friendly_name, Durations.of(stints.get(a.sid, [])))
        for a in listed
    ]
