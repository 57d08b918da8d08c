"""Short-lived signed tokens: media links and the tokens Hindsight hands to url_providers.

A token is `<payload>.<signature>`, both base64url: the payload a compact JSON object (who it
was issued to, for what, until when), the signature HMAC-SHA256 over the payload with a key
derived from the server's secret for that purpose only. Nothing is stored: a token is checked
by recomputing its signature and reading its expiry, and it carries no personal data beyond
SIDs. Bound to a person and their sign-in session, so a copied link is useless to anyone else
and dies at log-out even before it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import orjson

from hindsight.domain.errors import Forbidden

MEDIA_LINK = "media-link"
PROVIDER_TOKEN = "url-provider"


class InvalidToken(Forbidden):
    """A token that is malformed, tampered with, expired or not the caller's (HTTP 403)."""


@dataclass(frozen=True)
class TokenClaims:
    purpose: str
    account_sid: str
    subject: str  # the person's user SID, or the integration's credential SID
    session: str | None  # the sign-in session's id (a hash prefix), None for integrations
    resource: str  # what the token opens, e.g. "SG…/2" (segment id / media index)
    expires_ms: int
    extra: dict[str, Any]


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose only, so a media link can never pass as a provider token."""
    return hmac.new(secret, b"hindsight-token:" + purpose.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(key: bytes, claims: TokenClaims) -> str:
    body: dict[str, object] = {
        "p": claims.purpose,
        "a": claims.account_sid,
        "u": claims.subject,
        "s": claims.session,
        "r": claims.resource,
        "x": claims.expires_ms,
    }
    if claims.extra:
        body["e"] = claims.extra
    payload = _b64(orjson.dumps(body))
    signature = _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


MAX_TOKEN_LENGTH = 2048


def verify(key: bytes, token: str, purpose: str, now_ms: int) -> TokenClaims:
    """The claims of a genuine, unexpired token for `purpose`; InvalidToken otherwise."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidToken("This link is not valid")
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("This link is not valid")
    try:
        body = orjson.loads(_unb64(payload))
    except (ValueError, orjson.JSONDecodeError):
        raise InvalidToken("This link is not valid") from None
    if not isinstance(body, dict) or body.get("p") != purpose:
        raise InvalidToken("This link is not valid")
    expires = body.get("x")
    if not isinstance(expires, int) or expires <= now_ms:
        raise InvalidToken("This link has expired; open the media again for a new one")
    return TokenClaims(
        purpose=purpose,
        account_sid=str(body.get("a")),
        subject=str(body.get("u")),
        session=body.get("s"),
        resource=str(body.get("r")),
        expires_ms=expires,
        extra=body.get("e") or {},
    )
