"""Errors on the wire: Twilio's body `{code, message, more_info, status}`.

Every error the server can raise ends up here, so no request can surface a stack trace or a
bare 500 page; unexpected failures become a 500 in the same format, logged with a reference.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match

from hindsight.domain.errors import HindsightError, Unauthenticated

log = logging.getLogger(__name__)

_STATUS_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20004, 413: 20413}


def error_response(
    status: int,
    code: int,
    message: str,
    challenge: bool = True,
    retry_after: int | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"Cache-Control": "no-store", **(extra_headers or {})}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if status == 401 and challenge:
        headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def from_error(error: HindsightError) -> Response:
    return error_response(
        error.status, error.code, error.message, retry_after=getattr(error, "retry_after", None)
    )


# Only the Twilio-compatible APIs ask for Basic credentials on a 401. Hindsight's own API and
# pages do not: a browser would otherwise pop up its own log-in dialog over the UI.
_CHALLENGED = ("/v1/", "/2010-04-01/")


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HindsightError)
    challenge = request.url.path.startswith(_CHALLENGED)
    retry_after = getattr(exc, "retry_after", None)
    return error_response(
        exc.status, exc.code, exc.message, challenge=challenge, retry_after=retry_after
    )


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on this path (RFC 9110: a 405 says so).

    The router stops at the first route whose path matches, which knows only its own methods;
    a path served by several routes (GET in one, POST in another) needs them all, so each
    method is tried against the whole route table (nested routers included).
    """
    routes = getattr(getattr(request.app, "router", None), "routes", ())
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        message = f"The requested resource {request.url.path} was not found"
    elif status == 405:
        message = f"Method {request.method} not allowed on {request.url.path}"
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    else:
        message = str(exc.detail)
    code = _STATUS_CODES.get(status, 20000 + status)
    return error_response(status, code, message, extra_headers=headers)


async def _validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return error_response(400, 20001, f"{where}: {first.get('msg')}")


async def _gone(_request: Request, _exc: Exception) -> Response:
    # The client left mid-request; nobody will read an answer, and it is not our failure.
    return Response(status_code=400)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(6)
    log.exception("unhandled error (reference %s)", reference, exc_info=exc)
    return error_response(500, 20500, f"Internal server error (reference {reference})")


def install(app: Starlette) -> None:
    """Map every error to Twilio's error body (FastAPI's validation errors included)."""
    app.add_exception_handler(HindsightError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ClientDisconnect, _gone)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["Unauthenticated", "error_response", "from_error", "install"]
