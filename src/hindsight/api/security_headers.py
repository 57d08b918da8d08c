"""Security headers on every response, whatever answered it (pages, JSON, errors, media).

A response that sets its own Content-Security-Policy (a page that frames embedded media, say)
keeps it; everything else gets the strictest policy, which suits JSON and media.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    # same-origin: nothing of our URLs reaches other sites, while our own pages still send
    # their Origin (with no-referrer browsers send "Origin: null", which CSRF checks refuse).
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool | None = None) -> None:
        self._app = app
        # None: decide per request from its scheme (as a proxy reported it).
        self._https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        https = self._https if self._https is not None else scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [h for h in _ALWAYS if h[0] not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", STRICT_CSP.encode()))
                if https and _HSTS[0] not in present:
                    extra.append(_HSTS)
                message["headers"] = headers + extra
            await send(message)

        await self._app(scope, receive, send_with_headers)
