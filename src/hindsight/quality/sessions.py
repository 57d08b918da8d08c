"""Insights sessions: the token `POST /v1/Insights/Session` issues.

Flex's own Insights session opens the analytics portal; Hindsight's is a short-lived token
that stands for the credentials that asked for it, sent back as `Authorization: Token <id>`
(or `Bearer`) to the Insights APIs only, where a browser plug-in should not hold the Auth
Token. It is signed, not stored; it stops working when it expires, when the account is
disabled, or when the API key it was issued to is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from hindsight.audit.trail import AuditTrail
from hindsight.auth.accounts import Principal
from hindsight.domain import signed_tokens
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Unauthenticated
from hindsight.domain.sids import Prefix
from hindsight.store import accounts as account_store
from hindsight.store.database import Database

PURPOSE = "insights-session"
DEFAULT_TTL_MS = 3_600_000
_ACTIVE = "active"


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_ms: int
    workspace_id: str


class InsightsSessions:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditTrail,
        key: bytes,
        ttl_ms: int = DEFAULT_TTL_MS,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._key = key
        self._ttl_ms = ttl_ms

    async def issue(self, viewer: Viewer) -> IssuedSession:
        expires = self._clock.now_ms() + self._ttl_ms
        claims = signed_tokens.TokenClaims(
            purpose=PURPOSE,
            account_sid=viewer.account_sid,
            subject=viewer.actor_sid,
            session=None,
            resource="insights",
            expires_ms=expires,
            extra={},
        )
        token = signed_tokens.issue(self._key, claims)
        await self._audit.record(viewer, "insights.session.create", detail={"expires_ms": expires})
        return IssuedSession(token=token, expires_ms=expires, workspace_id=viewer.account_sid)

    async def authenticate(self, token: str) -> Principal:
        try:
            claims = signed_tokens.verify(self._key, token, PURPOSE, self._clock.now_ms())
        except signed_tokens.InvalidToken:
            raise Unauthenticated(
                "Authentication Error - the Insights session token is not valid or has expired"
            ) from None
        principal = Principal(account_sid=claims.account_sid, credential_sid=claims.subject)

        def still_valid(conn: object) -> bool:
            account = account_store.get_account(conn, principal.account_sid)
            if account is None or account.status != _ACTIVE:
                return False
            if principal.credential_sid.startswith(Prefix.API_KEY):
                key = account_store.get_api_key(conn, principal.credential_sid)
                return key is not None and key.account_sid == principal.account_sid
            return principal.credential_sid == principal.account_sid

        if not await self._db.read(still_valid):
            raise Unauthenticated(
                "Authentication Error - the credentials behind this session are gone"
            )
        return principal
