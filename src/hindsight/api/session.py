"""Signing in and out of the web UI: `/api/v1/session`.

POST signs in (JSON or form `username`, `password`) and sets the session cookie; GET says who
is signed in, with the CSRF token pages send back and when the session will end; DELETE signs
out. Sign-in attempts are limited per client address (429 with Retry-After) as well as per
user (a temporary lock after repeated failures).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_response, parse_json_object
from hindsight.api.rate_limit import RateLimiter
from hindsight.auth.sessions import ActiveSession
from hindsight.auth.users import user_json
from hindsight.domain.access import Viewer
from hindsight.domain.errors import Forbidden, InvalidParameter, Unauthenticated
from hindsight.domain.permissions import Permission

PATH = "/api/v1/session"
_MAX_FIELD = 1024

router = APIRouter(tags=["session"])


def describe(session: ActiveSession) -> dict[str, Any]:
    viewer = session.viewer
    return {
        "user": user_json(session.user),
        "permissions": sorted(p.value for p in viewer.permissions),
        "csrf_token": session.csrf_token,
        "idle_deadline_ms": session.idle_deadline_ms,
        "expires_ms": session.expires_ms,
        "can": {p.value: viewer.can(p) for p in Permission},
    }


async def _credentials(request: Request) -> tuple[str, str]:
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if len(body) > 8 * _MAX_FIELD:
        raise InvalidParameter("The sign-in request is too large")
    if content_type.startswith("application/json"):
        document = parse_json_object(body)
    else:
        form = await request.form()
        document = {k: v for k, v in form.items() if isinstance(v, str)}
    username, password = document.get("username"), document.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise InvalidParameter("Give a username and a password")
    if len(username) > _MAX_FIELD or len(password) > _MAX_FIELD:
        raise InvalidParameter("The username or password is too long")
    return username, password


@router.post(PATH, summary="Sign in")
async def sign_in(request: Request) -> Response:
    # A sign-in posted from another site would sign the victim in as the attacker.
    if not identity.same_origin(request):
        raise Forbidden("Cross-site requests are refused")
    limiter: RateLimiter | None = getattr(request.app.state, "login_limiter", None)
    if limiter is not None:
        limiter.hit(identity.client_ip(request) or "?")
    username, password = await _credentials(request)
    services = identity.services(request)
    ip = identity.client_ip(request)
    user = await services.users.authenticate(username, password, ip)
    started = await services.sessions.start(user, ip, request.headers.get("user-agent"))
    session = await services.sessions.resolve(started.token, ip)
    if session is None:  # the user was disabled between the two reads
        raise Unauthenticated("The user name or password is not correct, or the user is locked")
    response = json_response(status=200, document=describe(session))
    identity.set_session_cookie(
        response, request, started.token, services.sessions.policy.absolute_ms // 1000
    )
    return response


@router.get(PATH, summary="Who is signed in")
async def who(request: Request) -> Response:
    session = await identity.current_session(request)
    if session is None:
        raise Unauthenticated("Not signed in")
    return json_response(status=200, document=describe(session))


@router.delete(PATH, status_code=204, summary="Sign out")
async def sign_out(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    await identity.services(request).sessions.end(identity.session_token(request), viewer)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    identity.clear_session_cookies(response)
    return response
