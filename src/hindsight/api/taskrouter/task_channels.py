"""/v1/Workspaces/{WS}/TaskChannels (addressable by SID or unique name)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import list_response, scope
from hindsight.routing.listing import TASK_CHANNEL_ORDER as SORT

router = Routes()
BASE = "/v1/Workspaces/{ws}/TaskChannels"


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(
        request, ("FriendlyName", "UniqueName", "ChannelOptimizedRouting")
    )
    row = await at.services.task_channels.create(
        at.caller,
        at.ws,
        params.required("FriendlyName"),
        params.required("UniqueName"),
        or_none(params.boolean("ChannelOptimizedRouting")),
    )
    return wire.json_response(render.task_channel(at.base, row), 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(request, paging.PAGING_PARAMS)
    page = paging.parse(params, SORT)
    result = await at.services.task_channels.list(at.caller, at.ws, page.request)
    base = at.base
    return list_response(
        request, "channels", result, SORT, page, lambda r: render.task_channel(base, r)
    )


@router.get(BASE + "/{key}")
async def fetch(request: Request, ws: str, key: str) -> Response:
    at = scope(request, ws)
    row = await at.services.task_channels.fetch(at.caller, at.ws, key)
    return wire.json_response(render.task_channel(at.base, row))


@router.post(BASE + "/{key}")
async def update(request: Request, ws: str, key: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, ("FriendlyName", "ChannelOptimizedRouting"))
    row = await at.services.task_channels.update(
        at.caller,
        at.ws,
        key,
        or_none(params.text("FriendlyName")),
        or_none(params.boolean("ChannelOptimizedRouting")),
    )
    return wire.json_response(render.task_channel(at.base, row))


@router.delete(BASE + "/{key}")
async def delete(request: Request, ws: str, key: str) -> Response:
    at = scope(request, ws)
    await at.services.task_channels.delete(at.caller, at.ws, key)
    return wire.no_content()
