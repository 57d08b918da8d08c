"""SCIM on the wire: `application/scim+json` in and out, and RFC 7644 §3.12 error bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hindsight.domain.scim.errors import ScimError, invalid_syntax

MEDIA_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MAX_BODY = 2 * 1024 * 1024
_READABLE = ("application/scim+json", "application/json")


def scim_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(document),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def error_response(
    status: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_response(body, status, headers)


async def _capped_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise ScimError(413, f"The request body is larger than {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ScimError(413, f"The request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_object(request: Request) -> dict[str, Any]:
    """The body: a JSON object sent as application/scim+json (or application/json)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in _READABLE:
        raise ScimError(415, f"Send the body as {MEDIA_TYPE}, not {kind[:60] or 'nothing'}")
    raw = await _capped_body(request)
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid_syntax("The body is not JSON") from None
    if not isinstance(document, dict):
        raise invalid_syntax("The body must be a JSON object")
    return document
