"""/v1/Workspaces/{WS}/Workflows"""

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
from hindsight.routing.listing import WORKFLOW_ORDER as SORT
from hindsight.routing.workflows import WorkflowRecord, WorkflowSettings

router = Routes()
WORKFLOWS = ChildResource[WorkflowRecord](
    "Workflows", Prefix.WORKFLOW, "workflows", lambda s: s.workflows, at_base(render.workflow)
)
BASE = WORKFLOWS.base
_SETTINGS = (
    "FriendlyName",
    "Configuration",
    "AssignmentCallbackUrl",
    "FallbackAssignmentCallbackUrl",
    "TaskReservationTimeout",
)


def _settings(params: Params) -> WorkflowSettings:
    return changes_of(
        WorkflowSettings,
        friendly_name=params.text("FriendlyName"),
        configuration=params.text("Configuration"),
        assignment_callback_url=params.text("AssignmentCallbackUrl"),
        fallback_assignment_callback_url=params.text("FallbackAssignmentCallbackUrl"),
        task_reservation_timeout=params.integer("TaskReservationTimeout"),
    )


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, _SETTINGS)
    params.required("FriendlyName")
    params.required("Configuration")
    row = await at.services.workflows.create(at.caller, at.ws, _settings(params))
    return WORKFLOWS.respond(at, row, 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(request, ("FriendlyName", *paging.PAGING_PARAMS))
    page = paging.parse(params, SORT)
    result = await at.services.workflows.list(
        at.caller, at.ws, or_none(params.text("FriendlyName")), page.request
    )
    return WORKFLOWS.page(request, at, result, SORT, page)


WORKFLOWS.route_fetch_and_delete(router)


@router.post(WORKFLOWS.item)
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = WORKFLOWS.key(at.ws, sid)
    params = await wire.body_params(request, (*_SETTINGS, "ReEvaluateTasks"))
    row = await at.services.workflows.update(
        at.caller,
        at.ws,
        sid,
        _settings(params),
        re_evaluate=params.boolean("ReEvaluateTasks") is True,
    )
    return WORKFLOWS.respond(at, row)
