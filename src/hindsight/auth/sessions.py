"""Sign-in sessions of the web UI: start, resolve on every request, end.

A session token is 256 random bits in an HttpOnly cookie; the database keeps only its SHA-256,
so a copy of the database opens no session. A session ends after `idle` without a request
(HIPAA's automatic log-off), at `absolute` after sign-in whatever the activity, at log-out, and
when the user's roles, scope, password or status change. Each session has its own CSRF token,
which state-changing requests must echo in a header.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from hindsight.audit.trail import Actor, AuditTrail
from hindsight.auth.sealing import Sealer
from hindsight.auth.users import ACTIVE, roles_of, scope_of
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.store import users as store
from hindsight.store.database import Database
from hindsight.store.users import SessionRecord, UserRecord

# Sessions are marked as seen at most this often, so reading a page is not a write each time.
_TOUCH_EVERY_MS = 15_000
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class SessionPolicy:
    idle_ms: int = 30 * 60_000
    absolute_ms: int = 12 * 3_600_000


@dataclass(frozen=True)
class StartedSession:
    token: str
    csrf_token: str
    expires_ms: int
    user: UserRecord


@dataclass(frozen=True)
class ActiveSession:
    viewer: Viewer
    csrf_token: str
    user: UserRecord
    idle_deadline_ms: int
    expires_ms: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def session_id(token_hash_hex: str) -> str:
    """The id links are bound to: a prefix of the token's hash (never the token itself)."""
    return token_hash_hex[:24]


class SessionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditTrail,
        policy: SessionPolicy,
        sealer: Sealer | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self.policy = policy
        self._sealer = sealer

    async def start(
        self,
        user: Any,
        ip: str | None,
        user_agent: str | None,
        id_token: str | None = None,
    ) -> StartedSession:
        """`id_token`: the provider's ID token of a single sign-on, kept sealed for signing out
        there (a copy of the database alone does not reveal it)."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._clock.now_ms()
        expires = now + self.policy.absolute_ms
        hashed = token_hash(token)
        sealed = None
        if id_token is not None and self._sealer is not None:
            sealed = self._sealer.seal(id_token, _id_token_context(hashed))
        row = {
            "token_hash": hashed,
            "user_sid": user.sid,
            "csrf_token": csrf,
            "created_ms": now,
            "last_seen_ms": now,
            "expires_ms": expires,
            "ended_ms": None,
            "ip": (ip or "")[:64] or None,
            "user_agent": (user_agent or "")[:300] or None,
            "id_token_sealed": sealed,
        }
        await self._db.write(lambda conn: store.insert_session(conn, row))
        return StartedSession(token, csrf, expires, user)

    async def resolve(self, token: str | None, ip: str | None) -> ActiveSession | None:
        """The live session behind a cookie, or None (no cookie, unknown, ended or expired)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        hashed = token_hash(token)
        row = await self._db.read(lambda conn: store.get_session(conn, hashed))
        now = self._clock.now_ms()
        if row is None or not self._alive(row, now):
            return None
        if now - row.last_seen_ms >= _TOUCH_EVERY_MS:
            await self._db.write(lambda conn: store.touch_session(conn, hashed, now))
            last_seen = now
        else:
            last_seen = row.last_seen_ms
        viewer = Viewer.person(
            account_sid=row.user.account_sid,
            user_sid=row.user.sid,
            name=row.user.full_name or row.user.username,
            roles=roles_of(row.user),
            scope=scope_of(row.user),
            ip=ip,
            session_id=session_id(hashed),
        )
        return ActiveSession(
            viewer=viewer,
            csrf_token=row.csrf_token,
            user=row.user,
            idle_deadline_ms=min(last_seen + self.policy.idle_ms, row.expires_ms),
            expires_ms=row.expires_ms,
        )

    def _alive(self, row: SessionRecord, now: int) -> bool:
        return (
            row.ended_ms is None
            and row.expires_ms > now
            and now - row.last_seen_ms < self.policy.idle_ms
            and row.user.status == ACTIVE
        )

    async def id_token_of(self, token: str | None) -> str | None:
        """The provider's ID token the session behind `token` began with, if it kept one."""
        if not token or len(token) > MAX_TOKEN_LENGTH or self._sealer is None:
            return None
        hashed = token_hash(token)
        row = await self._db.read(lambda conn: store.get_session(conn, hashed))
        if row is None or row.id_token_sealed is None:
            return None
        return self._sealer.unseal(row.id_token_sealed, _id_token_context(hashed))

    async def end(self, token: str | None, viewer: Viewer | None) -> None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return
        hashed = token_hash(token)
        now = self._clock.now_ms()
        ended = await self._db.write(lambda conn: store.end_session(conn, hashed, now))
        if ended and viewer is not None:
            await self._audit.record(
                viewer, "auth.logout", object_type="user", object_id=viewer.actor_sid
            )

    def purge(self) -> int:
        keep_after = self._clock.now_ms() - 24 * 3_600_000
        return self._db.write_sync(lambda conn: store.purge_sessions(conn, keep_after))


def _id_token_context(hashed_token: str) -> str:
    # Bound to its session: a sealed token copied into another row does not open.
    return f"session-id-token:{hashed_token}"


def actor_for_user(user: Any, ip: str | None) -> Actor:
    return Actor("user", user.sid, user.username, user.account_sid, roles_of(user), ip)
