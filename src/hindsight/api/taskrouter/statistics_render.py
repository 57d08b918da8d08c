"""Statistics as JSON, with the fields each TaskRouter Statistics resource defines."""

from __future__ import annotations

from typing import Any

from hindsight.api.taskrouter.render import workspace_url
from hindsight.domain import statistics as stats
from hindsight.domain.timefmt import iso8601
from hindsight.routing.statistics import CumulativeResult, RealTime, Statistics

Body = dict[str, Any]


def _durations(d: stats.Durations) -> Body:
    return {"avg": d.avg, "min": d.min, "max": d.max, "total": d.total}


def _split(splits: tuple[stats.Split, ...] | None) -> Body | None:
    if splits is None:
        return None
    return {
        str(s.threshold): {
            "above": {
                "tasks_canceled": s.above.tasks_canceled,
                "reservations_accepted": s.above.reservations_accepted,
            },
            "below": {
                "tasks_canceled": s.below.tasks_canceled,
                "reservations_accepted": s.below.reservations_accepted,
            },
        }
        for s in splits
    }


def _activities(counts: list[stats.ActivityCount]) -> list[Body]:
    return [{"friendly_name": a.friendly_name, "sid": a.sid, "workers": a.workers} for a in counts]


def _tasks(live: RealTime) -> Body:
    t = live.tasks
    return {
        "longest_task_waiting_age": t.longest_waiting_age,
        "longest_task_waiting_sid": t.longest_waiting_sid,
        "tasks_by_priority": t.by_priority,
        "tasks_by_status": t.by_status,
        "total_tasks": t.total,
    }


def _reservations(c: stats.Cumulative) -> Body:
    return {
        "reservations_created": c.reservations_created,
        "reservations_accepted": c.reservations_accepted,
        "reservations_rejected": c.reservations_rejected,
        "reservations_timed_out": c.reservations_timed_out,
        "reservations_canceled": c.reservations_canceled,
        "reservations_rescinded": c.reservations_rescinded,
    }


def _task_history(history: CumulativeResult) -> Body:
    """What workspace, queue and workflow cumulative figures share."""
    c = history.figures
    return {
        "start_time": iso8601(history.window.start_ms),
        "end_time": iso8601(history.window.end_ms),
        "avg_task_acceptance_time": c.avg_task_acceptance_time,
        **_reservations(c),
        "split_by_wait_time": _split(c.split_by_wait_time),
        "wait_duration_until_accepted": _durations(c.wait_until_accepted),
        "wait_duration_until_canceled": _durations(c.wait_until_canceled),
        "tasks_canceled": c.tasks_canceled,
        "tasks_completed": c.tasks_completed,
        "tasks_deleted": c.tasks_deleted,
        "tasks_moved": c.tasks_moved,
    }


# --- figures, per resource ---------------------------------------------------------------


def workspace_realtime(live: RealTime) -> Body:
    return {
        "activity_statistics": _activities(live.activities),
        **_tasks(live),
        "total_workers": live.total_workers,
    }


def workspace_cumulative(history: CumulativeResult) -> Body:
    c = history.figures
    return {
        **_task_history(history),
        "tasks_created": c.tasks_created,
        "tasks_timed_out_in_workflow": c.tasks_timed_out_in_workflow,
    }


def queue_realtime(live: RealTime) -> Body:
    t = live.tasks
    return {
        "activity_statistics": _activities(live.activities),
        **_tasks(live),
        "longest_relative_task_age_in_queue": t.longest_in_queue_age,
        "longest_relative_task_sid_in_queue": t.longest_in_queue_sid,
        "total_available_workers": live.total_available_workers,
        "total_eligible_workers": live.total_eligible_workers,
    }


def queue_cumulative(history: CumulativeResult) -> Body:
    c = history.figures
    return {
        **_task_history(history),
        "wait_duration_in_queue_until_accepted": _durations(c.wait_in_queue_until_accepted),
        "tasks_entered": c.tasks_entered,
    }


def workflow_realtime(live: RealTime) -> Body:
    return _tasks(live)


def workflow_cumulative(history: CumulativeResult) -> Body:
    c = history.figures
    return {
        **_task_history(history),
        "tasks_entered": c.tasks_entered,
        "tasks_timed_out_in_workflow": c.tasks_timed_out_in_workflow,
    }


