"""Statistics of a workspace, its task queues, workflows and workers.

Real-time figures are read from the current rows (tasks, workers, activities); cumulative
figures from the event log over a window. Everything is computed on request, in one read
transaction, so the two halves of a Statistics answer describe the same moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson
from sqlalchemy import Connection

from hindsight.domain import statistics as stats
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.expressions import ExpressionError
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.worker_choice import selects
from hindsight.routing.base import RoutingService, workspace_or_404
from hindsight.routing.eligibility import worker_document
from hindsight.routing.task_queues import TASK_QUEUE
from hindsight.routing.workers import WORKER
from hindsight.routing.workflows import WORKFLOW
from hindsight.service_base import Caller
from hindsight.store import statistics as store
from hindsight.store import task_channels as channel_store
from hindsight.store import task_queues as queue_store
from hindsight.store.keyset import fetch_page
from hindsight.store.statistics import ActiveTask, LoggedRow, WorkerState
from hindsight.store.task_queues import TaskQueueRecord
from hindsight.store.workspaces import WorkspaceRecord

# The TaskQueues/Statistics list pages through queues in their usual order.
QUEUE_STATISTICS_ORDER = queue_store.SORT
MAX_BULK_QUEUES = 50

# Event types whose event_data a figure reads; the others are only counted.
_DATA_NEEDED = frozenset({"reservation.accepted", "task.canceled", stats.ACTIVITY_CHANGE})
_TASK_TYPES = frozenset(
    {*stats.RESERVATION_COUNTS, *stats.TASK_COUNTS, *stats.QUEUE_ENTRY, *stats.WORKFLOW_ENTRY}
)
_WORKER_TYPES = frozenset({*stats.RESERVATION_COUNTS, stats.ACTIVITY_CHANGE})
# Above this many workers, narrowing events to a set of workers is done here, not in SQL
# (SQLite caps the parameters of one statement).
_SQL_WORKER_LIMIT = 500


@dataclass(frozen=True)
class StatisticsRequest:
    """The parameters every Statistics resource shares (each uses those it lists)."""

    minutes: int | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    task_channel: str | None = None
    split_by_wait_time: tuple[int, ...] | None = None


@dataclass(frozen=True)
class WorkerFilters:
    task_queue_sid: str | None = None
    task_queue_name: str | None = None
    friendly_name: str | None = None


@dataclass(frozen=True)
class RealTime:
    tasks: stats.TaskCounts
    activities: list[stats.ActivityCount]
    total_workers: int = 0
    total_available_workers: int = 0
    total_eligible_workers: int = 0


@dataclass(frozen=True)
class CumulativeResult:
    window: stats.Window
    figures: stats.Cumulative
    activity_durations: list[stats.ActivityDuration]


@dataclass(frozen=True)
class Statistics:
    account_sid: str
    workspace_sid: str
    realtime: RealTime | None = None
    cumulative: CumulativeResult | None = None


@dataclass(frozen=True)
class QueueStatistics:
    """One row of the TaskQueues/Statistics list: the queue and its figures."""

    queue: TaskQueueRecord
    statistics: Statistics

    # Paging reads the sort key (QUEUE_STATISTICS_ORDER) of the last row by column name.
    @property
    def date_created(self) -> int:
        return self.queue.date_created

    @property
    def sid(self) -> str:
        return self.queue.sid


@dataclass(frozen=True)
class _TaskScope:
    """The tasks a Statistics resource about tasks counts, and who may work on them."""

    entry_types: frozenset[str]  # the events that count a task in
    queue: TaskQueueRecord | None = None  # its tasks, and the workers it targets
    workflow_sid: str | None = None  # its tasks, and no worker figures


@dataclass(frozen=True)
class _Channel:
    """The TaskChannel a request narrows to: its SID if it exists, and its unique name."""

    sid: str | None
    unique_name: str


def _channel(conn: Connection, ws: str, key: str | None) -> _Channel | None:
    if key is None:
        return None
    row = channel_store.get_by_sid_or_name(conn, ws, key)
    if row is None:
        # No such channel now: real-time figures are empty, but the log may still hold
        # events of a channel since deleted, under its unique name.
        return _Channel(None, key)
    return _Channel(row.sid, row.unique_name)


def _task_rows(rows: Iterable[ActiveTask]) -> list[stats.TaskRow]:
    return [
        stats.TaskRow(
            sid=r.sid,
            status=r.assignment_status,
            priority=r.priority,
            created_ms=r.date_created,
            queue_entered_ms=r.task_queue_entered_date,
        )
        for r in rows
    ]


def _activity_refs(conn: Connection, ws: str) -> list[stats.ActivityRef]:
    return [stats.ActivityRef(a.sid, a.friendly_name) for a in store.activities_of(conn, ws)]


def _tasks(conn: Connection, ws: str, channel: _Channel | None, **scope: Any) -> list[ActiveTask]:
    if channel is not None and channel.sid is None:
        return []
    return store.active_tasks(conn, ws, channel_sid=channel.sid if channel else None, **scope)


def _workers(
    conn: Connection, ws: str, channel: _Channel | None, **scope: Any
) -> list[WorkerState]:
    """The workers; a TaskChannel narrows them to those whose channel is on (who can take
    that kind of work), a channel that does not exist to none."""
    if channel is not None and channel.sid is None:
        return []
    return store.workers_of(conn, ws, channel_sid=channel.sid if channel else None, **scope)


class _Roster:
    """Workers, with the documents their expressions are matched against parsed once per
    request (a page of queue statistics matches every worker against every queue)."""

    def __init__(self, workers: Sequence[WorkerState]) -> None:
        self.workers = list(workers)
        self._documents: list[dict[str, Any]] | None = None

    def eligible(self, target_workers: str | None) -> list[WorkerState]:
        """The workers a queue's TargetWorkers selects, whatever their activity.

        An expression that compares with `task.` attributes is judged with no task, as when
        routing looks for work for a worker.
        """
        if self._documents is None:
            self._documents = [worker_document(w) for w in self.workers]
        chosen = []
        for worker, document in zip(self.workers, self._documents, strict=True):
            try:
                if selects(target_workers, None, document, {}):
                    chosen.append(worker)
            except ExpressionError:
                continue
        return chosen


def _realtime(
    activities: list[stats.ActivityRef],
    tasks: Sequence[ActiveTask],
    workers: Sequence[WorkerState],
    now: int,
) -> RealTime:
    return RealTime(
        tasks=stats.count_tasks(_task_rows(tasks), now),
        activities=stats.workers_by_activity(activities, (w.activity_sid for w in workers)),
        total_workers=len(workers),
        total_available_workers=sum(1 for w in workers if w.available),
        total_eligible_workers=len(workers),
    )


def _logged(rows: Iterable[LoggedRow]) -> list[stats.LoggedEvent]:
    events = []
    for row in rows:
        data: dict[str, str] = {}
        if row.event_type in _DATA_NEEDED:
            try:
                parsed = orjson.loads(row.event_data)
            except orjson.JSONDecodeError:
                parsed = None
            data = parsed if isinstance(parsed, dict) else {}
        events.append(
            stats.LoggedEvent(
                event_type=row.event_type,
                at_ms=row.event_date_ms,
                task_sid=row.task_sid,
                worker_sid=row.worker_sid,
                data=data,
            )
        )
    return events


def _task_events(
    conn: Connection,
    ws: str,
    window: stats.Window,
    channel: _Channel | None,
    **scope: Any,
) -> list[LoggedRow]:
    return store.logged(
        conn,
        ws,
        window.start_ms,
        window.end_ms,
        _TASK_TYPES,
        channel=channel.unique_name if channel else None,
        **scope,
    )


def _task_cumulative(
    rows: Iterable[LoggedRow],
    window: stats.Window,
    request: StatisticsRequest,
    entry_types: frozenset[str],
) -> CumulativeResult:
    figures = stats.cumulative(
        _logged(rows), entry_types=entry_types, thresholds=request.split_by_wait_time
    )
    return CumulativeResult(window=window, figures=figures, activity_durations=[])


def _task_statistics(
    conn: Connection,
    workspace: WorkspaceRecord,
    request: StatisticsRequest,
    window: stats.Window,
    now: int,
    scope: _TaskScope,
    realtime: bool,
    cumulative: bool,
) -> Statistics:
    """The figures of the tasks in `scope`: what is waiting now and who could take it, and
    what happened to them over the window."""
    ws = workspace.sid
    channel = _channel(conn, ws, request.task_channel)
    narrow: dict[str, Any] = {}
    if scope.queue is not None:
        narrow["queue_sids"] = [scope.queue.sid]
    if scope.workflow_sid is not None:
        narrow["workflow_sid"] = scope.workflow_sid
    live = None
    if realtime:
        activities: list[stats.ActivityRef] = []
        workers: list[WorkerState] = []
        if scope.workflow_sid is None:
            activities = _activity_refs(conn, ws)
            workers = _workers(conn, ws, channel)
            if scope.queue is not None:
                workers = _Roster(workers).eligible(scope.queue.target_workers)
        live = _realtime(activities, _tasks(conn, ws, channel, **narrow), workers, now)
    history = None
    if cumulative:
        rows = _task_events(conn, ws, window, channel, **narrow)
        history = _task_cumulative(rows, window, request, scope.entry_types)
    return Statistics(workspace.account_sid, ws, live, history)


class StatisticsService(RoutingService):
    def _window(self, request: StatisticsRequest, now: int) -> stats.Window:
        return stats.window(
            now, minutes=request.minutes, start_ms=request.start_ms, end_ms=request.end_ms
        )

    async def _task_figures(
        self,
        caller: Caller,
        ws: str,
        request: StatisticsRequest,
        realtime: bool,
        cumulative: bool,
        scope: Callable[[Connection], _TaskScope],
    ) -> Statistics:
        """The figures of the tasks `scope` chooses (it raises the 404 of what it names)."""
        now = self._clock.now_ms()
        window = self._window(request, now)

        def unit(conn: Connection) -> Statistics:
            workspace = workspace_or_404(conn, caller, ws)
            chosen = scope(conn)
            return _task_statistics(
                conn, workspace, request, window, now, chosen, realtime, cumulative
            )

        return await self._scan(unit)

    # --- workspace -----------------------------------------------------------------------

    async def workspace(
        self,
        caller: Caller,
        ws: str,
        request: StatisticsRequest,
        *,
        realtime: bool = True,
        cumulative: bool = True,
    ) -> Statistics:
        return await self._task_figures(
            caller, ws, request, realtime, cumulative, lambda conn: _TaskScope(stats.QUEUE_ENTRY)
        )

    # --- task queues ---------------------------------------------------------------------

    async def task_queue(
        self,
        caller: Caller,
        ws: str,
        sid: str,
        request: StatisticsRequest,
        *,
        realtime: bool = True,
        cumulative: bool = True,
    ) -> Statistics:
        def scope(conn: Connection) -> _TaskScope:
            return _TaskScope(stats.QUEUE_ENTRY, queue=TASK_QUEUE.find(conn, ws, sid))

        return await self._task_figures(caller, ws, request, realtime, cumulative, scope)

    async def task_queues(
        self,
        caller: Caller,
        ws: str,
        friendly_name: str | None,
        request: StatisticsRequest,
        page: PageRequest,
    ) -> PageResult[QueueStatistics]:
        """A page of queues (FriendlyName narrows them), each with both kinds of figures."""
        now = self._clock.now_ms()
        window = self._window(request, now)
        query = queue_store.list_query(ws, friendly_name)

        def unit(conn: Connection) -> PageResult[QueueStatistics]:
            workspace = workspace_or_404(conn, caller, ws)
            result = fetch_page(conn, query, QUEUE_STATISTICS_ORDER, page, read=queue_store.record)
            if not result.rows:
                return PageResult([], has_next=result.has_next, has_previous=result.has_previous)
            channel = _channel(conn, ws, request.task_channel)
            sids = [q.sid for q in result.rows]
            activities = _activity_refs(conn, ws)
            roster = _Roster(_workers(conn, ws, channel))
            tasks_by_queue = _grouped(_tasks(conn, ws, channel, queue_sids=sids))
            events_by_queue = _grouped(_task_events(conn, ws, window, channel, queue_sids=sids))
            rows: list[QueueStatistics] = []
            for queue in result.rows:
                live = _realtime(
                    activities,
                    tasks_by_queue.get(queue.sid, []),
                    roster.eligible(queue.target_workers),
                    now,
                )
                history = _task_cumulative(
                    events_by_queue.get(queue.sid, []), window, request, stats.QUEUE_ENTRY
                )
                rows.append(
                    QueueStatistics(queue, Statistics(workspace.account_sid, ws, live, history))
                )
            return PageResult(rows=rows, has_next=result.has_next, has_previous=result.has_previous)

        return await self._scan(unit)

    async def bulk_task_queues(
        self, caller: Caller, ws: str, queue_sids: Sequence[str]
    ) -> tuple[str, list[tuple[str, RealTime]]]:
        """Real-time figures of up to 50 queues. As TaskRouter does, a well-formed SID that
        names no queue of this workspace is answered with zeros rather than refused."""
        if not 1 <= len(queue_sids) <= MAX_BULK_QUEUES:
            raise InvalidParameter(
                f"QueueSids must list from 1 to {MAX_BULK_QUEUES} TaskQueue SIDs, "
                f"got {len(queue_sids)}"
            )
        now = self._clock.now_ms()
        wanted = list(dict.fromkeys(queue_sids))

        def unit(conn: Connection) -> tuple[str, list[tuple[str, RealTime]]]:
            workspace = workspace_or_404(conn, caller, ws)
            queues = {
                sid: row for sid in wanted if (row := queue_store.get(conn, ws, sid)) is not None
            }
            activities = _activity_refs(conn, ws)
            roster = _Roster(_workers(conn, ws, None) if queues else [])
            tasks = _tasks(conn, ws, None, queue_sids=list(queues)) if queues else []
            tasks_by_queue = _grouped(tasks)
            answer = []
            for sid in wanted:
                queue = queues.get(sid)
                eligible = roster.eligible(queue.target_workers) if queue else []
                answer.append(
                    (sid, _realtime(activities, tasks_by_queue.get(sid, []), eligible, now))
                )
            return workspace.account_sid, answer

        return await self._scan(unit)

    # --- workflows -----------------------------------------------------------------------

    async def workflow(
        self,
        caller: Caller,
        ws: str,
        sid: str,
        request: StatisticsRequest,
        *,
        realtime: bool = True,
        cumulative: bool = True,
    ) -> Statistics:
        def scope(conn: Connection) -> _TaskScope:
            return _TaskScope(stats.WORKFLOW_ENTRY, workflow_sid=WORKFLOW.find(conn, ws, sid).sid)

        return await self._task_figures(caller, ws, request, realtime, cumulative, scope)

    # --- workers -------------------------------------------------------------------------

    async def workers(
        self,
        caller: Caller,
        ws: str,
        filters: WorkerFilters,
        request: StatisticsRequest,
        *,
        realtime: bool = True,
        cumulative: bool = True,
    ) -> Statistics:
        """Figures of the workspace's workers, or of those the filters select.

        TaskQueueSid / TaskQueueName select the workers the queue's TargetWorkers selects
        (all of their reservations count, not only the queue's); a queue that does not exist
        selects nobody, as list filters do.
        """
        now = self._clock.now_ms()
        window = self._window(request, now)

        def unit(conn: Connection) -> Statistics:
            workspace = workspace_or_404(conn, caller, ws)
            channel = _channel(conn, ws, request.task_channel)
            activities = _activity_refs(conn, ws)
            chosen = _workers(conn, ws, None, friendly_name=filters.friendly_name)
            narrowed = filters.friendly_name is not None
            if filters.task_queue_sid is not None or filters.task_queue_name is not None:
                narrowed = True
                queue = _queue_named(conn, ws, filters)
                chosen = _Roster(chosen).eligible(queue.target_workers) if queue else []
            live = None
            if realtime:
                # A channel narrows the real-time half to workers whose channel is on.
                on_channel = chosen
                if channel is not None:
                    enabled = {w.sid for w in _workers(conn, ws, channel)}
                    on_channel = [w for w in chosen if w.sid in enabled]
                live = _realtime(activities, [], on_channel, now)
            history = None
            if cumulative:
                worker_sids = {w.sid for w in chosen} if narrowed else None
                history = _worker_cumulative(conn, ws, window, activities, channel, worker_sids)
            return Statistics(workspace.account_sid, ws, live, history)

        return await self._scan(unit)

    async def worker(
        self, caller: Caller, ws: str, sid: str, request: StatisticsRequest
    ) -> Statistics:
        """One worker's cumulative figures (TaskRouter offers no real-time half here)."""
        now = self._clock.now_ms()
        window = self._window(request, now)

        def unit(conn: Connection) -> Statistics:
            workspace = workspace_or_404(conn, caller, ws)
            WORKER.find(conn, ws, sid)
            channel = _channel(conn, ws, request.task_channel)
            activities = _activity_refs(conn, ws)
            history = _worker_cumulative(conn, ws, window, activities, channel, {sid})
            return Statistics(workspace.account_sid, ws, None, history)

        return await self._scan(unit)


class _InQueue(Protocol):
    @property
    def task_queue_sid(self) -> str | None: ...


Q = TypeVar("Q", bound=_InQueue)


def _grouped(rows: Iterable[Q]) -> dict[str | None, list[Q]]:
    by_queue: dict[str | None, list[Q]] = {}
    for row in rows:
        by_queue.setdefault(row.task_queue_sid, []).append(row)
    return by_queue


def _queue_named(conn: Connection, ws: str, filters: WorkerFilters) -> TaskQueueRecord | None:
    """The queue TaskQueueSid and/or TaskQueueName name (both must name the same one)."""
    queue = None
    if filters.task_queue_sid is not None:
        queue = queue_store.get(conn, ws, filters.task_queue_sid)
        if queue is None:
            return None
    if filters.task_queue_name is not None:
        by_name = queue_store.get_by_name(conn, ws, filters.task_queue_name)
        if by_name is None or (queue is not None and by_name.sid != queue.sid):
            return None
        queue = by_name
    return queue


def _worker_cumulative(
    conn: Connection,
    ws: str,
    window: stats.Window,
    activities: list[stats.ActivityRef],
    channel: _Channel | None,
    worker_sids: set[str] | None,
) -> CumulativeResult:
    in_sql = worker_sids is not None and len(worker_sids) <= _SQL_WORKER_LIMIT
    rows = store.logged(
        conn,
        ws,
        window.start_ms,
        window.end_ms,
        _WORKER_TYPES,
        worker_sids=worker_sids if in_sql else None,
        channel=channel.unique_name if channel else None,
        channel_free_types=(stats.ACTIVITY_CHANGE,),
    )
    if worker_sids is not None and not in_sql:
        rows = [r for r in rows if r.worker_sid in worker_sids]
    events = _logged(rows)
    return CumulativeResult(
        window=window,
        figures=stats.cumulative(events),
        activity_durations=stats.activity_durations(activities, events),
    )
