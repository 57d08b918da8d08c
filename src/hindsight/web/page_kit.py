"""What every page shares: who is looking, where sign-in sends them back to, the context
each template is given, and errors shown as the error page rather than a stack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hindsight.api import identity
from hindsight.api.session import describe
from hindsight.auth.sessions import ActiveSession
from hindsight.domain.errors import HindsightError
from hindsight.web import plugins
from hindsight.web.render import render

Page = Callable[[Request, ActiveSession], Awaitable[Response]]


def safe_next(value: str | None) -> str:
    """Only a path on this server: never `//evil.example` or `https://evil.example`."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/conversations"
    return value


def to_sign_in(request: Request) -> RedirectResponse:
    """To the sign-in page, which sends the person back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def page_context(request: Request, session: ActiveSession, **extra: Any) -> dict[str, Any]:
    """What every page's template is given about the person and the page, plus `extra`."""
    described = describe(session)
    return {
        "request": request,
        "me": described["user"],
        "can": described["can"],
        "csrf": session.csrf_token,
        "idle_deadline_ms": session.idle_deadline_ms,
        "plugins": plugins.available(request.app.state.plugins_dir),
        "path": request.url.path,
        **extra,
    }


async def signed_in_page(request: Request, build: Page) -> Response:
    """Run a page for the signed-in person; errors become the error page, not a stack."""
    session = await identity.current_session(request)
    if session is None:
        return to_sign_in(request)
    try:
        return await build(request, session)
    except HindsightError as error:
        return render(
            "error.html",
            page_context(request, session, status=error.status, message=error.message),
            status=error.status,
        )
