"""/v1/Workspaces"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import caller, list_response, services, workspace_sid
from hindsight.domain.sids import Prefix
from hindsight.routing.listing import WORKSPACE_ORDER as SORT
from hindsight.routing.workspaces import NewWorkspace, WorkspaceChanges

router = Routes()
_QUEUE_ORDER = ("FIFO", "LIFO")


@router.post("/v1/Workspaces")
async def create(request: Request) -> Response:
    params = await wire.body_params(
        request,
        (
            "FriendlyName",
            "EventCallbackUrl",
            "EventsFilter",
            "MultiTaskEnabled",
            "Template",
            "PrioritizeQueueOrder",
        ),
    )
    spec = NewWorkspace(
        friendly_name=params.required("FriendlyName"),
        event_callback_url=or_none(params.text("EventCallbackUrl")),
        events_filter=or_none(params.text("EventsFilter")),
        multi_task_enabled=or_none(params.boolean("MultiTaskEnabled")) is not False,
        template=or_none(params.text("Template")) or "NONE",
        prioritize_queue_order=or_none(params.choice("PrioritizeQueueOrder", _QUEUE_ORDER))
        or "FIFO",
    )
    row = await services(request).workspaces.create(caller(request), spec)
    return wire.json_response(render.workspace(wire.base_url(request), row), 201)


@router.get("/v1/Workspaces")
async def list_(request: Request) -> Response:
    params = wire.query_params(request, ("FriendlyName", *paging.PAGING_PARAMS))
    page = paging.parse(params, SORT)
    result = await services(request).workspaces.list(
        caller(request), or_none(params.text("FriendlyName")), page.request
    )
    base = wire.base_url(request)
    return list_response(
        request, "workspaces", result, SORT, page, lambda r: render.workspace(base, r)
    )


@router.get("/v1/Workspaces/{sid}")
async def fetch(request: Request, sid: str) -> Response:
    row = await services(request).workspaces.fetch(caller(request), workspace_sid(sid))
    return wire.json_response(render.workspace(wire.base_url(request), row))


@router.post("/v1/Workspaces/{sid}")
async def update(request: Request, sid: str) -> Response:
    ws = workspace_sid(sid)
    params = await wire.body_params(
        request,
        (
            "DefaultActivitySid",
            "EventCallbackUrl",
            "EventsFilter",
            "FriendlyName",
            "MultiTaskEnabled",
            "TimeoutActivitySid",
            "PrioritizeQueueOrder",
        ),
    )
    changes = WorkspaceChanges(
        **{
            key: value
            for key, value in (
                ("friendly_name", params.text("FriendlyName")),
                ("event_callback_url", params.text("EventCallbackUrl")),
                ("events_filter", params.text("EventsFilter")),
                ("multi_task_enabled", params.boolean("MultiTaskEnabled")),
                ("default_activity_sid", params.sid("DefaultActivitySid", Prefix.ACTIVITY)),
                ("timeout_activity_sid", params.sid("TimeoutActivitySid", Prefix.ACTIVITY)),
                (
                    "prioritize_queue_order",
                    params.choice("PrioritizeQueueOrder", _QUEUE_ORDER),
                ),
            )
            if or_none(value) is not None
        }
    )
    row = await services(request).workspaces.update(caller(request), ws, changes)
    return wire.json_response(render.workspace(wire.base_url(request), row))


@router.delete("/v1/Workspaces/{sid}")
async def delete(request: Request, sid: str) -> Response:
    await services(request).workspaces.delete(caller(request), workspace_sid(sid))
    return wire.no_content()
