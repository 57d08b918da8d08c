"""Who a request to Hindsight's own API or pages acts for: the one place that decides.

* A person: the sign-in session cookie (HttpOnly, SameSite=Lax, `Secure` and the `__Host-`
  prefix over HTTPS). A request that changes something must also carry the session's CSRF
  token in `X-CSRF-Token` and, when the browser says where it comes from (`Origin`), come from
  this server.
* An integration: HTTP Basic with an Account SID and Auth Token or an API key, acting for the
  whole account (domain/access.py: Viewer.service).

Anything else is 401. Every identified request counts against its rate limit.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.openapi.models import APIKey, APIKeyIn, HTTPBase
from fastapi.security.base import SecurityBase
from starlette.responses import Response

from hindsight.api.kit import services
from hindsight.api.rate_limit import RateLimiter
from hindsight.auth.sessions import ActiveSession
from hindsight.domain.access import Viewer
from hindsight.domain.errors import Forbidden, Unauthenticated
from hindsight.service_base import Caller

SESSION_COOKIE = "hindsight_session"
# Over HTTPS the cookie takes the __Host- prefix: browsers then insist on Secure, Path=/ and
# no Domain, so no sibling host or plain-HTTP page can plant or read it.
SECURE_SESSION_COOKIE = "__Host-hindsight_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def is_https(request: Request) -> bool:
    public_url = getattr(request.app.state, "public_url", None)
    if public_url:
        return public_url.startswith("https://")
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if is_https(request) else SESSION_COOKIE


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        cookie_name(request),
        token,
        max_age=max_age,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, SECURE_SESSION_COOKIE):
        response.delete_cookie(
            name, path="/", secure=name.startswith("__Host-"), httponly=True, samesite="lax"
        )


def session_token(request: Request) -> str | None:
    return request.cookies.get(SECURE_SESSION_COOKIE) or request.cookies.get(SESSION_COOKIE)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthenticated("Only HTTP Basic credentials or a sign-in session are accepted")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Malformed HTTP Basic credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("Malformed HTTP Basic credentials")
    return username, password


async def current_session(request: Request) -> ActiveSession | None:
    """The live sign-in session of this request, looked up once per request."""
    if "hindsight_session" not in request.scope.setdefault("state", {}):
        found = await services(request).sessions.resolve(session_token(request), client_ip(request))
        request.scope["state"]["hindsight_session"] = found
    return request.scope["state"]["hindsight_session"]


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site."""
    origin = request.headers.get("origin")
    if origin is None or (origin == "null" and request.method in SAFE_METHODS):
        return True
    if origin == "null":
        return False
    expected = getattr(request.app.state, "public_url", None) or str(request.base_url)
    mine, theirs = urlsplit(expected), urlsplit(origin)
    return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)


def check_csrf(request: Request, session: ActiveSession) -> None:
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise Forbidden("Cross-site requests are refused")
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Forbidden(f"Missing or wrong {CSRF_HEADER.title()} header (sign in again)")


def _limit(request: Request, key: str) -> None:
    limiter: RateLimiter | None = getattr(request.app.state, "api_limiter", None)
    if limiter is not None:
        limiter.hit(key)


class _Documented(SecurityBase):
    """Names a way to authenticate in the OpenAPI description; checks nothing itself (the
    `viewer` dependency does, with Hindsight's own errors)."""

    def __init__(self, model: Any, scheme_name: str) -> None:
        self.model = model
        self.scheme_name = scheme_name

    async def __call__(self, request: Request) -> None:
        return None


_BASIC = _Documented(
    HTTPBase(
        scheme="basic", description="Account SID and Auth Token, or an API key SID and secret"
    ),
    "HTTPBasic",
)
_COOKIE = _Documented(
    APIKey(**{"in": APIKeyIn.cookie}, name=SESSION_COOKIE, description="A sign-in session"),
    "Session",
)


async def viewer(
    request: Request, _basic: None = Depends(_BASIC), _cookie: None = Depends(_COOKIE)
) -> Viewer:
    """FastAPI dependency: the Viewer a request acts for, or 401/403."""
    credentials = basic_credentials(request)
    if credentials is not None:
        principal = await services(request).accounts.authenticate(*credentials)
        found = Viewer.service(principal.account_sid, principal.credential_sid, client_ip(request))
    else:
        session = await current_session(request)
        if session is None:
            raise Unauthenticated("Sign in first (or send HTTP Basic credentials)")
        check_csrf(request, session)
        found = session.viewer
    _limit(request, found.actor_sid)
    return found


async def integration(request: Request, _basic: None = Depends(_BASIC)) -> Caller:
    """FastAPI dependency for integration APIs (recording upload): HTTP Basic only. People
    open media through media links, which check and record every access."""
    credentials = basic_credentials(request)
    if credentials is None:
        raise Unauthenticated(
            "Send the account's HTTP Basic credentials (Account SID + Auth Token)"
        )
    principal = await services(request).accounts.authenticate(*credentials)
    _limit(request, principal.credential_sid)
    return Caller(principal=principal, ip=client_ip(request))


async def person(request: Request) -> Viewer:
    """FastAPI dependency for what only people do (their session, their links)."""
    found = await viewer(request)
    if not found.is_person:
        raise Forbidden("This is for people signed in to Hindsight, not API credentials")
    return found
