"""HTTP Basic authentication for the Twilio-compatible APIs, as an ASGI middleware.

Deny by default: every path under the protected prefixes needs valid credentials; the
principal is put on `request.state.principal` for the handlers.
"""

from __future__ import annotations

import base64
import binascii

from starlette.types import ASGIApp, Receive, Scope, Send

from hindsight.api.errors import error_response, from_error
from hindsight.api.rate_limit import RateLimiter, TooManyRequests
from hindsight.auth.accounts import AccountService
from hindsight.domain.errors import Unauthenticated

PROTECTED_PREFIXES = ("/v1/", "/2010-04-01/")


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
        self, app: ASGIApp, accounts: AccountService, limiter: RateLimiter | None = None
    ) -> None:
        self._app = app
        self._accounts = accounts
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIXES):
            await self._app(scope, receive, send)
            return
        credentials = _credentials(scope)
        try:
            if credentials is None:
                raise Unauthenticated("Authentication Error - No credentials provided")
            principal = await self._accounts.authenticate(*credentials)
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
