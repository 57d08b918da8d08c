"""A plain Starlette route table for the Twilio-compatible APIs.

FastAPI's router costs ~0.3 ms per request here (it re-matches every route several times and
resolves dependencies), more than the database work of a task update; these endpoints take
the request and parse parameters themselves anyway, so they use Starlette's router directly.
Handlers are written `async def handler(request, **path_params) -> Response`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Handler = Callable[..., Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, **request.path_params)

    endpoint.__name__ = handler.__name__
    return endpoint


class Routes:
    """Collects routes with FastAPI-style decorators: `@routes.get("/path/{sid}")`."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def _add(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.routes.append(Route(path, _endpoint(handler), methods=[method]))
            return handler

        return decorate

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self._add("GET", path)

    def post(self, path: str) -> Callable[[Handler], Handler]:
        return self._add("POST", path)

    def delete(self, path: str) -> Callable[[Handler], Handler]:
        return self._add("DELETE", path)


__all__ = ["Any", "Routes"]
