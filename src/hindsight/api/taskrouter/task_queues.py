"""/v1/Workspaces/{WS}/TaskQueues"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params, or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import ChildResource, at_base, scope
from hindsight.domain.sids import Prefix
from hindsight.domain.unset import changes_of
from hindsight.routing.task_queues import (
    QueueFilters,
    QueueSettings,
    TaskQueueRecord,
    sort_keys,
)

router = Routes()
TASK_QUEUES = ChildResource[TaskQueueRecord](
    "TaskQueues",
    Prefix.TASK_QUEUE,
    "task_queues",
    lambda s: s.task_queues,
    at_base(render.task_queue),
)
BASE = TASK_QUEUES.base
_SETTINGS = (
    "FriendlyName",
    "TargetWorkers",
    "MaxReservedWorkers",
    "TaskOrder",
    "ReservationActivitySid",
    "AssignmentActivitySid",
)


def _settings(params: Params) -> QueueSettings:
    return changes_of(
        QueueSettings,
        friendly_name=params.text("FriendlyName"),
        target_workers=params.text("TargetWorkers"),
        max_reserved_workers=params.integer("MaxReservedWorkers"),
        task_order=params.choice("TaskOrder", ("FIFO", "LIFO")),
        reservation_activity_sid=params.sid("ReservationActivitySid", Prefix.ACTIVITY),
        assignment_activity_sid=params.sid("AssignmentActivitySid", Prefix.ACTIVITY),
    )


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, _SETTINGS)
    params.required("FriendlyName")
    row = await at.services.task_queues.create(at.caller, at.ws, _settings(params))
    return TASK_QUEUES.respond(at, row, 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(
        request,
        (
            "FriendlyName",
            "EvaluateWorkerAttributes",
            "WorkerSid",
            "Ordering",
            *paging.PAGING_PARAMS,
        ),
    )
    ordering = or_none(params.text("Ordering"))
    keys = sort_keys(ordering)
    page = paging.parse(params, keys, ordering or "")
    filters = QueueFilters(
        friendly_name=or_none(params.text("FriendlyName")),
        evaluate_worker_attributes=or_none(params.text("EvaluateWorkerAttributes")),
        worker_sid=or_none(params.sid("WorkerSid", Prefix.WORKER)),
    )
    result = await at.services.task_queues.list(at.caller, at.ws, filters, keys, page.request)
    return TASK_QUEUES.page(request, at, result, keys, page)


TASK_QUEUES.route_fetch_and_delete(router)


@router.post(TASK_QUEUES.item)
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = TASK_QUEUES.key(at.ws, sid)
    params = await wire.body_params(request, _SETTINGS)
    row = await at.services.task_queues.update(at.caller, at.ws, sid, _settings(params))
    return TASK_QUEUES.respond(at, row)
