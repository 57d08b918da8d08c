"""Bulk media exports: ask for a ZIP of conversations' recordings and transcripts, follow its
progress, download it once. Under /api/v1/insights/exports; the Export right is needed.

`POST /exports` takes `{"conversation_ids": [...]}` (selected conversations) or
`{"all_matching": true}` with the conversation search's filters as query parameters (every
match of that search). Any HTTP worker answers the progress and the download: the export lives
in the database and its file in the data directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from hindsight.api import identity, kit
from hindsight.api.insights import FILTER_PARAMS, conversation_filters
from hindsight.api.json_io import json_object, json_response
from hindsight.api.openapi_document import error_answers
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.insights.filters import ConversationFilters
from hindsight.media.exports.service import ExportStatus, MediaExports

router = APIRouter(prefix="/api/v1/insights", tags=["media exports"])
MAX_ID = 256
_CHUNK = 256 * 1024


def _exports(request: Request) -> MediaExports:
    return identity.services(request).exports


def _max_body(exports: MediaExports) -> int:
    # Room for every id at its longest, quoted and separated.
    return 1024 + exports.max_conversations * (MAX_ID + 4)


def status_json(found: ExportStatus) -> dict[str, Any]:
    base = f"/api/v1/insights/exports/{found.id}"
    return {
        "id": found.id,
        "status": found.status,
        "conversations": found.total,
        "conversations_done": found.done,
        "items": found.items,
        "failed_items": found.failed_items,
        "progress": round(found.done / found.total, 4) if found.total else 1.0,
        "created": kit.instant(found.created_ms),
        "finished": kit.instant(found.finished_ms),
        "expires": kit.instant(found.expires_ms),
        "size_bytes": found.size_bytes,
        "error": found.error,
        "url": base,
        "download_url": f"{base}/download" if found.status == "ready" else None,
    }


def _selected(body: dict[str, Any], cap: int) -> list[str] | None:
    ids = body.get("conversation_ids")
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidParameter("conversation_ids must be a list of conversation ids (strings)")
    if any(not i or len(i) > MAX_ID or "\x00" in i for i in ids):
        raise InvalidParameter(f"conversation ids are 1 to {MAX_ID} characters, without NUL")
    if len(ids) > cap:
        raise InvalidParameter(f"An export holds at most {cap} conversations; select fewer")
    return ids


@router.post(
    "/exports",
    status_code=202,
    summary="Export conversations' recordings and transcripts as a ZIP (built in the background)",
)
async def request_export(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    filters: ConversationFilters = Depends(conversation_filters),
) -> Response:
    kit.only(request, FILTER_PARAMS, attributes=True)
    exports = _exports(request)
    body = await json_object(request, _max_body(exports), ("conversation_ids", "all_matching"))
    ids = _selected(body, exports.max_conversations)
    everything = body.get("all_matching")
    if everything not in (None, True, False):
        raise InvalidParameter("all_matching must be true or false")
    if (ids is None) == (everything is not True):
        raise InvalidParameter(
            "Give conversation_ids (the selected conversations) or all_matching: true "
            "(every match of the search in the query parameters), not both"
        )
    if ids is not None and request.query_params:
        raise InvalidParameter("Search filters apply to all_matching only")
    found = status_json(await exports.request(viewer, conversation_ids=ids, filters=filters))
    return json_response(found, status=202, headers={"Location": found["url"]})


@router.get("/exports/{export_id}", summary="An export's progress")
async def export_status(
    request: Request, export_id: str, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    kit.only(request, ())
    return json_response(status_json(await _exports(request).status(viewer, export_id)))


@router.get(
    "/exports/{export_id}/download",
    summary="Download a ready export, once (it is deleted when sent)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, **error_answers(409, 410)},
)
async def download(
    request: Request, export_id: str, viewer: Viewer = Depends(identity.viewer)
) -> StreamingResponse:
    kit.only(request, ())
    exports = _exports(request)
    taken = await exports.take(viewer, export_id)

    async def body() -> AsyncIterator[bytes]:
        async with await anyio.open_file(taken.path, "rb") as handle:
            while chunk := await handle.read(_CHUNK):
                yield chunk

    return StreamingResponse(
        body(),
        media_type="application/zip",
        headers={
            "Cache-Control": "no-store",
            "Content-Length": str(taken.size_bytes),
            "Content-Disposition": f'attachment; filename="{taken.file_name}"',
        },
        background=BackgroundTask(exports.discard, export_id),
    )
