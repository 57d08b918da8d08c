"""/v1/Workspaces/{WS}/Workers and their Channels"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import ChildResource, at_base, list_response, scope
from hindsight.domain.sids import Prefix
from hindsight.routing.listing import WORKER_CHANNEL_ORDER as CHANNEL_SORT
from hindsight.routing.workers import WorkerChanges, WorkerFilters, WorkerRecord, sort_keys

router = Routes()
WORKERS = ChildResource[WorkerRecord](
    "Workers", Prefix.WORKER, "workers", lambda s: s.workers, at_base(render.worker), True
)
BASE = WORKERS.base
_TRUE_FILTER = {"true", "1", "yes", "True"}


def _sid(ws: str, sid: str) -> str:
    return WORKERS.key(ws, sid)


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, ("FriendlyName", "ActivitySid", "Attributes"))
    row = await at.services.workers.create(
        at.caller,
        at.ws,
        params.required("FriendlyName"),
        or_none(params.sid("ActivitySid", Prefix.ACTIVITY)),
        or_none(params.text("Attributes")),
    )
    return WORKERS.respond(at, row, 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(
        request,
        (
            "ActivityName",
            "ActivitySid",
            "Available",
            "FriendlyName",
            "TargetWorkersExpression",
            "TaskQueueName",
            "TaskQueueSid",
            "Ordering",
            *paging.PAGING_PARAMS,
        ),
    )
    ordering = or_none(params.text("Ordering"))
    keys = sort_keys(ordering)
    page = paging.parse(params, keys, ordering or "")
    available = or_none(params.text("Available"))
    filters = WorkerFilters(
        activity_name=or_none(params.text("ActivityName")),
        activity_sid=or_none(params.sid("ActivitySid", Prefix.ACTIVITY)),
        # As documented: true, 1 or yes select available workers; any other value unavailable.
        available=None if available is None else available in _TRUE_FILTER,
        friendly_name=or_none(params.text("FriendlyName")),
        target_workers_expression=or_none(params.text("TargetWorkersExpression")),
        task_queue_name=or_none(params.text("TaskQueueName")),
        task_queue_sid=or_none(params.sid("TaskQueueSid", Prefix.TASK_QUEUE)),
    )
    result = await at.services.workers.list(at.caller, at.ws, filters, keys, page.request)
    return WORKERS.page(request, at, result, keys, page)


WORKERS.route_fetch_and_delete(router)


@router.post(WORKERS.item)
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = _sid(at.ws, sid)
    params = await wire.body_params(
        request, ("ActivitySid", "Attributes", "FriendlyName", "RejectPendingReservations")
    )
    changes = WorkerChanges(
        friendly_name=params.text("FriendlyName"),
        activity_sid=params.sid("ActivitySid", Prefix.ACTIVITY),
        attributes=params.text("Attributes"),
        reject_pending_reservations=params.boolean("RejectPendingReservations") is True,
    )
    row = await at.services.workers.update(at.caller, at.ws, sid, changes, wire.if_match(request))
    return WORKERS.respond(at, row)


@router.get(BASE + "/{worker}/Channels")
async def list_channels(request: Request, ws: str, worker: str) -> Response:
    at = scope(request, ws)
    worker = _sid(at.ws, worker)
    params = wire.query_params(request, paging.PAGING_PARAMS)
    page = paging.parse(params, CHANNEL_SORT)
    result = await at.services.workers.list_channels(at.caller, at.ws, worker, page.request)
    base = at.base
    return list_response(
        request,
        "channels",
        result,
        CHANNEL_SORT,
        page,
        lambda r: render.worker_channel(base, r),
    )


@router.get(BASE + "/{worker}/Channels/{key}")
async def fetch_channel(request: Request, ws: str, worker: str, key: str) -> Response:
    at = scope(request, ws)
    row = await at.services.workers.fetch_channel(at.caller, at.ws, _sid(at.ws, worker), key)
    return wire.json_response(render.worker_channel(at.base, row))


@router.post(BASE + "/{worker}/Channels/{key}")
async def update_channel(request: Request, ws: str, worker: str, key: str) -> Response:
    at = scope(request, ws)
    worker = _sid(at.ws, worker)
    params = await wire.body_params(request, ("Capacity", "Available"))
    row = await at.services.workers.update_channel(
        at.caller,
        at.ws,
        worker,
        key,
        or_none(params.integer("Capacity")),
        or_none(params.boolean("Available")),
    )
    return wire.json_response(render.worker_channel(at.base, row))
