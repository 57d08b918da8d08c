"""Helpers the TaskRouter route modules share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params
from hindsight.api.kit import Services, services
from hindsight.api.routes import Routes
from hindsight.domain.errors import NotFound
from hindsight.domain.paging import PageResult
from hindsight.domain.sids import Prefix, is_sid
from hindsight.routing.listing import SortKey
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
    result: PageResult[Any],
    keys: Sequence[SortKey],
    page: paging.Paging,
    render: Callable[[Any], dict[str, Any]],
) -> Response:
    items = [render(row) for row in result.rows]
    body = paging.envelope(request, wire.base_url(request), key, items, result, keys, page)
    return wire.json_response(body)


R = TypeVar("R")


def at_base(render: Callable[[str, R], dict[str, Any]]) -> Callable[[Scope, R], dict[str, Any]]:
    """A renderer of (base URL, record) as one of (scope, record)."""
    return lambda at, row: render(at.base, row)


@dataclass(frozen=True)
class ChildResource(Generic[R]):
    """One kind of a workspace's resources as its URLs address it, with the handlers every kind
    shares: fetch one, delete one, and the answers that show one or a page of them.

    `service` picks the kind's service (its `fetch(caller, ws, key)` and `delete(caller, ws,
    key)`, with the `If-Match` version as a fourth argument when `versioned`).
    """

    collection: str  # as the URL names it: "TaskQueues"
    prefix: Prefix | None  # of its SIDs; None: addressed by SID or unique name, as channels are
    list_key: str  # the list page's key for its items: "task_queues"
    service: Callable[[Services], Any]
    render: Callable[[Scope, R], dict[str, Any]]  # one as its JSON shows it
    versioned: bool = False  # answers carry an ETag and deletes honour If-Match

    @property
    def base(self) -> str:
        return f"/v1/Workspaces/{{ws}}/{self.collection}"

    @property
    def item(self) -> str:
        return self.base + "/{sid}"

    def key(self, ws: str, value: str) -> str:
        """The key a URL names one by (a malformed SID is a 404)."""
        if self.prefix is None:
            return value
        return path_sid(value, self.prefix, f"/Workspaces/{ws}/{self.collection}/{value}")

    def respond(self, at: Scope, row: R, status: int = 200) -> Response:
        etag = wire.etag_for(row.version) if self.versioned else None  # type: ignore[attr-defined]
        return wire.json_response(self.render(at, row), status, etag=etag)

    def page(
        self,
        request: Request,
        at: Scope,
        result: PageResult[Any],
        keys: Sequence[SortKey],
        page: paging.Paging,
    ) -> Response:
        return list_response(
            request, self.list_key, result, keys, page, lambda r: self.render(at, r)
        )

    async def fetch(self, request: Request, ws: str, sid: str) -> Response:
        at = scope(request, ws)
        row = await self.service(at.services).fetch(at.caller, at.ws, self.key(at.ws, sid))
        return self.respond(at, row)

    async def delete(self, request: Request, ws: str, sid: str) -> Response:
        at = scope(request, ws)
        version = (wire.if_match(request),) if self.versioned else ()
        await self.service(at.services).delete(at.caller, at.ws, self.key(at.ws, sid), *version)
        return wire.no_content()

    def route_fetch_and_delete(self, router: Routes) -> None:
        router.get(self.item)(self.fetch)
        router.delete(self.item)(self.delete)


__all__ = [
    "ChildResource",
    "Params",
    "Scope",
    "at_base",
    "caller",
    "list_response",
    "path_sid",
    "scope",
    "services",
    "workspace_sid",
]
