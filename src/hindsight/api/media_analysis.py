"""Waveform and talk analytics of recordings, on Hindsight's own API.

    POST /api/v1/insights/media-analyses        {"url": "...", "channels": ["customer","others"]}
         -> 202 the analysis (pending, or already finished: a URL is analysed once)
    GET  /api/v1/insights/media-analyses/{key}  -> 200 the analysis, peaks included; 404

`key` is the media key: `url:<sha256 of the URL>` (returned by the POST) or `recording:RE…`.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api.identity import integration as authenticated
from hindsight.api.insights import PREFIX, _no_store
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.media.analysis import AnalysisService, url_media_key
from hindsight.routing.base import Caller

router = APIRouter(
    prefix=f"{PREFIX}/media-analyses", tags=["media"], dependencies=[Depends(_no_store)]
)
_MAX_BODY = 16 * 1024


def _service(request: Request) -> AnalysisService:
    return request.app.state.analysis


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise InvalidParameter(f"the body is larger than {_MAX_BODY} bytes")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidParameter("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidParameter("the body must be a JSON object")
    unknown = set(body) - {"url", "channels"}
    if unknown:
        raise InvalidParameter(f"unknown fields: {', '.join(sorted(unknown))}")
    return body


@router.post("", status_code=202)
async def request_analysis(request: Request, caller: Caller = Depends(authenticated)) -> Response:
    body = await _body(request)
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidParameter("url is required")
    channels = body.get("channels")
    if channels is not None and not isinstance(channels, list):
        raise InvalidParameter("channels must be a list of names")
    analysis = await _service(request).request(
        caller.account_sid, url_media_key(url), url, channels
    )
    return _json(analysis.as_json(include_peaks=False), 202)


@router.get("/{media_key:path}")
async def get_analysis(
    media_key: str, request: Request, caller: Caller = Depends(authenticated)
) -> Response:
    analysis = await _service(request).get(caller.account_sid, media_key)
    if analysis is None:
        raise NotFound(f"no analysis of {media_key[:200]!r}")
    return _json(analysis.as_json())
