"""Opening media through the broker (media/broker.py).

* `POST /api/v1/media/links` `{"segment_id": "SG…", "index": 0}` → `{"url": "/media/<token>",
  "expires_ms": …}`: a link for the signed-in person (or the integration) only.
* `GET /media/<token>`: the media itself: a redirect for pages, a stream for recordings (byte
  ranges pass through), the messages for transcripts.
* `POST /api/v1/tokens/validate`: for a recording's url_provider, to check the token Hindsight
  sent it (`Authorization: Basic token:<token>`, or JSON `{"token": "…"}`); shaped like
  Twilio's IAM token validation answer.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.insights.queries import is_segment_id
from hindsight.media.broker import LINK_PATH, Opened

router = APIRouter(tags=["media"])
_MAX_BODY = 4096
# What a browser may cache of personal data: nothing. Inline: playing is not downloading.
_MEDIA_HEADERS = {"Cache-Control": "no-store", "Content-Disposition": "inline"}


@router.post("/api/v1/media/links", status_code=201, summary="A short-lived link to one media item")
async def mint(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY)
    segment_id, index = document.get("segment_id"), document.get("index")
    if set(document) - {"segment_id", "index"}:
        raise InvalidParameter("Give only segment_id and index")
    if not isinstance(segment_id, str) or not is_segment_id(segment_id):
        raise InvalidParameter("segment_id must be SG followed by 32 hex digits")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 1000:
        raise InvalidParameter("index must be the media item's index (0, 1, …)")
    own_origin = getattr(request.app.state, "public_url", None) or str(request.base_url)
    link = await identity.services(request).broker.mint(
        viewer, segment_id, index, own_origin.rstrip("/")
    )
    return json_response(
        status=201,
        document={
            "url": link.url,
            "expires_ms": link.expires_ms,
            "segment_id": link.segment_id,
            "index": link.index,
            "type": link.type,
            "display": link.display,
            "host": link.host,
            "frameable": link.frameable,
            "unavailable": link.unavailable,
        },
    )


@router.get("/api/v1/media/analysis", summary="Waveform and talk analytics of a recording")
async def analysis(
    request: Request,
    segment_id: str,
    index: int,
    viewer: Viewer = Depends(identity.viewer),
) -> Response:
    """The recording's peaks (audiowaveform v2), speech intervals per speaker, silence and
    cross-talk, its measures and those of this segment's stretch; `status` is pending until
    the background analysis is done (ask again)."""
    if not is_segment_id(segment_id):
        raise InvalidParameter("segment_id must be SG followed by 32 hex digits")
    if not 0 <= index < 1000:
        raise InvalidParameter("index must be the media item's index (0, 1, …)")
    found = await identity.services(request).broker.analysis(viewer, segment_id, index)
    return json_response(status=200, document=found)


def _respond(opened: Opened, head: bool) -> Response:
    if opened.kind == "redirect" and opened.location:
        return RedirectResponse(opened.location, status_code=302, headers=_MEDIA_HEADERS)
    if opened.kind == "document" and opened.document is not None:
        return json_response(status=200, document=opened.document)
    stream = opened.stream
    if stream is None:
        raise NotFound("Nothing to open")
    headers = {**stream.headers, **_MEDIA_HEADERS}
    if head or stream.body is None:
        return Response(status_code=stream.status, headers=headers)
    return StreamingResponse(stream.body, status_code=stream.status, headers=headers)


@router.api_route(
    LINK_PATH + "{token}",
    methods=["GET", "HEAD"],
    summary="Open a media link",
    responses={
        206: {"description": "Part of a recording (a byte range was asked for)"},
        302: {"description": "A page: followed to its location"},
        416: {"description": "The byte range asked for is outside the recording"},
    },
)
async def follow(
    token: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    opened = await identity.services(request).broker.open(
        viewer, token, request.headers.get("range")
    )
    return _respond(opened, request.method == "HEAD")


@router.post("/api/v1/tokens/validate", summary="Check a token Hindsight sent a url_provider")
async def validate(request: Request) -> Response:
    token = None
    credentials = identity.basic_credentials(request)
    if credentials is not None and credentials[0] == "token":
        token = credentials[1]
    else:
        document = await json_object(request, _MAX_BODY)
        token = document.get("token")
    if not isinstance(token, str) or not token:
        raise InvalidParameter('Send the token as Basic "token:<token>" or JSON {"token": …}')
    return json_response(
        status=200, document=await identity.services(request).broker.validate_provider_token(token)
    )
