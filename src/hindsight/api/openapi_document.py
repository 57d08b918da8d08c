"""The OpenAPI document of Hindsight's own JSON API (`/api/openapi.json`).

FastAPI describes each route from its signature, which here says little: handlers read their
JSON bodies themselves and answer through `json_response`, and FastAPI adds a 422 answer that
this API never gives (validation errors are 400s, errors.py). So the document is finished
here: every operation lists the error answers it can give, in Twilio's error body, and what
FastAPI guessed wrongly is taken out. Which errors apply follows from what every handler of
this API does: the caller is authenticated (401) and authorised (403), requests are rate
limited (429), parameters and bodies are checked (400), a named resource may not exist or be
out of the caller's scope (404), and JSON bodies are bounded (413) and must be JSON (415).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
    },
}
_MEANINGS = {
    "400": "A parameter or the body is missing, malformed or not allowed",
    "401": "Not signed in, and no valid API credentials",
    "403": "The caller's roles do not allow this, or the CSRF token is missing",
    "404": "Not found in the caller's account and scope",
    "409": "The resource is not in a state that allows this (taken name, not ready yet)",
    "410": "The resource was there once and is gone (a download already taken, expired)",
    "413": "The request body is larger than allowed",
    "415": "The body is not sent as application/json",
    "429": "Too many requests; try again after Retry-After seconds",
    "502": "The media's source could not be reached or answered an error",
    "504": "The media's source did not answer in time",
}
# Operations that need no caller: checking a token Hindsight issued, and signing in.
_UNAUTHENTICATED = {("post", "/api/v1/tokens/validate"), ("post", "/api/v1/session")}
# Operations that fetch a media source on the caller's behalf, and so can fail upstream.
# What succeeds with something other than JSON (by path, or by the path's extension).
_SUCCESS_TYPES = {
    "csv": ("text/csv",),
    "/media/{token}": ("audio/*", "application/octet-stream", "application/json"),
    # The formats a held recording can be (api/recordings.py's upload accepts these).
    "/api/v1/recordings/{sid}/media": ("audio/wav", "audio/mpeg", "audio/ogg"),
}
_UPSTREAM = {("get", "/media/{token}"), ("head", "/media/{token}")}


def api_document(title: str, version: str, routes: Sequence[BaseRoute]) -> dict[str, Any]:
    with warnings.catch_warnings():
        # GET and HEAD of one handler share an operation id; made unique below.
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        document = get_openapi(title=title, version=version, routes=list(routes))
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Error"] = ERROR_SCHEMA
    seen: set[str] = set()
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _finish(path, method, operation)
            # One handler serving GET and HEAD gets one id from FastAPI: ids must be unique.
            if operation.get("operationId") in seen:
                operation["operationId"] = f"{operation['operationId']}_{method}"
            seen.add(operation.get("operationId", ""))
    return document


def error_answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    """For a route decorator's `responses=`: error answers beyond those every operation of this
    API can give (see `_finish`), such as 409 and 410, in Twilio's error body."""
    return {code: _error(str(code)) for code in codes}


def _error(code: str) -> dict[str, Any]:
    return {
        "description": _MEANINGS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _finish(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    parameters = operation.get("parameters", [])
    has_body = method in ("post", "put", "patch")
    codes = {"429"}
    if (method, path) not in _UNAUTHENTICATED:
        codes |= {"401", "403"}
    elif path == "/api/v1/session":
        codes |= {"401"}  # wrong user name or password
    if parameters or has_body:
        codes.add("400")
    if "{" in path or has_body or parameters:
        codes.add("404")
    if has_body:
        codes |= {"413", "415"}
    if (method, path) in _UPSTREAM:
        codes |= {"502", "504"}
    for code in sorted(codes):
        responses.setdefault(code, _error(code))
    for code, answer in responses.items():
        if code.startswith("2") and code in responses:
            kinds = _SUCCESS_TYPES.get(path, _SUCCESS_TYPES.get(path.rsplit(".", 1)[-1]))
            if kinds is not None:
                answer["content"] = {kind: {"schema": {}} for kind in kinds}
