"""Routing: workflows, reservations and their endings, as transactional steps.

Every function here runs inside the caller's transaction, changes rows, and returns the
TaskRouter events that describe the change; the caller appends them to the log. Nothing here
decides *when* to route: the router follows the event log and the timers follow the clock
(router.py, timers.py), and the API services call the answer/ending functions.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain import expressions
from hindsight.domain.attributes import parse_attributes
from hindsight.domain.errors import NotFound
from hindsight.domain.reservation_lifecycle import EVENT_FOR_STATUS as RESERVATION_EVENT
from hindsight.domain.reservation_lifecycle import HOLDING, ReservationStatus
from hindsight.domain.sids import Prefix, new_sid
from hindsight.domain.task_lifecycle import EVENT_FOR_STATUS as TASK_EVENT
from hindsight.domain.task_lifecycle import TaskStatus
from hindsight.domain.worker_choice import Candidate, rank, selects
from hindsight.domain.workflow_config import WorkflowConfiguration
from hindsight.domain.workflow_steps import Step, first_step, next_step, step_at
from hindsight.domain.workspace_template import DEFAULT_RESERVATION_TIMEOUT
from hindsight.routing.configurations import RoutingConfigurations
from hindsight.routing.worker_activity import move_worker
from hindsight.store import activities as activity_store
from hindsight.store import reservations as reservation_store
from hindsight.store import tasks as task_store
from hindsight.store import workers as worker_store
from hindsight.store.routing import workspace as workspace_store_get
from hindsight.store.workers import WorkerRecord

log = logging.getLogger(__name__)

_NO_LIMIT = 1 << 30
# How many waiting tasks of one queue a freed worker looks through for one it may take, and
# how many one routing pass over a queue looks through at most.
_SCAN_PER_QUEUE = 50
_SCAN_PER_PASS = 1000
_HOLDING = sorted(s.value for s in HOLDING)

TTL_EXCEEDED = "Task TTL Exceeded"
WORKFLOW_TIMEOUT = "Task canceled on Workflow timeout"
WORKFLOW_SKIPPED = "Task skipped every target of its workflow"
NO_MATCHING_FILTER = "Task did not match any workflow filter"


def _attributes(raw: str) -> dict[str, Any]:
    return parse_attributes(raw, limit_bytes=_NO_LIMIT)


def _task_event(
    event_type: str, task: Mapping[str, Any], now: int, description: str
) -> ev.NewEvent:
    return ev.NewEvent(event_type, task["sid"], description, ev.task_fields(task, now))


def _reservation_event(
    event_type: str, reservation: Any, task: Mapping[str, Any], worker: Any, now: int
) -> ev.NewEvent:
    data = {
        **ev.task_fields(task, now),
        **ev.worker_fields(worker._mapping),
        "reservation_sid": reservation.sid,
        "reservation_version": str(reservation.version),
    }
    if reservation.task_queue_sid:
        data["task_queue_sid"] = reservation.task_queue_sid
    if reservation.workflow_sid:
        data["workflow_sid"] = reservation.workflow_sid
    verb = event_type.split(".", 1)[1]
    return ev.NewEvent(
        event_type,
        reservation.sid,
        f"Reservation {reservation.sid} for task {task['sid']} and worker "
        f"{worker.friendly_name} {verb}",
        data,
    )


class _Inserted(NamedTuple):
    """A reservation row as `_reserve` inserts it (every column given)."""

    sid: str
    account_sid: str
    workspace_sid: str
    task_sid: str
    worker_sid: str
    task_channel_sid: str
    task_queue_sid: str | None
    workflow_sid: str | None
    reservation_status: str
    timeout_at_ms: int
    version: int
    date_created: int
    date_updated: int


class RoutingEngine:
    """Routing decisions; keeps parsed worker documents between calls (keyed by version)."""

    def __init__(self) -> None:
        self._documents: dict[str, tuple[int, dict[str, Any]]] = {}
        self._kept = RoutingConfigurations()

    def _configuration(
        self, conn: Connection, workspace_sid: str, workflow_sid: str | None
    ) -> tuple[Any, WorkflowConfiguration | None]:
        """The workflow row and its parsed configuration, (None, None) without one."""
        if workflow_sid is None:
            return None, None
        workflow = self._kept.workflow(conn, workspace_sid, workflow_sid)
        if workflow is None:
            return None, None
        return workflow.row, workflow.configuration

    def _queue(self, conn: Connection, workspace_sid: str, queue_sid: str) -> Any | None:
        return self._kept.queue(conn, workspace_sid, queue_sid)

    def workflow(self, conn: Connection, workspace_sid: str, workflow_sid: str) -> Any | None:
        """The workflow row as routing keeps it (store/workflows.py's record), or None."""
        return self._configuration(conn, workspace_sid, workflow_sid)[0]

    def queue(self, conn: Connection, workspace_sid: str, queue_sid: str) -> Any | None:
        """The task queue row as routing keeps it (store/task_queues.py's record), or None."""
        return self._queue(conn, workspace_sid, queue_sid)

    def _document(self, worker: Any) -> dict[str, Any]:
        cached = self._documents.get(worker.sid)
        if cached is not None and cached[0] == worker.version:
            return cached[1]
        document = {
            **_attributes(worker.attributes),
            "sid": worker.sid,
            "friendly_name": worker.friendly_name,
            "activity_sid": worker.activity_sid,
            "activity_name": worker.activity_name,
        }
        if len(self._documents) > 100_000:
            self._documents.clear()
        self._documents[worker.sid] = (worker.version, document)
        return document

    # --- workflow ------------------------------------------------------------------------

    def enter_workflow(
        self, conn: Connection, task: dict[str, Any], now: int, *, stored: bool = True
    ) -> list[ev.NewEvent]:
        """Evaluate the task's workflow from the top and place it in its first step.

        Used on create and when a waiting task's attributes change, inside that request's own
        change (so the task's version is not bumped again). `task` is updated in place; with
        `stored` False it is a new task not inserted yet, and only `task` changes (the caller
        inserts it placed: one statement instead of an insert and an update).
        """
        workflow, config = self._configuration(conn, task["workspace_sid"], task["workflow_sid"])
        if config is None:
            return []
        step = first_step(config, _attributes(task["attributes"]))
        placed = task["step_filter"] is not None
        if (
            placed
            and step is not None
            and (step.filter_index, step.target_index, step.queue_sid)
            == (
                task["step_filter"],
                task["step_target"],
                task["task_queue_sid"],
            )
        ):
            # Re-evaluated into the step it is already in: it keeps its place (and its time
            # in the queue); nothing happened worth logging, so no event is built (the usual
            # attribute update of a waiting task ends here).
            return []
        events = [
            _task_event(
                "workflow.entered",
                task,
                now,
                f"Task {task['sid']} entered workflow {workflow.friendly_name}",
            )
        ]
        if step is None:
            events += self._cancel_waiting(conn, task, now, NO_MATCHING_FILTER, stored=stored)
            return events
        return events + self._enter(conn, task, config, step, now, bump=False, stored=stored)

    def _enter(
        self,
        conn: Connection,
        task: dict[str, Any],
        config: WorkflowConfiguration,
        step: Step | None,
        now: int,
        *,
        bump: bool,
        stored: bool = True,
    ) -> list[ev.NewEvent]:
        """Place the task in `step`, passing over targets whose `skip_if` holds."""
        while step is not None and step.target.skip_if and self._skips(conn, task, step):
            step = next_step(config, step)
            if step is None:
                events = [
                    _task_event(
                        "workflow.skipped", task, now, f"Task {task['sid']} skipped its workflow"
                    )
                ]
                return events + self._cancel_waiting(
                    conn, task, now, WORKFLOW_SKIPPED, stored=stored
                )
        if step is None:
            return []
        return self._place(conn, task, step, now, bump=bump, stored=stored)

    def _skips(self, conn: Connection, task: Mapping[str, Any], step: Step) -> bool:
        """Evaluate a target's `skip_if` (e.g. `workers.available == 0`) for this task."""
        workspace = workspace_store_get(conn, task["workspace_sid"])
        queue = self._queue(conn, task["workspace_sid"], step.queue_sid)
        if workspace is None or queue is None:
            return False
        attributes = _attributes(task["attributes"])
        available = sum(
            1
            for c in self._candidates(conn, workspace, task)
            if c.has_room()
            and selects(queue.target_workers, step.target.expression, c.document, attributes)
        )
        context = {"workers": {"available": available}, "task": attributes}
        return expressions.matches(step.target.skip_if or "", context)

    def _place(
        self,
        conn: Connection,
        task: dict[str, Any],
        step: Step,
        now: int,
        *,
        bump: bool,
        stored: bool = True,
    ) -> list[ev.NewEvent]:
        """Put a task into a workflow step: its queue, priority and step timer."""
        queue = self._queue(conn, task["workspace_sid"], step.queue_sid)
        moved = task["task_queue_sid"] is not None and task["task_queue_sid"] != step.queue_sid
        values: dict[str, Any] = {
            "step_filter": step.filter_index,
            "step_target": step.target_index,
            "step_due_ms": now + step.target.timeout * 1000 if step.target.timeout else None,
            "task_queue_sid": step.queue_sid,
            "task_queue_entered_date": now,
            "date_updated": now,
        }
        if bump:
            values["version"] = task["version"] + 1
        if step.target.priority is not None:
            values["priority"] = step.target.priority
        if stored:
            task_store.update_task(conn, task["sid"], values)
        task.update(values)
        task["task_queue_friendly_name"] = queue.friendly_name if queue is not None else None
        events = [
            _task_event(
                "workflow.target-matched",
                task,
                now,
                f"Task {task['sid']} matched target {step.target_index} of filter "
                f"{step.filter_name}",
            ),
            _task_event(
                "task-queue.moved" if moved else "task-queue.entered",
                task,
                now,
                f"Task {task['sid']} entered queue {task['task_queue_friendly_name']}",
            ),
        ]
        return events

    def advance_step(
        self, conn: Connection, workspace_sid: str, task_sid: str, now: int
    ) -> list[ev.NewEvent]:
        """A waiting task's step timed out: move it to the next target, or out of the workflow."""
        row = task_store.get(conn, workspace_sid, task_sid, for_update=True)
        if row is None or row.assignment_status != TaskStatus.PENDING or row.step_due_ms is None:
            return []
        if row.step_due_ms > now:
            return []
        task = dict(row._mapping)
        _workflow, config = self._configuration(conn, workspace_sid, task["workflow_sid"])
        current = step_at(config, task["step_filter"], task["step_target"]) if config else None
        events = [
            _task_event("task-queue.timeout", task, now, f"Task {task_sid} timed out of its queue")
        ]
        following = next_step(config, current) if config and current is not None else None
        if following is None or config is None:
            events.append(
                _task_event("workflow.timeout", task, now, f"Task {task_sid} left its workflow")
            )
            events += self._cancel_waiting(conn, task, now, WORKFLOW_TIMEOUT)
            return events
        return events + self._enter(conn, task, config, following, now, bump=True)

    # --- reserving -------------------------------------------------------------------------

    def _candidates(
        self, conn: Connection, workspace: Any, task: Mapping[str, Any]
    ) -> Iterator[Candidate]:
        """Workers with room for the task's channel, longest idle first, lazily."""
        multitask = workspace.multi_task_enabled
        for row in worker_store.with_room(conn, workspace.sid, task["task_channel_sid"], multitask):
            yield self._candidate(row, multitask)

    def _candidate(self, row: Any, multitask: bool) -> Candidate:
        """A worker read with its channel (`worker_store.with_room`), as routing weighs it."""
        return Candidate(
            sid=row.sid,
            document=self._document(row),
            last_reserved_ms=row.last_reserved_ms,
            date_created=row.date_created,
            load=row.assigned_tasks if multitask else row.holding,
            capacity=row.configured_capacity if multitask else 1,
            channel_available=row.channel_available,
            activity_available=row.available,
        )

    def route_tasks(
        self, conn: Connection, workspace: Any, task_sids: list[str], now: int
    ) -> list[ev.NewEvent]:
        """Tasks arrived in queues (or were let go): route their queues from the head.

        Routing a queue rather than the arrived task keeps the queue's order: a free worker
        goes to the task that has waited with the highest priority, then the longest (or the
        newest, for LIFO queues), and a task that found nobody is reconsidered the next time
        its queue is routed or a worker frees up. Tasks aimed at one worker go straight there.
        """
        events: list[ev.NewEvent] = []
        # Each queue is routed on the channels of the tasks that arrived in it: an arrival
        # gives no worker room, so waiting tasks on other channels have nobody new to go to.
        queues: dict[str, list[str]] = {}
        # One read for all the tasks that arrived (a burst brings hundreds per pass).
        found = task_store.get_many(conn, workspace.sid, list(dict.fromkeys(task_sids)))
        for sid in dict.fromkeys(task_sids):
            row = found.get(sid)
            if row is None or row.assignment_status != TaskStatus.PENDING:
                continue
            target = row.routing_target
            if target is not None and target.startswith(Prefix.WORKER):
                events += self._route_to_worker(conn, workspace, row, target, now)
            elif row.task_queue_sid:
                channels = queues.setdefault(row.task_queue_sid, [])
                if row.task_channel_sid not in channels:
                    channels.append(row.task_channel_sid)
        for queue_sid, channels in queues.items():
            events += self.route_queue(conn, workspace, queue_sid, now, channels)
        return events

    def route_task(
        self, conn: Connection, workspace: Any, task_sid: str, now: int
    ) -> list[ev.NewEvent]:
        return self.route_tasks(conn, workspace, [task_sid], now)

    def route_queue(
        self, conn: Connection, workspace: Any, queue_sid: str, now: int, channels: list[str]
    ) -> list[ev.NewEvent]:
        """Offer a queue's waiting tasks on `channels`, in order, to the workers with room
        who qualify."""
        queue = self._queue(conn, workspace.sid, queue_sid)
        if queue is None:
            return []
        pool = _Pool(self, conn, workspace, queue)
        events: list[ev.NewEvent] = []
        lifo = queue.task_order == "LIFO"
        for channel in channels:
            after = None
            scanned = 0
            # Page through the channel's waiting tasks while someone has room; tasks nobody
            # free qualifies for are passed over (up to a bound, so a long backlog of tasks
            # that need someone else costs one bounded scan). Nobody with room: no task read.
            while pool.has_room(channel) and scanned < _SCAN_PER_PASS:
                page = task_store.waiting_on_channel(
                    conn, queue_sid, channel, lifo, after, _SCAN_PER_QUEUE
                )
                for row in page:
                    if (row.routing_target or "").startswith(Prefix.WORKER):
                        continue
                    events += self._offer_from_pool(conn, workspace, row, queue, pool, now)
                    if not pool.has_room(channel):
                        break
                scanned += len(page)
                if len(page) < _SCAN_PER_QUEUE:
                    break
                last = page[-1]
                after = (last.priority, last.virtual_start_time, last.sid)
        return events

    def _offer_from_pool(
        self, conn: Connection, workspace: Any, row: Any, queue: Any, pool: _Pool, now: int
    ) -> list[ev.NewEvent]:
        """Reserve the best workers of `pool` for a waiting task, if any qualify."""
        channel = row.task_channel_sid
        while True:
            offered = self._offers(conn, workspace, row, queue, pool)
            if not offered:
                return []
            reserved = self._reserve(conn, workspace, dict(row._mapping), queue, offered, now)
            pool.took(channel, reserved.workers)
            pool.lost(channel, reserved.full)
            if reserved.workers or not reserved.full:
                return reserved.events
            # Everyone chosen was taken meanwhile by another routing pass: the next in line.

    def _offers(
        self,
        conn: Connection,
        workspace: Any,
        row: Any,
        queue: Any,
        pool: _Pool,
        skip: str = "",
        wanted: int | None = None,
    ) -> list[str]:
        """The best workers (other than `skip`) in `pool` to offer a waiting task to."""
        task = dict(row._mapping)
        _workflow, config = self._configuration(conn, workspace.sid, task["workflow_sid"])
        step = step_at(config, task["step_filter"], task["step_target"]) if config else None
        attributes = _attributes(task["attributes"])
        tried = _workers_tried(conn, row)
        expression = step.target.expression if step else None
        order_by = step.target.order_by if step else None
        chosen = (
            candidate
            for candidate in pool.with_room(task["task_channel_sid"])
            if candidate.sid not in tried
            and candidate.sid != skip
            and (step is None or step.target.admits_known(candidate.document, attributes))
            and selects(queue.target_workers, expression, candidate.document, attributes)
        )
        # Candidates come longest idle first, so without an order_by the first ones win.
        ranked = rank(list(chosen), order_by) if order_by else chosen
        count = queue.max_reserved_workers if wanted is None else wanted
        return [c.sid for c in itertools.islice(ranked, count)]

    def _route_to_worker(
        self, conn: Connection, workspace: Any, row: Any, worker_sid: str, now: int
    ) -> list[ev.NewEvent]:
        task = dict(row._mapping)
        worker = worker_store.one_on_channel(conn, worker_sid, task["task_channel_sid"])
        if worker is None or worker_sid in _workers_tried(conn, row):
            return []
        ignore_capacity = bool(task["ignore_capacity"])
        if not ignore_capacity and not _has_room(workspace, worker):
            return []
        return self._reserve(
            conn, workspace, task, None, [worker_sid], now, ignore_capacity=ignore_capacity
        ).events

    def _reserve(
        self,
        conn: Connection,
        workspace: Any,
        task: dict[str, Any],
        queue: Any,
        worker_sids: list[str],
        now: int,
        *,
        ignore_capacity: bool = False,
    ) -> _Reserved:
        """Reserve `worker_sids` for the task, each one that still may take it.

        The choice was made on rows read without locks; it is checked again here under row
        locks (the task's, then each worker's channel and worker rows), so two routing passes
        deciding at once (two processes, or the router and the timers) cannot both reserve:
        the second waits for the first to commit, then finds the task no longer waiting, or
        the worker without room. A task that changed since it was read is left alone: the
        change's own event routes it again.
        """
        locked = task_store.get(conn, workspace.sid, task["sid"], for_update=True)
        if (
            locked is None
            or locked.assignment_status != TaskStatus.PENDING
            or locked.version != task["version"]
        ):
            return _Reserved([], [], [])
        # The step read the clock before it found this task: under READ COMMITTED it sees
        # what committed while it ran (a task created meanwhile, found waiting by a freed
        # worker's match). A reservation is not dated before the task version it reserves,
        # or its task.created -> reservation.created latency comes out negative.
        step_now, now = now, max(now, locked.date_updated)
        channel = task["task_channel_sid"]
        granted: dict[str, WorkerRecord] = {}
        full: list[str] = []
        # Workers are locked in one order everywhere, so two passes reserving the same two
        # workers for different tasks cannot each hold one and wait for the other.
        for worker_sid in sorted(set(worker_sids)):
            row = worker_store.lock_on_channel(conn, worker_sid, channel)
            if row is not None and (ignore_capacity or _has_room(workspace, row)):
                # Read under the locks, so it is the worker as this transaction leaves it
                # (but for its load and idle time, which no event shows).
                granted[worker_sid] = worker_store.record(row)
            else:
                full.append(worker_sid)
        chosen = [sid for sid in dict.fromkeys(worker_sids) if sid in granted]
        if not chosen:
            return _Reserved([], [], full)
        workflow, _config = self._configuration(conn, workspace.sid, task["workflow_sid"])
        timeout = workflow.task_reservation_timeout if workflow else DEFAULT_RESERVATION_TIMEOUT
        reserved = {
            "assignment_status": TaskStatus.RESERVED.value,
            "version": task["version"] + 1,
            "date_updated": now,
        }
        task_store.update_task(conn, task["sid"], reserved)
        # `task` is the row as read (the tasks view, with its names) at the version just locked,
        # so it is the row now with these values: reading it back cost a statement.
        task = {**task, **reserved}
        events: list[ev.NewEvent] = []
        for worker_sid in chosen:
            sid = new_sid(Prefix.RESERVATION)
            reservation = {
                "sid": sid,
                "account_sid": workspace.account_sid,
                "workspace_sid": workspace.sid,
                "task_sid": task["sid"],
                "worker_sid": worker_sid,
                "task_channel_sid": task["task_channel_sid"],
                "task_queue_sid": task["task_queue_sid"],
                "workflow_sid": task["workflow_sid"],
                "reservation_status": ReservationStatus.PENDING.value,
                "timeout_at_ms": now + timeout * 1000,
                "version": 0,
                "date_created": now,
                "date_updated": now,
            }
            reservation_store.insert_reservation(conn, reservation)
            worker = granted[worker_sid]
            worker_store.reserve_load(conn, worker_sid, task["task_channel_sid"], now)
            # The event is made from the row as inserted: reading it back cost a statement
            # per reservation.
            events.append(
                _reservation_event(
                    "reservation.created", _Inserted(**reservation), task, worker, now
                )
            )
            if (
                queue is not None
                and queue.reservation_activity_sid
                and (queue.reservation_activity_sid != worker.activity_sid)
            ):
                activity = activity_store.get(conn, workspace.sid, queue.reservation_activity_sid)
                if activity is not None:
                    events.append(move_worker(conn, workspace.sid, worker, activity, now)[1])
        if now > step_now:
            events = [replace(event, at_ms=now) for event in events]
        return _Reserved(events, chosen, full)

    def match_worker(
        self, conn: Connection, workspace: Any, worker_sid: str, now: int
    ) -> list[ev.NewEvent]:
        """A worker may have room: offer it the best waiting tasks it qualifies for."""
        events: list[ev.NewEvent] = []
        fifo = workspace.prioritize_queue_order != "LIFO"
        while True:
            worker = worker_store.get(conn, workspace.sid, worker_sid)
            if worker is None or not worker.available:
                return events
            best = self._best_task_for(conn, workspace, worker, fifo)
            if best is None:
                return events
            task, queue = best
            # The queue may offer a task to several workers at once: fill the other places.
            offered = [worker_sid]
            if queue.max_reserved_workers > 1:
                pool = _Pool(self, conn, workspace, queue)
                wanted = queue.max_reserved_workers - 1
                offered += self._offers(
                    conn, workspace, task, queue, pool, skip=worker_sid, wanted=wanted
                )
            reserved = self._reserve(conn, workspace, dict(task._mapping), queue, offered, now)
            events += reserved.events
            if not reserved.workers:
                # Taken meanwhile by another routing pass, which also offers what is left.
                return events

    def _best_task_for(self, conn: Connection, workspace: Any, worker: Any, fifo: bool) -> Any:
        """The waiting task this worker should be offered first, with its queue; or None."""
        document = self._document(worker)
        channels = [c for c in worker_store.channels_of(conn, worker.sid) if c.available]
        if workspace.multi_task_enabled:
            rooms = {c.task_channel_sid: c.configured_capacity - c.assigned_tasks for c in channels}
        else:
            free = 1 if worker.holding == 0 else 0
            rooms = {c.task_channel_sid: free if c.configured_capacity else 0 for c in channels}
        if not any(room > 0 for room in rooms.values()):
            return None
        open_channels = [channel for channel, room in rooms.items() if room > 0]
        best: tuple[Any, Any] | None = None
        for queue in self._kept.queues(conn, workspace.sid):
            if not _needs_task(queue) and not selects(queue.target_workers, None, document, {}):
                continue
            lifo = queue.task_order == "LIFO"
            # Only the channels the worker has room on are read, each from its index range;
            # the queue's first task the worker may take is the first in the queue's order.
            first: Any = None
            for channel in open_channels:
                page = task_store.waiting_on_channel(
                    conn, queue.sid, channel, lifo, None, _SCAN_PER_QUEUE
                )
                for task in page:
                    if not self._may_take(conn, workspace, worker, document, queue, task):
                        continue
                    if first is None or _before(task, first, not lifo):
                        first = task
                    break
            if first is not None and (best is None or _before(first, best[0], fifo)):
                best = (first, queue)
        return best

    def _may_take(
        self,
        conn: Connection,
        workspace: Any,
        worker: Any,
        document: Mapping[str, Any],
        queue: Any,
        task: Any,
    ) -> bool:
        if (task.routing_target or "").startswith(
            Prefix.WORKER
        ) and task.routing_target != worker.sid:
            return False
        if worker.sid in _workers_tried(conn, task):
            return False
        _workflow, config = self._configuration(conn, workspace.sid, task.workflow_sid)
        step = step_at(config, task.step_filter, task.step_target) if config else None
        attributes = _attributes(task.attributes)
        if step is not None and not step.target.admits_known(document, attributes):
            return False
        expression = step.target.expression if step else None
        return selects(queue.target_workers, expression, document, attributes)

    # --- endings -----------------------------------------------------------------------------

    def _end_reservation(
        self,
        conn: Connection,
        workspace_sid: str,
        reservation: Any,
        status: ReservationStatus,
        task: Mapping[str, Any],
        now: int,
    ) -> ev.NewEvent:
        if reservation.reservation_status in HOLDING and status not in HOLDING:
            worker_store.adjust_load(conn, reservation.worker_sid, reservation.task_channel_sid, -1)
        reservation_store.update_reservation(
            conn,
            reservation.sid,
            {
                "reservation_status": status.value,
                "timeout_at_ms": None,
                "version": reservation.version + 1,
                "date_updated": now,
            },
        )
        after = reservation_store.get(conn, reservation.sid)
        worker = worker_store.get(conn, workspace_sid, reservation.worker_sid)
        return _reservation_event(RESERVATION_EVENT[status], after, task, worker, now)

    def _cancel_waiting(
        self, conn: Connection, task: dict[str, Any], now: int, reason: str, *, stored: bool = True
    ) -> list[ev.NewEvent]:
        """Cancel a pending or reserved task (its pending reservations are canceled too).
        A task not `stored` yet (being created) has no row to update and no reservations."""
        values = {
            "assignment_status": TaskStatus.CANCELED.value,
            "reason": reason,
            "timeout_at_ms": None,
            "step_due_ms": None,
            "version": task["version"] + 1,
            "date_updated": now,
        }
        if stored:
            task_store.update_task(conn, task["sid"], values)
        task.update(values)
        events = [
            _task_event(
                TASK_EVENT[TaskStatus.CANCELED], task, now, f"Task {task['sid']} canceled: {reason}"
            )
        ]
        if not stored:
            return events
        return events + self.close_reservations(conn, task, TaskStatus.CANCELED, now)

    def close_reservations(
        self, conn: Connection, task: Mapping[str, Any], new_status: TaskStatus, now: int
    ) -> list[ev.NewEvent]:
        """Bring a task's reservations in line with the task's new status."""
        ending = {
            TaskStatus.CANCELED: ([ReservationStatus.PENDING], ReservationStatus.CANCELED),
            TaskStatus.WRAPPING: ([ReservationStatus.ACCEPTED], ReservationStatus.WRAPPING),
            TaskStatus.COMPLETED: (
                [ReservationStatus.ACCEPTED, ReservationStatus.WRAPPING],
                ReservationStatus.COMPLETED,
            ),
        }.get(new_status)
        if ending is None:
            return []
        sources, target = ending
        return [
            self._end_reservation(conn, task["workspace_sid"], r, target, task, now)
            for r in reservation_store.of_task(conn, task["sid"], [s.value for s in sources])
        ]

    def drop_reservations(
        self, conn: Connection, task: Mapping[str, Any], now: int
    ) -> list[ev.NewEvent]:
        """The task is being deleted: every reservation still holding a worker is canceled."""
        return [
            self._end_reservation(
                conn, task["workspace_sid"], r, ReservationStatus.CANCELED, task, now
            )
            for r in reservation_store.of_task(conn, task["sid"], _HOLDING)
        ]

    def expire_task(
        self, conn: Connection, workspace_sid: str, task_sid: str, now: int
    ) -> list[ev.NewEvent]:
        """The task's TTL passed while it still waited for a worker."""
        row = task_store.get(conn, workspace_sid, task_sid, for_update=True)
        if row is None or row.timeout_at_ms is None or row.timeout_at_ms > now:
            return []
        if row.assignment_status not in (TaskStatus.PENDING, TaskStatus.RESERVED):
            task_store.update_task(conn, task_sid, {"timeout_at_ms": None})
            return []
        return self._cancel_waiting(conn, dict(row._mapping), now, TTL_EXCEEDED)

    def expire_reservation(
        self, conn: Connection, workspace: Any, reservation_sid: str, now: int
    ) -> list[ev.NewEvent]:
        """Nobody answered: the reservation times out, the worker goes to the timeout activity."""
        reservation = reservation_store.get(conn, reservation_sid)
        if reservation is None:
            return []
        # The task is locked first, as answering and reserving do, and the reservation read
        # again under that lock: an answer or another timer may have ended it meanwhile.
        task_row = task_store.get(conn, workspace.sid, reservation.task_sid, for_update=True)
        reservation = reservation_store.get(conn, reservation_sid)
        if (
            task_row is None
            or reservation is None
            or reservation.reservation_status != ReservationStatus.PENDING
            or reservation.timeout_at_ms is None
            or reservation.timeout_at_ms > now
        ):
            return []
        task = dict(task_row._mapping)
        events = [
            self._end_reservation(
                conn, workspace.sid, reservation, ReservationStatus.TIMEOUT, task, now
            )
        ]
        events += self._release_task(conn, workspace.sid, reservation.task_sid, now)
        if workspace.timeout_activity_sid:
            worker = worker_store.get(conn, workspace.sid, reservation.worker_sid, for_update=True)
            activity = activity_store.get(conn, workspace.sid, workspace.timeout_activity_sid)
            if worker is not None and activity is not None and worker.activity_sid != activity.sid:
                events.append(move_worker(conn, workspace.sid, worker, activity, now)[1])
        return events

    def _release_task(
        self, conn: Connection, workspace_sid: str, task_sid: str, now: int
    ) -> list[ev.NewEvent]:
        """A reservation ended unanswered: the task waits again unless others are pending."""
        row = task_store.get(conn, workspace_sid, task_sid, for_update=True)
        if row is None or row.assignment_status != TaskStatus.RESERVED:
            return []
        if reservation_store.of_task(conn, task_sid, [ReservationStatus.PENDING.value]):
            return []
        task_store.update_task(
            conn,
            task_sid,
            {
                "assignment_status": TaskStatus.PENDING.value,
                "version": row.version + 1,
                "date_updated": now,
            },
        )
        return []

    # --- answers -----------------------------------------------------------------------------

    def answer(
        self,
        conn: Connection,
        workspace: Any,
        reservation: Any,
        status: ReservationStatus,
        now: int,
        worker_activity_sid: str | None = None,
    ) -> list[ev.NewEvent]:
        """A worker accepts, rejects, wraps or completes a reservation (already validated)."""
        task_row = task_store.get(conn, workspace.sid, reservation.task_sid, for_update=True)
        if task_row is None:
            # Deleted since the caller read the reservation (callers lock the task before
            # reading it, so only a caller that did not could see this): nothing to answer.
            raise NotFound(
                f"Task {reservation.task_sid} of reservation {reservation.sid} no longer exists"
            )
        task = dict(task_row._mapping)
        events: list[ev.NewEvent] = []
        if status == ReservationStatus.ACCEPTED:
            values = {
                "assignment_status": TaskStatus.ASSIGNED.value,
                "timeout_at_ms": None,
                "step_due_ms": None,
                "version": task["version"] + 1,
                "date_updated": now,
            }
            task_store.update_task(conn, task["sid"], values)
            task.update(values)
            events.append(
                self._end_reservation(conn, workspace.sid, reservation, status, task, now)
            )
            for other in reservation_store.of_task(
                conn, task["sid"], [ReservationStatus.PENDING.value]
            ):
                events.append(
                    self._end_reservation(
                        conn, workspace.sid, other, ReservationStatus.RESCINDED, task, now
                    )
                )
            queue = (
                self._queue(conn, workspace.sid, reservation.task_queue_sid)
                if reservation.task_queue_sid
                else None
            )
            if queue is not None and queue.assignment_activity_sid:
                worker_activity_sid = worker_activity_sid or queue.assignment_activity_sid
        elif status == ReservationStatus.REJECTED:
            events.append(
                self._end_reservation(conn, workspace.sid, reservation, status, task, now)
            )
            events += self._release_task(conn, workspace.sid, task["sid"], now)
        else:
            new_task_status = (
                TaskStatus.WRAPPING
                if status == ReservationStatus.WRAPPING
                else TaskStatus.COMPLETED
            )
            if task["assignment_status"] != new_task_status:
                values = {
                    "assignment_status": new_task_status.value,
                    "version": task["version"] + 1,
                    "date_updated": now,
                }
                if new_task_status == TaskStatus.COMPLETED:
                    values["reason"] = "Reservation completed"
                task_store.update_task(conn, task["sid"], values)
                task.update(values)
                events.append(
                    _task_event(
                        TASK_EVENT[new_task_status],
                        task,
                        now,
                        f"Task {task['sid']} {new_task_status.value}",
                    )
                )
            events.append(
                self._end_reservation(conn, workspace.sid, reservation, status, task, now)
            )
        if worker_activity_sid:
            worker = worker_store.get(conn, workspace.sid, reservation.worker_sid, for_update=True)
            activity = activity_store.get(conn, workspace.sid, worker_activity_sid)
            # A worker deleted meanwhile (its reservations ended with it) has no activity to
            # move; the answer itself stands.
            if worker is not None and activity is not None and worker.activity_sid != activity.sid:
                events.append(move_worker(conn, workspace.sid, worker, activity, now)[1])
        return events


@dataclass
class _Line:
    """One channel's workers with room, as far as a pass has read them."""

    waiting: list[Candidate] = field(default_factory=list)  # in idle order, not yet reserved
    taken: list[Candidate] = field(default_factory=list)  # reserved in this pass, latest last
    seen: set[str] = field(default_factory=set)
    after: tuple[int, int, str] | None = None
    exhausted: bool = False


class _Pool:
    """The workers with room whom one routing pass over a queue may offer tasks to.

    Read a page at a time in the order they are offered work (longest idle first, along
    ix_workers_idle) and only as far as the pass needs, which is usually the first page: a
    pass costs the same with ten workers as with a thousand. Kept current as the pass
    reserves workers, so a queue of many waiting tasks reads each worker once.
    """

    _PAGE = 32

    def __init__(self, engine: RoutingEngine, conn: Connection, workspace: Any, queue: Any) -> None:
        self._engine = engine
        self._conn = conn
        self._workspace = workspace
        self._queue = queue
        self._multitask = bool(workspace.multi_task_enabled)
        self._lines: dict[str, _Line] = {}
        # Room left per worker: per channel when multitasking, else one slot for the worker.
        self._room: dict[Any, int] = {}

    def _key(self, channel_sid: str, worker_sid: str) -> Any:
        return (channel_sid, worker_sid) if self._multitask else worker_sid

    def has_room(self, channel_sid: str) -> bool:
        return next(self.with_room(channel_sid), None) is not None

    def with_room(self, channel_sid: str) -> Iterator[Candidate]:
        """Candidates with room on the channel in offer order, reading more as needed."""
        line = self._lines.setdefault(channel_sid, _Line())
        index = 0
        while True:
            while index < len(line.waiting):
                candidate = line.waiting[index]
                index += 1
                if self._room.get(self._key(channel_sid, candidate.sid), 0) > 0:
                    yield candidate
            if not self._read_page(channel_sid, line):
                break
        for candidate in list(line.taken):
            if self._room.get(self._key(channel_sid, candidate.sid), 0) > 0:
                yield candidate

    def _read_page(self, channel_sid: str, line: _Line) -> bool:
        if line.exhausted:
            return False
        rows = worker_store.with_room_page(
            self._conn, self._workspace.sid, channel_sid, self._multitask, line.after, self._PAGE
        )
        line.exhausted = len(rows) < self._PAGE
        if rows:
            last = rows[-1]
            line.after = (last.last_reserved_ms, last.date_created, last.sid)
        for row in rows:
            # A worker reserved earlier in this pass comes round again at the end of the
            # order (its last reservation is now); the pass already keeps it among `taken`.
            if row.sid in line.seen:
                continue
            line.seen.add(row.sid)
            candidate = self._engine._candidate(row, self._multitask)
            # Workers the queue can never select are left out once, not once per task.
            if not _needs_task(self._queue) and not selects(
                self._queue.target_workers, None, candidate.document, {}
            ):
                continue
            self._room.setdefault(
                self._key(channel_sid, candidate.sid), candidate.capacity - candidate.load
            )
            line.waiting.append(candidate)
        return bool(rows)

    def took(self, channel_sid: str, worker_sids: list[str]) -> None:
        """Workers just reserved: less room, and now the most recently reserved."""
        if not worker_sids:
            return
        for sid in worker_sids:
            key = self._key(channel_sid, sid)
            self._room[key] = self._room.get(key, 1) - 1 if self._multitask else 0
        for channel, line in self._lines.items():
            if channel == channel_sid or not self._multitask:
                moved = [c for c in line.waiting + line.taken if c.sid in worker_sids]
                line.waiting = [c for c in line.waiting if c.sid not in worker_sids]
                line.taken = [c for c in line.taken if c.sid not in worker_sids] + moved

    def lost(self, channel_sid: str, worker_sids: list[str]) -> None:
        """Workers found without room once locked: another routing pass took them first."""
        for sid in worker_sids:
            self._room[self._key(channel_sid, sid)] = 0


@dataclass(frozen=True)
class _Reserved:
    """What one reserving did: its events, whom it reserved, and whom it found without room."""

    events: list[ev.NewEvent]
    workers: list[str]
    full: list[str]


def _workers_tried(conn: Connection, task: Any) -> set[str]:
    """Workers who rejected the task or let its reservation time out. A task at version 0
    has never been reserved (reserving bumps the version), so it needs no read: most tasks
    routed are new ones."""
    if task.version == 0:
        return set()
    return reservation_store.workers_tried(conn, task.sid)


def _has_room(workspace: Any, worker: Any) -> bool:
    """Whether a worker (read with its channel) may be offered another task on that channel."""
    if workspace.multi_task_enabled:
        room = worker.configured_capacity > worker.assigned_tasks
    else:
        room = worker.configured_capacity > 0 and worker.holding == 0
    return bool(worker.available and worker.channel_available and room)


def _needs_task(queue: Any) -> bool:
    """Whether a queue's TargetWorkers refers to the task, so it cannot be judged without one."""
    return "task." in (queue.target_workers or "")


def _before(task: Any, other: Any, fifo: bool) -> bool:
    """Whether `task` should be offered before `other` across queues."""
    if task.priority != other.priority:
        return task.priority > other.priority
    if fifo:
        return task.virtual_start_time < other.virtual_start_time
    return task.virtual_start_time > other.virtual_start_time


__all__ = ["RoutingEngine", "WorkflowConfiguration"]
