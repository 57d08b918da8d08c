"""Reservations: /Tasks/{WT}/Reservations and /Workers/{WK}/Reservations"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params, or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import (
    caller,
    list_response,
    path_sid,
    scope,
    services,
)
from hindsight.domain.sids import Prefix
from hindsight.routing.reservations import SORT, Answer, Parent, ReservationRecord

router = Routes()
TASK_BASE = "/v1/Workspaces/{ws}/Tasks/{task}/Reservations"
WORKER_BASE = "/v1/Workspaces/{ws}/Workers/{worker}/Reservations"

# Everything the spec lets a reservation update carry. Only these are acted on:
# ReservationStatus, Instruction, WorkerActivitySid (the rest drive Twilio's telephony).
_UPDATE_PARAMS = (
    "ReservationStatus",
    "WorkerActivitySid",
    "Instruction",
    "DequeuePostWorkActivitySid",
    "DequeueFrom",
    "DequeueRecord",
    "DequeueTimeout",
    "DequeueTo",
    "DequeueStatusCallbackUrl",
    "CallFrom",
    "CallRecord",
    "CallTimeout",
    "CallTo",
    "CallUrl",
    "CallStatusCallbackUrl",
    "CallAccept",
    "RedirectCallSid",
    "RedirectAccept",
    "RedirectUrl",
    "To",
    "From",
    "StatusCallback",
    "StatusCallbackMethod",
    "StatusCallbackEvent",
    "Timeout",
    "Record",
    "Muted",
    "Beep",
    "StartConferenceOnEnter",
    "EndConferenceOnExit",
    "WaitUrl",
    "WaitMethod",
    "EarlyMedia",
    "MaxParticipants",
    "ConferenceStatusCallback",
    "ConferenceStatusCallbackMethod",
    "ConferenceStatusCallbackEvent",
    "ConferenceRecord",
    "ConferenceTrim",
    "RecordingChannels",
    "RecordingStatusCallback",
    "RecordingStatusCallbackMethod",
    "ConferenceRecordingStatusCallback",
    "ConferenceRecordingStatusCallbackMethod",
    "Region",
    "SipAuthUsername",
    "SipAuthPassword",
    "DequeueStatusCallbackEvent",
    "PostWorkActivitySid",
    "SupervisorMode",
    "Supervisor",
    "EndConferenceOnCustomerExit",
    "BeepOnCustomerEntrance",
    "JitterBufferSize",
)

# The worker sub-resource takes the same, less the supervisor (coaching) parameters.
_WORKER_UPDATE_PARAMS = tuple(
    p for p in _UPDATE_PARAMS if p not in ("SupervisorMode", "Supervisor")
)


def _parent(ws: str, task: str | None = None, worker: str | None = None) -> Parent:
    if task is not None:
        return Parent(task_sid=path_sid(task, Prefix.TASK, f"/Workspaces/{ws}/Tasks/{task}"))
    return Parent(
        worker_sid=path_sid(worker or "", Prefix.WORKER, f"/Workspaces/{ws}/Workers/{worker}")
    )


def _answer(params: Params) -> Answer:
    return Answer(
        status=or_none(params.text("ReservationStatus")),
        instruction=or_none(params.text("Instruction")),
        worker_activity_sid=or_none(params.sid("WorkerActivitySid", Prefix.ACTIVITY))
        or or_none(params.sid("PostWorkActivitySid", Prefix.ACTIVITY)),
    )


def _one(request: Request, row: ReservationRecord, through_worker: bool) -> Response:
    body = render.reservation(wire.base_url(request), row, through_worker)
    return wire.json_response(body, etag=wire.etag_for(row.version))


async def _list(request: Request, ws: str, parent: Parent, with_worker_filter: bool) -> Response:
    allowed = ("ReservationStatus", *paging.PAGING_PARAMS)
    if with_worker_filter:
        allowed = ("WorkerSid", *allowed)
    params = wire.query_params(request, allowed)
    page = paging.parse(params, SORT)
    result = await services(request).reservations.list(
        caller(request),
        ws,
        parent,
        or_none(params.text("ReservationStatus")),
        or_none(params.sid("WorkerSid", Prefix.WORKER)) if with_worker_filter else None,
        page.request,
    )
    base = wire.base_url(request)
    through_worker = parent.worker_sid is not None
    return list_response(
        request,
        "reservations",
        result,
        SORT,
        page,
        lambda r: render.reservation(base, r, through_worker),
    )


def _sid(ws: str, sid: str) -> str:
    return path_sid(sid, Prefix.RESERVATION, f"/Workspaces/{ws}/Reservations/{sid}")


@router.get(TASK_BASE)
async def list_for_task(request: Request, ws: str, task: str) -> Response:
    at = scope(request, ws)
    return await _list(request, at.ws, _parent(at.ws, task=task), with_worker_filter=True)


@router.get(WORKER_BASE)
async def list_for_worker(request: Request, ws: str, worker: str) -> Response:
    at = scope(request, ws)
    return await _list(request, at.ws, _parent(at.ws, worker=worker), with_worker_filter=False)


async def _fetch(
    request: Request, ws: str, sid: str, task: str | None = None, worker: str | None = None
) -> Response:
    """One reservation, through its task or its worker (as the URL names it)."""
    at = scope(request, ws)
    parent = _parent(at.ws, task=task, worker=worker)
    row = await at.services.reservations.fetch(at.caller, at.ws, parent, _sid(at.ws, sid))
    return _one(request, row, through_worker=worker is not None)


@router.get(TASK_BASE + "/{sid}")
async def fetch_for_task(request: Request, ws: str, task: str, sid: str) -> Response:
    return await _fetch(request, ws, sid, task=task)


@router.get(WORKER_BASE + "/{sid}")
async def fetch_for_worker(request: Request, ws: str, worker: str, sid: str) -> Response:
    return await _fetch(request, ws, sid, worker=worker)


@router.post(TASK_BASE + "/{sid}")
async def update_for_task(request: Request, ws: str, task: str, sid: str) -> Response:
    at = scope(request, ws)
    parent = _parent(at.ws, task=task)
    params = await wire.body_params(request, _UPDATE_PARAMS)
    row = await at.services.reservations.update(
        at.caller, at.ws, parent, _sid(at.ws, sid), _answer(params), wire.if_match(request)
    )
    return _one(request, row, through_worker=False)


@router.post(WORKER_BASE + "/{sid}")
async def update_for_worker(request: Request, ws: str, worker: str, sid: str) -> Response:
    at = scope(request, ws)
    parent = _parent(at.ws, worker=worker)
    params = await wire.body_params(
        request, [p for p in _UPDATE_PARAMS if p not in ("SupervisorMode", "Supervisor")]
    )
    row = await at.services.reservations.update(
        at.caller, at.ws, parent, _sid(at.ws, sid), _answer(params), wire.if_match(request)
    )
    return _one(request, row, through_worker=True)
