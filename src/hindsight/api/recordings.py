"""Call recordings Hindsight holds, under /api/v1/recordings (Hindsight's own JSON API).

    POST   /api/v1/recordings              multipart upload: `file` + link fields → 201
    GET    /api/v1/recordings              list (task_sid, reservation_sid, call_sid; keyset pages)
    GET    /api/v1/recordings/{RE…}        one recording
    DELETE /api/v1/recordings/{RE…}        the recording and its file → 204
    GET    /api/v1/recordings/{RE…}/media  its bytes, with single byte ranges (HEAD too)

Range handling (RFC 9110 §14): `bytes=a-b`, `bytes=a-` and `bytes=-n` give 206 with
Content-Range; a range past the end gives 416 with `Content-Range: bytes */size`; a Range
header that is malformed, in another unit or asks for several ranges is ignored and the whole
file sent with 200, as the RFC allows. `If-Range` with a different ETag or date also gives the
whole file. Everything is personal data: `Cache-Control: no-store` on every answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from hindsight.api import kit
from hindsight.api.errors import error_response
from hindsight.api.identity import integration as authenticated
from hindsight.api.json_io import json_response
from hindsight.api.multipart import body_chunks, boundary_of, drain, read_form
from hindsight.domain.errors import HindsightError, InvalidParameter, PayloadTooLarge
from hindsight.domain.recordings import (
    RecordingLinks,
    is_call_sid,
    parse_channel_names,
    parse_recording_start,
    parse_title,
)
from hindsight.domain.sids import Prefix, is_sid
from hindsight.media.audio import CONTENT_TYPES as AUDIO_CONTENT_TYPES
from hindsight.media.recordings import (
    API_PATH,
    RECORDING_ORDER,
    MediaResponseParts,
    Recording,
    RecordingDetails,
    RecordingFilters,
)
from hindsight.service_base import Caller

LINK_FIELDS = ("task_sid", "reservation_sid", "call_sid", "workspace_sid")
FORM_FIELDS = (*LINK_FIELDS, "channels", "start_time", "title")
# Room for the form's other fields and boundaries beside the file itself.
_FORM_OVERHEAD = 64 * 1024
_ORDERING = "recordings:newest"
_SIDS = {"task_sid": Prefix.TASK, "reservation_sid": Prefix.RESERVATION}

router = APIRouter(prefix=API_PATH, tags=["recordings"], dependencies=[Depends(kit.no_store)])


def _base_url(request: Request) -> str:
    configured = getattr(request.app.state, "public_url", None)
    return configured or str(request.base_url).rstrip("/")


def render(recording: Recording, base_url: str) -> dict[str, Any]:
    return {
        "sid": recording.sid,
        "account_sid": recording.account_sid,
        "workspace_sid": recording.workspace_sid,
        "links": {
            "task_sid": recording.task_sid,
            "reservation_sid": recording.reservation_sid,
            "call_sid": recording.call_sid,
        },
        "title": recording.title,
        "content_type": recording.content_type,
        "size": recording.size,
        "sha256": recording.sha256,
        "duration": recording.duration,
        "channels": recording.channels,
        "channel_map": list(recording.channel_map),
        "sample_rate": recording.sample_rate,
        "start_time": kit.instant(recording.start_time_ms),
        "date_created": kit.instant(recording.date_created_ms),
        "url": f"{base_url}{recording.path}",
        "media_url": f"{base_url}{recording.media_path}",
    }


def _details(fields: dict[str, str]) -> RecordingDetails:
    def text(name: str) -> str | None:
        value = fields.get(name)
        return value.strip() if value is not None and value.strip() else None

    links = RecordingLinks(
        task_sid=text("task_sid"),
        reservation_sid=text("reservation_sid"),
        call_sid=text("call_sid"),
        workspace_sid=text("workspace_sid"),
    )
    return RecordingDetails(
        links=links,
        channels=parse_channel_names(fields.get("channels")),
        start_time_ms=parse_recording_start(fields.get("start_time")),
        title=parse_title(fields.get("title")),
    )


_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "task_sid": {"type": "string", "pattern": "^WT[0-9a-fA-F]{32}$"},
                        "reservation_sid": {"type": "string", "pattern": "^WR[0-9a-fA-F]{32}$"},
                        "call_sid": {"type": "string", "pattern": "^CA[0-9a-fA-F]{32}$"},
                        "workspace_sid": {"type": "string", "pattern": "^WS[0-9a-fA-F]{32}$"},
                        "channels": {"type": "string", "example": '["customer", "others"]'},
                        "start_time": {"type": "string", "example": "1574350320000"},
                        "title": {"type": "string", "maxLength": 256},
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=201,
    openapi_extra=_UPLOAD_FORM,
    summary="Upload a call recording (WAV, MP3 or Ogg Opus) linked to a task, reservation or call",
    description="multipart/form-data: `file`, and at least one of `task_sid`, "
    "`reservation_sid`, `call_sid`; optional `workspace_sid`, `channels` (a JSON list, default "
    '["customer", "others"] for stereo), `start_time` (epoch ms or ISO 8601) and `title`. The '
    "format is judged from the bytes. Refused uploads store nothing.",
)
async def upload(request: Request, caller: Caller = Depends(authenticated)) -> Response:
    kit.only(request, ())
    service = kit.services(request).recordings
    boundary = boundary_of(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    limit = service.max_bytes
    if declared is not None and declared.isdigit() and int(declared) > limit + _FORM_OVERHEAD:
        raise PayloadTooLarge(f"The recording is larger than the limit of {limit} bytes")
    chunks = body_chunks(request)
    sid, pending = service.begin_upload(caller)
    try:
        form = await read_form(
            chunks,
            boundary,
            file_field="file",
            fields=FORM_FIELDS,
            on_file_data=pending.write,
        )
        if not form.file_seen:
            raise InvalidParameter("Attach the audio in a form part named 'file'")
        details = _details(form.fields)
    except BaseException as exc:
        await pending.abort()
        if isinstance(exc, HindsightError):
            # Refused mid-body: read on (without keeping it) so the client hears the answer.
            await drain(chunks)
        raise
    recording = await service.finish_upload(caller, sid, pending, details)
    base = _base_url(request)
    return json_response(render(recording, base), 201, {"Location": f"{base}{recording.path}"})


def _sid_param(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    prefix = _SIDS.get(name, "CA")
    valid = is_call_sid(value) if name == "call_sid" else is_sid(value, _SIDS[name])
    if not valid:
        raise InvalidParameter(f"{name} must be {prefix} followed by 32 hex digits")
    return value


@router.get("", summary="List recordings, newest first")
async def list_recordings(
    request: Request,
    caller: Caller = Depends(authenticated),
    task_sid: str | None = Query(None, description="WT…"),
    reservation_sid: str | None = Query(None, description="WR…"),
    call_sid: str | None = Query(None, description="CA…"),
    page_size: int = Query(50, ge=1, le=1000),
    page_token: str | None = Query(None),
) -> Response:
    kit.only(request, ("task_sid", "reservation_sid", "call_sid", "page_size", "page_token"))
    filters = RecordingFilters(
        task_sid=_sid_param(task_sid, "task_sid"),
        reservation_sid=_sid_param(reservation_sid, "reservation_sid"),
        call_sid=_sid_param(call_sid, "call_sid"),
    )
    page = kit.page_request(page_token, page_size, RECORDING_ORDER, _ORDERING)
    found, result = await kit.services(request).recordings.list_recordings(caller, filters, page)
    base = _base_url(request)
    return json_response(
        {
            "recordings": [render(r, base) for r in found],
            "meta": kit.page_meta(request, result, RECORDING_ORDER, _ORDERING, page_size),
        }
    )


@router.get("/{sid}", summary="One recording")
async def fetch(request: Request, sid: str, caller: Caller = Depends(authenticated)) -> Response:
    kit.only(request, ())
    recording = await kit.services(request).recordings.get(caller, sid)
    return json_response(render(recording, _base_url(request)))


@router.delete("/{sid}", status_code=204, summary="Delete a recording and its file")
async def remove(request: Request, sid: str, caller: Caller = Depends(authenticated)) -> Response:
    kit.only(request, ())
    await kit.services(request).recordings.delete(caller, sid)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def media_response(parts: MediaResponseParts) -> Response:
    """Send what `RecordingService.open_media` answered (also for the media broker)."""
    if parts.status == 416:
        size = parts.recording.size
        response = error_response(416, 20416, f"The range asked for lies outside the {size} bytes")
        response.headers["Content-Range"] = parts.headers["Content-Range"]
        response.headers["Accept-Ranges"] = "bytes"
        return response
    if parts.body is None:
        return Response(b"", status_code=parts.status, headers=parts.headers)
    return StreamingResponse(parts.body, status_code=parts.status, headers=parts.headers)


async def _media(request: Request, sid: str, caller: Caller) -> Response:
    kit.only(request, ())
    parts = await kit.services(request).recordings.open_media(
        caller.account_sid,
        sid,
        request.headers.get("range"),
        if_range=request.headers.get("if-range"),
        head=request.method == "HEAD",
    )
    return media_response(parts)


def _media_responses(head: bool) -> dict[int | str, dict[str, Any]]:
    """What the media routes answer, for the OpenAPI document: audio, never JSON."""
    what = "headers only (length, type, ranges)" if head else "the bytes"
    audio = {content_type: {} for content_type in AUDIO_CONTENT_TYPES.values()}
    return {
        200: {"content": audio, "description": f"The whole recording: {what}."},
        206: {"content": audio, "description": f"The byte range asked for: {what}."},
        416: {"description": "The range asked for lies outside the recording."},
    }


@router.get(
    "/{sid}/media",
    summary="The recording's audio, with byte ranges",
    response_class=StreamingResponse,
    responses=_media_responses(head=False),
)
async def media(request: Request, sid: str, caller: Caller = Depends(authenticated)) -> Response:
    return await _media(request, sid, caller)


@router.head(
    "/{sid}/media",
    summary="The recording's media headers (length, type, ranges)",
    response_class=Response,
    responses=_media_responses(head=True),
)
async def media_head(
    request: Request, sid: str, caller: Caller = Depends(authenticated)
) -> Response:
    return await _media(request, sid, caller)
