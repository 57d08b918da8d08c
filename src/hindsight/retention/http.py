"""Retention: `/api/v1/retention` — the account's policy, legal holds, and sweeps on demand.

Admins (and the account's own credentials, for e-discovery tools) only. JSON in and out.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.api.paging import decode_token, encode_token
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest
from hindsight.domain.retention import FIELDS
from hindsight.retention.service import HOLD_ORDER, conversation_id_of, hold_json

PREFIX = "/api/v1/retention"
_MAX_BODY = 16 * 1024
_HOLD_ORDERING = "holds:newest"

router = APIRouter(prefix=PREFIX, tags=["retention"])


@router.get("/policy", summary="The account's retention policy")
async def get_policy(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    view = await identity.services(request).retention.policy(viewer)
    return json_response(view.to_json())


@router.post("/policy", summary="Change the retention policy (days, or null: keep for ever)")
async def set_policy(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, FIELDS)
    view = await identity.services(request).retention.set_policy(viewer, document)
    return json_response(view.to_json())


@router.get("/holds", summary="Conversations on legal hold, newest first")
async def list_holds(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    page_size: int = Query(100, ge=1, le=1000),
    page_token: str | None = Query(None),
) -> Response:
    after = None
    if page_token:
        _direction, after = decode_token(page_token, _HOLD_ORDERING, HOLD_ORDER)
    result = await identity.services(request).retention.holds(
        viewer, PageRequest(size=page_size, after=after)
    )
    next_token = None
    if result.has_next and result.rows:
        last = result.rows[-1]
        next_token = encode_token("a", (last.placed_ms, last.conversation_id), _HOLD_ORDERING)
    return json_response(
        {
            "holds": [hold_json(r) for r in result.rows],
            "meta": {"page_size": page_size, "next_page_token": next_token},
        }
    )


@router.post("/holds", status_code=201, summary="Place a conversation on legal hold")
async def place_hold(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"conversation_id", "reason"})
    conversation_id = document.get("conversation_id")
    if not isinstance(conversation_id, str):
        raise InvalidParameter("conversation_id is required")
    row = await identity.services(request).retention.place_hold(
        viewer, conversation_id, document.get("reason")
    )
    return json_response(hold_json(row), status=201)


@router.get("/holds/{conversation_id}", summary="One conversation's hold (404: not on hold)")
async def get_hold(
    conversation_id: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    row = await identity.services(request).retention.hold(
        viewer, conversation_id_of(conversation_id)
    )
    return json_response(hold_json(row))


@router.delete("/holds/{conversation_id}", status_code=204, summary="Release a legal hold")
async def release_hold(
    conversation_id: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    await identity.services(request).retention.release_hold(
        viewer, conversation_id_of(conversation_id)
    )
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.get("/runs", summary="The account's latest retention sweeps")
async def list_runs(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    limit: int = Query(20, ge=1, le=200),
) -> Response:
    reports = await identity.services(request).retention.runs(viewer, limit)
    return json_response({"runs": [r.to_json() for r in reports]})


@router.post("/runs", summary="Sweep now by the policy; dry_run counts without deleting")
async def run(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"dry_run"})
    dry_run = document.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise InvalidParameter("dry_run must be true or false")
    report = await identity.services(request).retention.run(viewer, dry_run=dry_run)
    return json_response(report.to_json())
