"""/v1/Workspaces/{WS}/TaskChannels (addressable by SID or unique name)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import ChildResource, at_base, scope
from hindsight.routing.listing import TASK_CHANNEL_ORDER as SORT
from hindsight.routing.task_channels import TaskChannelRecord

router = Routes()
TASK_CHANNELS = ChildResource[TaskChannelRecord](
    "TaskChannels", None, "channels", lambda s: s.task_channels, at_base(render.task_channel)
)
BASE = TASK_CHANNELS.base


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
    return TASK_CHANNELS.respond(at, row, 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(request, paging.PAGING_PARAMS)
    page = paging.parse(params, SORT)
    result = await at.services.task_channels.list(at.caller, at.ws, page.request)
    return TASK_CHANNELS.page(request, at, result, SORT, page)


TASK_CHANNELS.route_fetch_and_delete(router)


@router.post(TASK_CHANNELS.item)
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, ("FriendlyName", "ChannelOptimizedRouting"))
    row = await at.services.task_channels.update(
        at.caller,
        at.ws,
        sid,  # or the unique name
        or_none(params.text("FriendlyName")),
        or_none(params.boolean("ChannelOptimizedRouting")),
    )
    return TASK_CHANNELS.respond(at, row)
