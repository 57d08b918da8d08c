"""/v1/Workspaces/{WS}/Events"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import (
    list_response,
    path_sid,
    scope,
)
from hindsight.domain.sids import Prefix
from hindsight.routing.events import EventFilters
from hindsight.routing.listing import EVENT_ORDER as SORT

router = Routes()
BASE = "/v1/Workspaces/{ws}/Events"


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(
        request,
        (
            "EndDate",
            "EventType",
            "Minutes",
            "ReservationSid",
            "StartDate",
            "TaskQueueSid",
            "TaskSid",
            "WorkerSid",
            "WorkflowSid",
            "TaskChannel",
            "Sid",
            *paging.PAGING_PARAMS,
        ),
    )
    page = paging.parse(params, SORT)
    filters = EventFilters(
        start_ms=or_none(params.date("StartDate")),
        end_ms=or_none(params.date("EndDate")),
        minutes=or_none(params.integer("Minutes", minimum=1)),
        event_type=or_none(params.text("EventType")),
        task_sid=or_none(params.sid("TaskSid", Prefix.TASK)),
        worker_sid=or_none(params.sid("WorkerSid", Prefix.WORKER)),
        reservation_sid=or_none(params.sid("ReservationSid", Prefix.RESERVATION)),
        task_queue_sid=or_none(params.sid("TaskQueueSid", Prefix.TASK_QUEUE)),
        workflow_sid=or_none(params.sid("WorkflowSid", Prefix.WORKFLOW)),
        task_channel=or_none(params.text("TaskChannel")),
        sid=or_none(params.sid("Sid", Prefix.EVENT)),
    )
    result = await at.services.events.list(at.caller, at.ws, filters, page.request)
    base = at.base
    return list_response(request, "events", result, SORT, page, lambda r: render.event(base, r))


@router.get(BASE + "/{sid}")
async def fetch(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = path_sid(sid, Prefix.EVENT, f"/Workspaces/{at.ws}/Events/{sid}")
    row = await at.services.events.fetch(at.caller, at.ws, sid)
    return wire.json_response(render.event(at.base, row))
