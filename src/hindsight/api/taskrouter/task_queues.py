"""/v1/Workspaces/{WS}/TaskQueues"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params, or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import (
    list_response,
    path_sid,
    scope,
)
from hindsight.domain.sids import Prefix
from hindsight.routing.task_queues import QueueFilters, QueueSettings, sort_keys

router = Routes()
BASE = "/v1/Workspaces/{ws}/TaskQueues"
_SETTINGS = (
    "FriendlyName",
    "TargetWorkers",
    "MaxReservedWorkers",
    "TaskOrder",
    "ReservationActivitySid",
    "AssignmentActivitySid",
)


def _sid(ws: str, sid: str) -> str:
    return path_sid(sid, Prefix.TASK_QUEUE, f"/Workspaces/{ws}/TaskQueues/{sid}")


def _settings(params: Params) -> QueueSettings:
    given = {
        "friendly_name": params.text("FriendlyName"),
        "target_workers": params.text("TargetWorkers"),
        "max_reserved_workers": params.integer("MaxReservedWorkers"),
        "task_order": params.choice("TaskOrder", ("FIFO", "LIFO")),
        "reservation_activity_sid": params.sid("ReservationActivitySid", Prefix.ACTIVITY),
        "assignment_activity_sid": params.sid("AssignmentActivitySid", Prefix.ACTIVITY),
    }
    return QueueSettings(**{k: v for k, v in given.items() if or_none(v) is not None})


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, _SETTINGS)
    params.required("FriendlyName")
    row = await at.services.task_queues.create(at.caller, at.ws, _settings(params))
    return wire.json_response(render.task_queue(at.base, row), 201)


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
    base = at.base
    return list_response(
        request, "task_queues", result, keys, page, lambda r: render.task_queue(base, r)
    )


@router.get(BASE + "/{sid}")
async def fetch(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    row = await at.services.task_queues.fetch(at.caller, at.ws, _sid(at.ws, sid))
    return wire.json_response(render.task_queue(at.base, row))


@router.post(BASE + "/{sid}")
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = _sid(at.ws, sid)
    params = await wire.body_params(request, _SETTINGS)
    row = await at.services.task_queues.update(at.caller, at.ws, sid, _settings(params))
    return wire.json_response(render.task_queue(at.base, row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    await at.services.task_queues.delete(at.caller, at.ws, _sid(at.ws, sid))
    return wire.no_content()
