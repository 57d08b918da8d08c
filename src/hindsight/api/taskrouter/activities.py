"""/v1/Workspaces/{WS}/Activities"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import ChildResource, at_base, scope
from hindsight.domain.sids import Prefix
from hindsight.routing.activities import ActivityRecord
from hindsight.routing.listing import ACTIVITY_ORDER as SORT

router = Routes()
ACTIVITIES = ChildResource[ActivityRecord](
    "Activities", Prefix.ACTIVITY, "activities", lambda s: s.activities, at_base(render.activity)
)
BASE = ACTIVITIES.base


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(request, ("FriendlyName", "Available"))
    row = await at.services.activities.create(
        at.caller,
        at.ws,
        params.required("FriendlyName"),
        or_none(params.boolean("Available")) is True,
    )
    return ACTIVITIES.respond(at, row, 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(request, ("FriendlyName", "Available", *paging.PAGING_PARAMS))
    page = paging.parse(params, SORT)
    result = await at.services.activities.list(
        at.caller,
        at.ws,
        or_none(params.text("FriendlyName")),
        or_none(params.boolean("Available")),
        page.request,
    )
    return ACTIVITIES.page(request, at, result, SORT, page)


ACTIVITIES.route_fetch_and_delete(router)


@router.post(ACTIVITIES.item)
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = ACTIVITIES.key(at.ws, sid)
    params = await wire.body_params(request, ("FriendlyName",))
    row = await at.services.activities.rename(
        at.caller, at.ws, sid, or_none(params.text("FriendlyName"))
    )
    return ACTIVITIES.respond(at, row)
