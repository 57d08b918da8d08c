"""HTTP Basic authentication for the Twilio-compatible APIs, as an ASGI middleware.

Deny by default: every path under the protected prefixes needs valid credentials; the
principal is put on `request.state.principal` for the handlers.
"""

from __future__ import annotations

import base64
import binascii
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from hindsight.api.errors import error_response, from_error
from hindsight.api.rate_limit import RateLimiter, TooManyRequests
from hindsight.auth.accounts import AccountService, Principal
from hindsight.domain.errors import Unauthenticated

PROTECTED_PREFIXES = ("/v1/", "/2010-04-01/")
# Where the token `POST /v1/Insights/Session` issues is accepted instead of Basic credentials.
INSIGHTS_PREFIX = "/v1/Insights/"
_TOKEN_SCHEMES = (b"token", b"bearer")


class SessionAuthenticator(Protocol):
    async def authenticate(self, token: str) -> Principal: ...


def _session_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Token <t>` (or `Bearer <t>`) header, if that is what
    was sent."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() not in _TOKEN_SCHEMES:
                return None
            try:
                return token.strip().decode("ascii") or None
            except UnicodeDecodeError:
                return None
    return None


def _credentials(scope: Scope) -> tuple[str, str] | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, encoded = value.partition(b" ")
            if scheme.lower() != b"basic":
                return None
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            username, sep, password = decoded.partition(":")
            return (username, password) if sep else None
    return None


class BasicAuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        accounts: AccountService,
        limiter: RateLimiter | None = None,
        insights_sessions: SessionAuthenticator | None = None,
    ) -> None:
        self._app = app
        self._accounts = accounts
        self._limiter = limiter
        self._insights_sessions = insights_sessions

    async def _authenticate(self, scope: Scope) -> Principal:
        credentials = _credentials(scope)
        if credentials is not None:
            return await self._accounts.authenticate(*credentials)
        if self._insights_sessions is not None and scope["path"].startswith(INSIGHTS_PREFIX):
            token = _session_token(scope)
            if token is not None:
                return await self._insights_sessions.authenticate(token)
        raise Unauthenticated("Authentication Error - No credentials provided")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIXES):
            await self._app(scope, receive, send)
            return
        try:
            principal = await self._authenticate(scope)
            if self._limiter is not None:
                self._limiter.hit(principal.account_sid)
        except Unauthenticated as exc:
            await error_response(401, exc.code, exc.message)(scope, receive, send)
            return
        except TooManyRequests as exc:
            await from_error(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self._app(scope, receive, send)
