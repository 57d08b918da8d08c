"""/v1/Workspaces/{WS}/TaskChannels (addressable by SID or unique name)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import caller, list_response, services, workspace_sid
from hindsight.routing.listing import TASK_CHANNEL_ORDER as SORT

router = Routes()
BASE = "/v1/Workspaces/{ws}/TaskChannels"


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    ws = workspace_sid(ws)
    params = await wire.body_params(
        request, ("FriendlyName", "UniqueName", "ChannelOptimizedRouting")
    )
    row = await services(request).task_channels.create(
        caller(request),
        ws,
        params.required("FriendlyName"),
        params.required("UniqueName"),
        or_none(params.boolean("ChannelOptimizedRouting")),
    )
    return wire.json_response(render.task_channel(wire.base_url(request), row), 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    ws = workspace_sid(ws)
    params = wire.query_params(request, paging.PAGING_PARAMS)
    page = paging.parse(params, SORT)
    result = await services(request).task_channels.list(caller(request), ws, page.request)
    base = wire.base_url(request)
    return list_response(
        request, "channels", result, SORT, page, lambda r: render.task_channel(base, r)
    )


@router.get(BASE + "/{key}")
async def fetch(request: Request, ws: str, key: str) -> Response:
    ws = workspace_sid(ws)
    row = await services(request).task_channels.fetch(caller(request), ws, key)
    return wire.json_response(render.task_channel(wire.base_url(request), row))


@router.post(BASE + "/{key}")
async def update(request: Request, ws: str, key: str) -> Response:
    ws = workspace_sid(ws)
    params = await wire.body_params(request, ("FriendlyName", "ChannelOptimizedRouting"))
    row = await services(request).task_channels.update(
        caller(request),
        ws,
        key,
        or_none(params.text("FriendlyName")),
        or_none(params.boolean("ChannelOptimizedRouting")),
    )
    return wire.json_response(render.task_channel(wire.base_url(request), row))


@router.delete(BASE + "/{key}")
async def delete(request: Request, ws: str, key: str) -> Response:
    ws = workspace_sid(ws)
    await services(request).task_channels.delete(caller(request), ws, key)
    return wire.no_content()
