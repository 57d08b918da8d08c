"""/v1/Workspaces/{WS}/Workflows"""

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
from hindsight.routing.listing import WORKFLOW_ORDER as SORT
from hindsight.routing.workflows import WorkflowSettings

router = Routes()
BASE = "/v1/Workspaces/{ws}/Workflows"
_SETTINGS = (
    "FriendlyName",
    "Configuration",
    "AssignmentCallbackUrl",
    "FallbackAssignmentCallbackUrl",
    "TaskReservationTimeout",
)


def _sid(ws: str, sid: str) -> str:
    return path_sid(sid, Prefix.WORKFLOW, f"/Workspaces/{ws}/Workflows/{sid}")


def _settings(params: Params) -> WorkflowSettings:
    given = {
        "friendly_name": params.text("FriendlyName"),
        "configuration": params.text("Configuration"),
        "assignment_callback_url": params.text("AssignmentCallbackUrl"),
        "fallback_assignment_callback_url": params.text("FallbackAssignmentCallbackUrl"),
        "task_reservation_timeout": params.integer("TaskReservationTimeout"),
    }
    return WorkflowSettings(**{k: v for k, v in given.items() if or_none(v) is not None})


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, _SETTINGS)
    params.required("FriendlyName")
    params.required("Configuration")
    row = await at.services.workflows.create(at.caller, at.ws, _settings(params))
    return wire.json_response(render.workflow(at.base, row), 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(request, ("FriendlyName", *paging.PAGING_PARAMS))
    page = paging.parse(params, SORT)
    result = await at.services.workflows.list(
        at.caller, at.ws, or_none(params.text("FriendlyName")), page.request
    )
    base = at.base
    return list_response(
        request, "workflows", result, SORT, page, lambda r: render.workflow(base, r)
    )


@router.get(BASE + "/{sid}")
async def fetch(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    row = await at.services.workflows.fetch(at.caller, at.ws, _sid(at.ws, sid))
    return wire.json_response(render.workflow(at.base, row))


@router.post(BASE + "/{sid}")
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = _sid(at.ws, sid)
    params = await wire.body_params(request, (*_SETTINGS, "ReEvaluateTasks"))
    row = await at.services.workflows.update(
        at.caller,
        at.ws,
        sid,
        _settings(params),
        re_evaluate=params.boolean("ReEvaluateTasks") is True,
    )
    return wire.json_response(render.workflow(at.base, row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    await at.services.workflows.delete(at.caller, at.ws, _sid(at.ws, sid))
    return wire.no_content()
