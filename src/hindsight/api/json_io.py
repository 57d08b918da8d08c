"""JSON in and out for Hindsight's own API: bounded bodies that must be objects with known keys,
and answers that are never cached (everything here is personal data or about it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from hindsight.domain.errors import HindsightError, InvalidParameter, PayloadTooLarge


def json_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(document),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


class UnsupportedMediaType(HindsightError, status=415):
    """The body was sent as a media type this endpoint does not read (HTTP 415)."""


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A body's JSON object (empty body: {}); anything else is refused (400)."""
    try:
        document = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise InvalidParameter("The body is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidParameter("The body must be a JSON object")
    return document


async def json_object(
    request: Request, max_bytes: int, allowed: Iterable[str] | None = None
) -> dict[str, Any]:
    """The request's JSON object (empty body: {}); refuses oversize bodies (413), bodies sent
    as another media type (415), other JSON and, when `allowed` is given, unknown keys."""
    raw = await request.body()
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body is larger than {max_bytes} bytes")
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if raw and kind and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType(f"Send the body as application/json, not {kind[:60]}")
    document = parse_json_object(raw)
    if allowed is not None:
        known = set(allowed)
        unknown = sorted(set(document) - known)
        if unknown:
            raise InvalidParameter(
                f"Unknown field {unknown[0]!r}; allowed: {', '.join(sorted(known))}"
            )
    return document
