"""The bearer tokens identity providers use on /scim/v2: one account each, shown once.

A token is `hscim_` + 256 random bits; only its SHA-256 is stored, so a copy of the database
opens nothing. Revoking is immediate: the next request with the token is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.audit.trail import DENIED, Actor, AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import InvalidParameter, NotFound, Unauthenticated
from hindsight.domain.permissions import Permission
from hindsight.domain.record_fields import fields_of
from hindsight.domain.sids import Prefix, new_sid
from hindsight.store import scim as store
from hindsight.store.database import Database

# Re-exported: the HTTP layer names the token record through this service.
from hindsight.store.scim import ScimToken as ScimToken

TOKEN_PREFIX = "hscim_"
MAX_TOKEN_LENGTH = 200
_MAX_NAME = 120


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never again
    record: ScimToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def provisioner(token: ScimToken, ip: str | None) -> Actor:
    """Who a provisioning change is recorded as: the token (its id and name)."""
    return Actor("scim", token.sid, f"SCIM: {token.name}", token.account_sid, (), ip)


def token_json(token: ScimToken) -> dict[str, Any]:
    """A token as the admin API and page show it: never the token itself."""
    shown = ("sid", "name", "created_ms", "created_by", "last_used_ms", "revoked_ms")
    return {**fields_of(token, *shown), "active": token.revoked_ms is None}


class ScimTokens:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    async def _admin(self, viewer: Viewer, action: str) -> None:
        await self._audit.require(viewer, Permission.MANAGE_USERS, action)

    async def create(self, viewer: Viewer, name: str) -> IssuedToken:
        await self._admin(viewer, "scim.token_create")
        cleaned = (name or "").strip() if isinstance(name, str) else ""
        if not cleaned or len(cleaned) > _MAX_NAME:
            raise InvalidParameter(f"Name the token (1 to {_MAX_NAME} characters)")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {
            "sid": new_sid(Prefix.SCIM_TOKEN),
            "account_sid": viewer.account_sid,
            "name": cleaned,
            "token_hash": token_hash(token),
            "created_ms": self._clock.now_ms(),
            "created_by": viewer.name,
            "last_used_ms": None,
            "revoked_ms": None,
        }

        def unit(conn: Connection) -> ScimToken:
            store.insert_token(conn, row)
            self._audit.record_in(
                conn,
                viewer,
                "scim.token_create",
                object_type="scim_token",
                object_id=row["sid"],
                detail={"name": cleaned},
            )
            listed = store.list_tokens(conn, viewer.account_sid)
            return next(t for t in listed if t.sid == row["sid"])

        return IssuedToken(token, await self._db.write(unit))

    async def list(self, viewer: Viewer) -> list[ScimToken]:
        await self._admin(viewer, "scim.token_list")
        return await self._db.read(lambda conn: store.list_tokens(conn, viewer.account_sid))

    async def revoke(self, viewer: Viewer, sid: str) -> None:
        await self._admin(viewer, "scim.token_revoke")
        now = self._clock.now_ms()

        def unit(conn: Connection) -> None:
            if not store.revoke_token(conn, viewer.account_sid, sid, now):
                raise NotFound(f"No live SCIM token {sid[:40]}")
            self._audit.record_in(
                conn, viewer, "scim.token_revoke", object_type="scim_token", object_id=sid
            )

        await self._db.write(unit)

    async def authenticate(self, token: str | None, ip: str | None) -> ScimToken:
        """The live token presented, or Unauthenticated (audited, without the token)."""
        found = None
        if token and len(token) <= MAX_TOKEN_LENGTH and token.startswith(TOKEN_PREFIX):
            hashed = token_hash(token)
            found = await self._db.read(lambda conn: store.live_token(conn, hashed))
        if found is None:
            await self._audit.record(
                Actor("scim", None, "SCIM client", None, (), ip),
                "scim.authenticate",
                outcome=DENIED,
                reason="missing, unknown or revoked bearer token",
            )
            raise Unauthenticated("A valid SCIM bearer token is required")
        now = self._clock.now_ms()
        if found.last_used_ms is None or now - found.last_used_ms > 60_000:
            await self._db.write(lambda conn: store.touch_token(conn, found.sid, now))
        return found
