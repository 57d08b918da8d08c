"""/ingest/twilio/{source}/…: where a real Twilio account posts its TaskRouter events.

Twilio calls these, so they authenticate by `X-Twilio-Signature` (checked by the service with
the source's Auth Token), not HTTP Basic. The signature covers the URL Twilio was given: that is
`HINDSIGHT_PUBLIC_URL` + the path when set (behind a proxy), else the URL of the request.
Success is 204 No Content, as TaskRouter asks of an EventCallbackUrl.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hindsight.api.forms import parse_form_body
from hindsight.api.wire import read_capped
from hindsight.domain.errors import InvalidParameter
from hindsight.eventlog.ingest import TwilioIngest
from hindsight.eventlog.twilio_sources import EVENT_STREAMS_PATH, TASKROUTER_PATH

_SIGNATURE = "x-twilio-signature"


def build_router(ingest: TwilioIngest, public_url: str | None, max_body_bytes: int) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    base = (public_url or "").rstrip("/") or None

    def signed_url(request: Request) -> str:
        """The URL Twilio requested, as it signed it (query string verbatim)."""
        query = request.scope.get("query_string", b"").decode("latin-1")
        origin = base or f"{request.url.scheme}://{request.url.netloc}"
        return origin + request.url.path + (f"?{query}" if query else "")

    async def read_body(request: Request) -> bytes:
        return await read_capped(request, max_body_bytes)

    @router.post(TASKROUTER_PATH)
    async def taskrouter(request: Request, source: str) -> Response:
        body = await read_body(request)
        form = parse_form_body(body, request.headers.get("content-type"))
        if not form:
            raise InvalidParameter("The body is empty; TaskRouter posts an event's parameters")
        await ingest.taskrouter_callback(
            source, signed_url(request), form, request.headers.get(_SIGNATURE)
        )
        return _no_content()

    @router.post(EVENT_STREAMS_PATH)
    async def event_streams(request: Request, source: str) -> Response:
        body = await read_body(request)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in ("", "application/json") and not media_type.endswith("+json"):
            raise InvalidParameter(f"Event Streams posts JSON, not {media_type}")
        await ingest.event_streams(
            source, signed_url(request), body, request.headers.get(_SIGNATURE)
        )
        return _no_content()

    return router


def _no_content() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
