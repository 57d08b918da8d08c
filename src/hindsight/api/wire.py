"""Reading requests and writing responses in Twilio's wire format."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from hindsight.api.forms import Params, check_body_size, parse_form_body
from hindsight.auth.accounts import Principal
from hindsight.domain.errors import PreconditionFailed


def principal(request: Request) -> Principal:
    return request.state.principal


# The base URLs already worked out, by what they depend on: the scheme, the Host header and
# the server address. Building Starlette's URL of a request took a few per cent of a task
# update; a process sees few distinct bases, but Host is the client's to choose, so the
# memo is emptied rather than let grow.
_BASES: dict[tuple[object, ...], str] = {}
_MAX_BASES = 256


def base_url(request: Request) -> str:
    configured = request.app.state.public_url
    if configured:
        return configured
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    key = (scope.get("scheme", "http"), host, scope.get("server"))
    base = _BASES.get(key)
    if base is None:
        url = request.url
        base = f"{url.scheme}://{url.netloc}"
        if len(_BASES) >= _MAX_BASES:
            _BASES.clear()
        _BASES[key] = base
    return base


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it says or proves to be over `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        check_body_size(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        check_body_size(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def body_params(request: Request, allowed: Iterable[str]) -> Params:
    body = await read_capped(request, request.app.state.max_body_bytes)
    return Params(parse_form_body(body, request.headers.get("content-type")), allowed)


def query_params(request: Request, allowed: Iterable[str]) -> Params:
    return Params(request.query_params.multi_items(), allowed)


def json_response(body: dict[str, Any], status: int = 200, etag: str | None = None) -> Response:
    headers = {"Cache-Control": "no-store"}
    if etag is not None:
        headers["ETag"] = etag
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def no_content() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def if_match(request: Request) -> int | None:
    """The version named by `If-Match`, accepting `"3"`, `3` and `W/"3"`; None when absent."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() in ("", "*"):
        return None
    value = raw.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match {raw!r} does not name a version of this resource")
    return int(value)


def etag_for(version: int) -> str:
    return f'"{version}"'