def workers_realtime(live: RealTime) -> Body:
    return {
        "activity_statistics": _activities(live.activities),
        "total_workers": live.total_workers,
    }


def workers_cumulative(history: CumulativeResult) -> Body:
    return {
        "start_time": iso8601(history.window.start_ms),
        "end_time": iso8601(history.window.end_ms),
        "activity_durations": [
            {"sid": a.sid, "friendly_name": a.friendly_name, **_durations(a.durations)}
            for a in history.activity_durations
        ],
        **_reservations(history.figures),
    }


# --- resources ---------------------------------------------------------------------------


def _owner(result: Statistics) -> Body:
    return {"account_sid": result.account_sid, "workspace_sid": result.workspace_sid}


def workspace_statistics(base: str, result: Statistics, kind: str) -> Body:
    """`kind`: Statistics, RealTimeStatistics or CumulativeStatistics."""
    body = {**_owner(result), "url": f"{workspace_url(base, result.workspace_sid)}/{kind}"}
    return _with_figures(body, result, kind, workspace_realtime, workspace_cumulative)


def queue_statistics(base: str, result: Statistics, queue_sid: str, kind: str) -> Body:
    url = f"{workspace_url(base, result.workspace_sid)}/TaskQueues/{queue_sid}/{kind}"
    body = {**_owner(result), "task_queue_sid": queue_sid, "url": url}
    return _with_figures(body, result, kind, queue_realtime, queue_cumulative)


def queue_list_item(result: Statistics, queue_sid: str) -> Body:
    body = {**_owner(result), "task_queue_sid": queue_sid}
    return _with_figures(body, result, "Statistics", queue_realtime, queue_cumulative)


def bulk_queue_statistics(
    base: str, account_sid: str, workspace_sid: str, answers: list[tuple[str, RealTime]]
) -> Body:
    data = []
    for sid, live in answers:
        item = {"task_queue_sid": sid, **queue_realtime(live)}
        # The bulk answer lists these fields only (TaskRouter's documented set).
        item.pop("longest_relative_task_age_in_queue")
        item.pop("longest_relative_task_sid_in_queue")
        data.append(item)
    return {
        "account_sid": account_sid,
        "workspace_sid": workspace_sid,
        "task_queue_data": data,
        "task_queue_response_count": len(data),
        "url": f"{workspace_url(base, workspace_sid)}/TaskQueues/RealTimeStatistics",
    }


def workflow_statistics(base: str, result: Statistics, workflow_sid: str, kind: str) -> Body:
    url = f"{workspace_url(base, result.workspace_sid)}/Workflows/{workflow_sid}/{kind}"
    body = {**_owner(result), "workflow_sid": workflow_sid, "url": url}
    return _with_figures(body, result, kind, workflow_realtime, workflow_cumulative)


def workers_statistics(base: str, result: Statistics, kind: str) -> Body:
    url = f"{workspace_url(base, result.workspace_sid)}/Workers/{kind}"
    body = {**_owner(result), "url": url}
    return _with_figures(body, result, kind, workers_realtime, workers_cumulative)


def worker_statistics(base: str, result: Statistics, worker_sid: str) -> Body:
    url = f"{workspace_url(base, result.workspace_sid)}/Workers/{worker_sid}/Statistics"
    assert result.cumulative is not None
    return {
        **_owner(result),
        "worker_sid": worker_sid,
        "url": url,
        "cumulative": workers_cumulative(result.cumulative),
    }


def _with_figures(
    body: Body, result: Statistics, kind: str, realtime: Any, cumulative: Any
) -> Body:
    """Statistics nests both halves; RealTime- and CumulativeStatistics give one, flat."""
    if kind == "Statistics":
        assert result.realtime is not None and result.cumulative is not None
        return {
            **body,
            "realtime": realtime(result.realtime),
            "cumulative": cumulative(result.cumulative),
        }
    if kind == "RealTimeStatistics":
        assert result.realtime is not None
        return {**body, **realtime(result.realtime)}
    assert result.cumulative is not None
    return {**body, **cumulative(result.cumulative)}
