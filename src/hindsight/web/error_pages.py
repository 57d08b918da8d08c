"""Errors a person sees in the browser: an unknown address or a wrong method on a page gets
Hindsight's HTML error page; API clients, media links and anything that did not ask for HTML
keep Twilio's JSON error body (api/errors.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hindsight.web.render import render

_NOT_PAGES = ("/api/", "/v1/", "/2010-04-01/", "/media/", "/static/", "/plugins/", "/webhooks/")
_HEADINGS = {404: "Not found", 405: "Not allowed here", 403: "Not allowed"}

Handler = Callable[[Request, Exception], Awaitable[Response]]


def wants_a_page(request: Request) -> bool:
    """A browser navigating: GET or HEAD, HTML accepted, and not an address of an API."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.url.path.startswith(_NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def browser_aware(json_handler: Handler) -> Handler:
    """`json_handler` for API clients; the HTML error page for browsers."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException) or not wants_a_page(request):
            return await json_handler(request, exc)
        status = exc.status_code
        heading = _HEADINGS.get(status, "Something is wrong")
        message = (
            f"There is no page at {request.url.path}."
            if status == 404
            else f"{request.method} is not possible at {request.url.path}."
            if status == 405
            else str(exc.detail)
        )
        return render("error_page.html", {"heading": heading, "message": message}, status=status)

    return handle
