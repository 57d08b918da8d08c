"""A person's saved searches and hidden list columns (JSON, session or not: people only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.api.openapi_document import error_answers
from hindsight.domain.access import Viewer
from hindsight.search.saved import SavedSearch

router = APIRouter(prefix="/api/v1/insights", tags=["saved searches"])
MAX_BODY = 8192


def saved_json(search: SavedSearch) -> dict[str, Any]:
    return {
        "sid": search.sid,
        "name": search.name,
        "query": search.query,
        "url": f"/conversations?{search.query}",
        "created_ms": search.created_ms,
        "updated_ms": search.updated_ms,
    }


def _saved(request: Request) -> Any:
    return identity.services(request).saved_searches


@router.get("/saved-searches", summary="Your saved searches, by name")
async def list_saved(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    found = await _saved(request).list(viewer)
    return json_response({"saved_searches": [saved_json(s) for s in found]})


@router.post(
    "/saved-searches",
    status_code=201,
    summary="Save the list's filters under a name",
    responses=error_answers(409),
)
async def save(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    body = await json_object(request, MAX_BODY, ("name", "query"))
    saved = await _saved(request).save(viewer, body.get("name"), body.get("query", ""))
    return json_response(saved_json(saved), status=201)


@router.patch(
    "/saved-searches/{sid}",
    summary="Rename one of your saved searches",
    responses=error_answers(409),
)
async def rename(request: Request, sid: str, viewer: Viewer = Depends(identity.person)) -> Response:
    body = await json_object(request, MAX_BODY, ("name",))
    saved = await _saved(request).rename(viewer, sid, body.get("name"))
    return json_response(saved_json(saved))


@router.delete("/saved-searches/{sid}", status_code=204, summary="Delete a saved search")
async def delete(request: Request, sid: str, viewer: Viewer = Depends(identity.person)) -> Response:
    await _saved(request).delete(viewer, sid)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.get("/list-columns", summary="The conversation list's columns you hide")
async def hidden_columns(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    return json_response({"hidden_columns": await _saved(request).hidden_columns(viewer)})


@router.put("/list-columns", summary="Choose the conversation list's columns to hide")
async def hide_columns(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    body = await json_object(request, MAX_BODY, ("hidden_columns",))
    hidden = await _saved(request).hide_columns(viewer, body.get("hidden_columns"))
    return json_response({"hidden_columns": hidden})
