"""Helpers the TaskRouter route modules share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params
from hindsight.api.kit import Services, services
from hindsight.domain.errors import NotFound
from hindsight.domain.sids import Prefix, is_sid
from hindsight.routing.listing import PageResult, SortKey
from hindsight.service_base import Caller


def caller(request: Request) -> Caller:
    client = request.client
    return Caller(principal=wire.principal(request), ip=client.host if client else None)


def path_sid(value: str, prefix: Prefix, path: str) -> str:
    """A SID from the URL path; a malformed one names no resource, so it is a 404."""
    if not is_sid(value, prefix):
        raise NotFound(f"The requested resource {path} was not found")
    return value


def workspace_sid(value: str) -> str:
    return path_sid(value, Prefix.WORKSPACE, f"/Workspaces/{value}")


@dataclass(frozen=True)
class Scope:
    """What a request on one workspace's resources works with: who asks, the workspace's SID
    (checked), the services and the base URL resources are shown under."""

    caller: Caller
    ws: str
    services: Services
    base: str


def scope(request: Request, ws: str) -> Scope:
    """The scope of a request whose path names workspace `ws` (a malformed SID is a 404)."""
    checked = workspace_sid(ws)  # first: a malformed SID answers 404 before anything is read
    return Scope(caller(request), checked, services(request), wire.base_url(request))


def list_response(
    request: Request,
    key: str,
    result: PageResult,
    keys: Sequence[SortKey],
    page: paging.Paging,
    render: Callable[[Any], dict[str, Any]],
) -> Response:
    items = [render(row) for row in result.rows]
    body = paging.envelope(request, wire.base_url(request), key, items, result, keys, page)
    return wire.json_response(body)


__all__ = [
    "Params",
    "Scope",
    "caller",
    "list_response",
    "path_sid",
    "scope",
    "services",
    "workspace_sid",
]
