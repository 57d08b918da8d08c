"""Waveform and talk analytics of recordings, on Hindsight's own API.

    POST /api/v1/insights/media-analyses        {"url": "...", "channels": ["customer","others"]}
         -> 202 the analysis (pending, or already finished: a URL is analysed once)
    GET  /api/v1/insights/media-analyses/{key}  -> 200 the analysis, peaks included; 404

`key` is the media key: `url:<sha256 of the URL>` (returned by the POST) or `recording:RE…`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import kit
from hindsight.api.identity import integration as authenticated
from hindsight.api.insights import PREFIX
from hindsight.api.json_io import json_object, json_response
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.media.analysis import AnalysisService, url_media_key
from hindsight.service_base import Caller

router = APIRouter(
    prefix=f"{PREFIX}/media-analyses", tags=["media"], dependencies=[Depends(kit.no_store)]
)
_MAX_BODY = 16 * 1024


def _service(request: Request) -> AnalysisService:
    return request.app.state.analysis


@router.post("", status_code=202)
async def request_analysis(request: Request, caller: Caller = Depends(authenticated)) -> Response:
    body = await json_object(request, _MAX_BODY, ("url", "channels"))
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidParameter("url is required")
    channels = body.get("channels")
    if channels is not None and not isinstance(channels, list):
        raise InvalidParameter("channels must be a list of names")
    analysis = await _service(request).request(
        caller.account_sid, url_media_key(url), url, channels
    )
    return json_response(analysis.as_json(include_peaks=False), 202)


@router.get("/{media_key:path}")
async def get_analysis(
    media_key: str, request: Request, caller: Caller = Depends(authenticated)
) -> Response:
    analysis = await _service(request).get(caller.account_sid, media_key)
    if analysis is None:
        raise NotFound(f"no analysis of {media_key[:200]!r}")
    return json_response(analysis.as_json())
