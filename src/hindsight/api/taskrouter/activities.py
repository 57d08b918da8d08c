"""/v1/Workspaces/{WS}/Activities"""

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
from hindsight.routing.listing import ACTIVITY_ORDER as SORT

router = Routes()
BASE = "/v1/Workspaces/{ws}/Activities"


def _sid(ws: str, sid: str) -> str:
    return path_sid(sid, Prefix.ACTIVITY, f"/Workspaces/{ws}/Activities/{sid}")


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
    return wire.json_response(render.activity(at.base, row), 201)


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
    base = at.base
    return list_response(
        request, "activities", result, SORT, page, lambda r: render.activity(base, r)
    )


@router.get(BASE + "/{sid}")
async def fetch(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    row = await at.services.activities.fetch(at.caller, at.ws, _sid(at.ws, sid))
    return wire.json_response(render.activity(at.base, row))


@router.post(BASE + "/{sid}")
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = _sid(at.ws, sid)
    params = await wire.body_params(request, ("FriendlyName",))
    row = await at.services.activities.rename(
        at.caller, at.ws, sid, or_none(params.text("FriendlyName"))
    )
    return wire.json_response(render.activity(at.base, row))


@router.delete(BASE + "/{sid}")
async def delete(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    await at.services.activities.delete(at.caller, at.ws, _sid(at.ws, sid))
    return wire.no_content()
