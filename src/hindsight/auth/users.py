"""People: creating, changing, disabling and signing in users of the reporting UI.

Users are managed by the `hindsight users` command or by an account's admins through the API.
Wrong passwords are throttled per user and client (domain/login_throttle.py): a flood locks
out the place it comes from, not the user, and a throttled attempt costs no password hashing.
Many wrong passwords from many clients lock the user everywhere but where they last signed in.
Every change, every sign-in attempt and every lock-out is audited.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from hindsight.audit.trail import ALLOWED, DENIED, Actor, AuditTrail
from hindsight.auth import passwords
from hindsight.domain.access import Scope, Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import (
    Conflict,
    HindsightError,
    InvalidParameter,
    NotFound,
    Unauthenticated,
)
from hindsight.domain.login_throttle import (
    ClientFailures,
    Lockout,
    LoginThrottle,
    ThrottlePolicy,
    user_lock,
)
from hindsight.domain.permissions import Permission, parse_roles
from hindsight.domain.record_fields import fields_of
from hindsight.domain.sids import Prefix, is_sid, new_sid
from hindsight.store import accounts as account_store
from hindsight.store import sso as sso_store
from hindsight.store import users as store
from hindsight.store.database import Database
from hindsight.store.sso import SsoProviderRecord
from hindsight.store.users import UserRecord

T = TypeVar("T")
ACTIVE = "active"
DISABLED = "disabled"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,127}$")
_MAX_NAME = 200
# The same answer for every failed sign-in, so it never tells which part was wrong.
_BAD_SIGN_IN = "The user name or password is not correct, or the user is locked"


class SignInBusy(HindsightError, status=429):
    """More sign-ins are waiting for a password check than allowed; like a rate limit."""

    retry_after = 1


@dataclass(frozen=True)
class IssuedUser:
    row: Any
    password: str | None  # the generated password, shown once; None when one was given


@dataclass(frozen=True)
class UserChanges:
    roles: tuple[str, ...] | None = None
    scope: Scope | None = None
    full_name: str | None = None
    email: str | None = None
    status: str | None = None


def normalise_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise InvalidParameter(
            "A user name is 1 to 128 letters, digits or . _ @ + - (starting with a letter or digit)"
        )
    return name


def user_json(row: UserRecord) -> dict[str, Any]:
    """A user as the API and the CLI show it: never the password hash."""
    return {
        **fields_of(row, "sid", "account_sid", "username", "full_name", "email"),
        "roles": orjson.loads(row.roles),
        "scope": orjson.loads(row.scope),
        "status": row.status,
        "locked": bool(row.locked_until_ms),
        **fields_of(row, "auth_provider", "last_login_ms", "date_created", "date_updated"),
    }


def scope_of(row: UserRecord) -> Scope:
    return Scope.from_json(orjson.loads(row.scope))


def roles_of(row: UserRecord) -> tuple[str, ...]:
    return tuple(orjson.loads(row.roles))


def _text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > _MAX_NAME:
        raise InvalidParameter(f"{what} is at most {_MAX_NAME} characters")
    return cleaned or None


class UserService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditTrail,
        policy: ThrottlePolicy | None = None,
        hash_concurrency: int = 2,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._policy = policy or ThrottlePolicy()
        self._throttle = LoginThrottle(self._policy)
        # However many sign-ins arrive at once, argon2 takes at most this many cores: the
        # rest of the API keeps its latency under a flood of wrong passwords.
        self._hashing = asyncio.Semaphore(hash_concurrency)
        self._trusted_lane = asyncio.Semaphore(1)
        self._waiting = 0
        self._max_waiting = 8 * hash_concurrency

    # --- who may manage whom ----------------------------------------------------------------

    async def _manager(self, who: Viewer | Actor, action: str) -> Actor:
        return await self._audit.authorise(who, Permission.MANAGE_USERS, action)

    @staticmethod
    def _visible(viewer: Viewer | None, row: Any | None, sid: str) -> Any:
        # An admin of one account cannot see or touch another account's users.
        if row is None or (viewer is not None and row.account_sid != viewer.account_sid):
            raise NotFound(f"No user {sid}")
        return row

    # --- creating ---------------------------------------------------------------------------

    def _new_row(
        self,
        account_sid: str,
        username: str,
        password_hash: str,
        roles: Iterable[str],
        scope: Scope,
        full_name: str | None,
        email: str | None,
        now: int,
    ) -> dict[str, Any]:
        return {
            "sid": new_sid(Prefix.USER),
            "account_sid": account_sid,
            "username": username,
            "full_name": _text(full_name, "The full name"),
            "email": _text(email, "The e-mail address"),
            "auth_provider": "password",
            "external_subject": None,
            "password_hash": password_hash,
            "password_changed_ms": now,
            "roles": orjson.dumps(list(parse_roles(roles))).decode(),
            "scope": orjson.dumps(scope.to_json()).decode(),
            "status": ACTIVE,
        }

    def _prepare(
        self, username: str, password: str | None, roles: Iterable[str]
    ) -> tuple[str, str, str | None, tuple[str, ...]]:
        name = normalise_username(username)
        parsed = parse_roles(roles)
        if not parsed:
            raise InvalidParameter("Give the user at least one role")
        generated = None
        if password is None:
            password = generated = passwords.generate()
        passwords.check_rules(password, name)
        return name, password, generated, parsed

    def _insert(self, conn: Connection, row: dict[str, Any], now: int) -> Any:
        if account_store.get_account(conn, row["account_sid"]) is None:
            raise NotFound(f"No account {row['account_sid']}")
        if store.get_by_username(conn, row["username"]) is not None:
            raise Conflict(f"A user named {row['username']!r} exists already")
        store.insert_user(conn, row, now)
        return store.get_user(conn, row["sid"])

    async def create(
        self,
        who: Viewer | Actor,
        username: str,
        roles: Iterable[str],
        *,
        password: str | None = None,
        scope: Scope | None = None,
        full_name: str | None = None,
        email: str | None = None,
    ) -> IssuedUser:
        """Create a user in `who`'s account, generating a password when none is given."""
        actor = await self._manager(who, "user.create")
        if actor.account_sid is None:
            raise InvalidParameter("Name the account the user belongs to")
        name, secret, generated, parsed = self._prepare(username, password, roles)
        now = self._clock.now_ms()
        row = self._new_row(
            actor.account_sid,
            name,
            await passwords.hash_password_async(secret),
            parsed,
            scope or Scope(),
            full_name,
            email,
            now,
        )
        created = await self._write(lambda conn: self._insert(conn, row, now))
        await self._audit.record(
            actor,
            "user.create",
            object_type="user",
            object_id=created.sid,
            detail={"username": name, "roles": list(parsed)},
        )
        return IssuedUser(created, generated)

    async def _write(self, unit: Callable[[Connection], T]) -> T:
        try:
            return await self._db.write(unit)
        except IntegrityError:
            raise Conflict("A user with that name exists already") from None

    # --- reading ----------------------------------------------------------------------------

    async def list(self, who: Viewer | Actor) -> list[Any]:
        """The users of `who`'s account; the operator's without an account sees everyone."""
        actor = await self._manager(who, "user.list")
        return await self._db.read(lambda conn: store.list_users(conn, actor.account_sid))

    async def get(self, who: Viewer | Actor, sid: str) -> Any:
        await self._manager(who, "user.view")
        row = await self._db.read(lambda conn: store.get_user(conn, sid)) if is_sid(sid) else None
        return self._visible(_viewer(who), row, sid)

    async def is_active(self, sid: str) -> bool:
        """Whether this person exists and is not disabled (media links and url_provider
        tokens ask at every use, so deactivation ends them at once)."""
        row = await self._db.read(lambda conn: store.get_user(conn, sid)) if is_sid(sid) else None
        return row is not None and row.status == ACTIVE

    async def find(self, username_or_sid: str) -> Any:
        """For the operator (the CLI): a user of any account, by name or SID."""
        key = username_or_sid.strip()

        def unit(conn: Connection) -> Any:
            if is_sid(key):
                return store.get_user(conn, key)
            return store.get_by_username(conn, key.lower())

        row = await self._db.read(unit)
        if row is None:
            raise NotFound(f"No user {username_or_sid!r}")
        return row

    # --- changing ---------------------------------------------------------------------------

    def _changes(self, changes: UserChanges) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if changes.roles is not None:
            parsed = parse_roles(changes.roles)
            if not parsed:
                raise InvalidParameter("Give the user at least one role")
            values["roles"] = orjson.dumps(list(parsed)).decode()
        if changes.scope is not None:
            values["scope"] = orjson.dumps(changes.scope.to_json()).decode()
        if changes.full_name is not None:
            values["full_name"] = _text(changes.full_name, "The full name")
        if changes.email is not None:
            values["email"] = _text(changes.email, "The e-mail address")
        if changes.status is not None:
            if changes.status not in (ACTIVE, DISABLED):
                raise InvalidParameter("status must be 'active' or 'disabled'")
            values["status"] = changes.status
            if changes.status == ACTIVE:
                values["failed_logins"] = 0
                values["locked_until_ms"] = None
        return values

    def _apply(
        self, viewer: Viewer | None, sid: str, values: dict[str, Any]
    ) -> Callable[[Connection], Any]:
        now = self._clock.now_ms()

        def unit(conn: Connection) -> Any:
            row = self._visible(viewer, store.get_user(conn, sid), sid)
            if _sso_managed(row) and ({"roles", "scope"} & set(values)):
                raise Conflict(
                    "This person signs in through single sign-on: their roles and scope come "
                    "from the identity provider's groups at every sign-in (change the group or "
                    "the account's claims mapping instead)"
                )
            if viewer is not None and row.sid == viewer.actor_sid and _demotes(values, row):
                # An admin cannot lock themselves out (someone must be able to manage users).
                raise InvalidParameter("You cannot remove your own admin role or disable yourself")
            store.update_user(conn, row.sid, {**values, "date_updated": now})
            # Changed roles, scope or status take effect at once: sessions end, so the next
            # request signs in again and gets exactly the new rights.
            store.end_user_sessions(conn, row.sid, now)
            return store.get_user(conn, row.sid)

        return unit

    async def update(self, who: Viewer | Actor, sid: str, changes: UserChanges) -> Any:
        actor = await self._manager(who, "user.update")
        values = self._changes(changes)
        row = await self._db.write(self._apply(_viewer(who), sid, values))
        await self._audit.record(
            actor,
            "user.update",
            object_type="user",
            object_id=row.sid,
            detail=_change_detail(values),
        )
        return row

    def _password_values(self, password_hash: str) -> dict[str, Any]:
        return {
            "password_hash": password_hash,
            "password_changed_ms": self._clock.now_ms(),
            "failed_logins": 0,
            "locked_until_ms": None,
        }

    async def reset_password(
        self, who: Viewer | Actor, sid: str, password: str | None = None
    ) -> IssuedUser:
        actor = await self._manager(who, "user.password_reset")
        target = await self.get(who, sid)
        generated = None
        if password is None:
            password = generated = passwords.generate()
        passwords.check_rules(password, target.username)
        values = self._password_values(await passwords.hash_password_async(password))
        row = await self._db.write(self._apply(_viewer(who), sid, values))
        await self._audit.record(
            actor, "user.password_reset", object_type="user", object_id=row.sid
        )
        return IssuedUser(row, generated)

    # --- signing in -------------------------------------------------------------------------

    async def authenticate(self, username: str, password: str, ip: str | None) -> Any:
        """The active user with this name and password; Unauthenticated otherwise.

        A locked user is refused even with the right password, before it is checked, and the
        answer never says which case it was.
        """
        try:
            name = normalise_username(username)
        except InvalidParameter:
            name = None
        client = ip or "?"
        key = name or (username or "?")[:64]
        found = (
            await self._db.read(lambda conn: _user_and_last_ip(conn, name, client))
            if name
            else None
        )
        row, last_ip, sso, stored = found if found is not None else (None, None, None, None)
        now = self._clock.now_ms()
        actor = Actor(
            "user",
            row.sid if row else None,
            row.username if row else key,
            account_sid=row.account_sid if row else None,
            roles=roles_of(row) if row else (),
            ip=ip,
        )
        locked = self._lock_reason(key, client, row, last_ip, stored, now)
        if locked is not None:
            # The first refusal of a lock-out is audited; the rest are counted and reported
            # with the next attempt let through, so a flood is not an audit write per request.
            if self._throttle.refused(key, client) == 1:
                await self._deny(actor, locked, {"password_checked": False})
            raise Unauthenticated(_BAD_SIGN_IN)
        try:
            earlier = self._throttle.take_refused(key, client)
            reported = {"refused_while_locked": earlier} if earlier > 1 else None
            trusted = row is not None and client == last_ip
            matches = await self._check_password(row, password, trusted)
            refusal = _refusal(row, matches) or (
                "local passwords are turned off for this account (single sign-on only)"
                if _passwords_off(sso) and not _break_glass(sso, row)
                else None
            )
            if refusal is not None:
                if not matches:
                    await self._count_failure(actor, key, client, row, now)
                await self._deny(actor, refusal, reported)
                raise Unauthenticated(_BAD_SIGN_IN)
        finally:
            self._throttle.finish(key, client)
        self._throttle.succeeded(key, client)
        assert row is not None  # an unknown user name was refused above

        def signed_in(conn: Connection) -> None:
            store.update_user(
                conn, row.sid, {"failed_logins": 0, "locked_until_ms": None, "last_login_ms": now}
            )
            store.forget_client_failures(conn, row.sid, client)

        await self._db.write(signed_in)
        await self._audit.record(
            actor,
            "auth.login",
            object_type="user",
            object_id=row.sid,
            outcome=ALLOWED,
            detail=reported,
        )
        if _break_glass(sso, row):
            # The documented way in when single sign-on is broken: always on the record.
            await self._audit.record(
                actor,
                "auth.break_glass",
                object_type="user",
                object_id=row.sid,
                reason="password sign-in while local passwords are turned off",
            )
        return row

    def _lock_reason(
        self,
        key: str,
        client: str,
        row: Any | None,
        last_ip: str | None,
        stored: ClientFailures | None,
        now: int,
    ) -> str | None:
        """Why the attempt is refused unchecked, or None (then it is begun: `finish` it)."""
        user_locked = row is not None and row.locked_until_ms and row.locked_until_ms > now
        # The user-wide lock spares the place the user last signed in from.
        if user_locked and client != last_ip:
            return "user locked after repeated failures from many clients"
        if not self._throttle.try_begin(key, client, now, stored):
            return "user locked after repeated failures"
        return None

    async def _check_password(self, row: Any | None, password: str, trusted: bool) -> bool:
        """argon2, within bounds: at most `hash_concurrency` checks at once and a short queue
        (past it, SignInBusy); the place the user last signed in from has a lane of its own,
        so a flood of guesses never makes the user wait behind it."""
        if trusted:
            lane = self._trusted_lane
        elif self._waiting >= self._max_waiting:
            raise SignInBusy("Too many sign-ins at once; try again in a moment")
        else:
            lane = self._hashing
        self._waiting += 0 if trusted else 1
        try:
            async with lane:
                return await passwords.verify_password_async(
                    row.password_hash if row is not None else None, password or ""
                )
        finally:
            self._waiting -= 0 if trusted else 1

    async def _deny(self, actor: Actor, reason: str, detail: Mapping[str, Any] | None) -> None:
        await self._audit.refused_sign_in(actor, "auth.login", reason, detail)

    async def _count_failure(
        self, actor: Actor, key: str, client: str, row: Any | None, now: int
    ) -> None:
        if row is None:
            lockout = self._throttle.failed(key, client, now)
            if lockout is not None:
                await self._audit_lockout(actor, "client", client, lockout)
            return
        client_lockout, user_lockout = await self._db.write(
            lambda conn: self._count_failures(conn, row.sid, client, now)
        )
        if client_lockout is not None:
            await self._audit_lockout(actor, "client", client, client_lockout)
        if user_lockout is not None:
            await self._audit_lockout(actor, "user", client, user_lockout)

    def _count_failures(
        self, conn: Connection, sid: str, client: str, now: int
    ) -> tuple[Lockout | None, Lockout | None]:
        """A wrong password of a user who exists, counted where every process sees it: for
        this client and for the user; returns the lock-outs it starts."""
        counts, client_lockout = store.lock_client_failures(conn, sid, client).after_failure(
            self._policy, now
        )
        store.save_client_failures(conn, sid, client, counts, now)
        store.forget_stale_client_failures(conn, sid, now - self._policy.max_lockout_ms)
        return client_lockout, self._count_user_failure(conn, sid, now)

    async def _audit_lockout(self, actor: Actor, scope: str, client: str, lockout: Lockout) -> None:
        await self._audit.record(
            actor,
            "auth.lockout",
            object_type="user",
            object_id=actor.actor_sid,
            outcome=DENIED,
            reason="wrong passwords from this client"
            if scope == "client"
            else "wrong passwords from many clients",
            detail={
                "scope": scope,
                "client": client,
                "until_ms": lockout.until_ms,
                "lockouts_in_a_row": lockout.lockouts,
            },
        )

    def _count_user_failure(self, conn: Connection, sid: str, now: int) -> Lockout | None:
        row = store.get_user(conn, sid)
        if row is None:
            return None
        failures = row.failed_logins + 1
        values: dict[str, Any] = {"failed_logins": failures}
        lockout = user_lock(self._policy, failures, now)
        if lockout is not None:
            values["locked_until_ms"] = lockout.until_ms
        store.update_user(conn, sid, values)
        return lockout


def _user_and_last_ip(
    conn: Connection, name: str | None, client: str
) -> tuple[Any, str | None, SsoProviderRecord | None, ClientFailures] | None:
    row = store.get_by_username(conn, name) if name else None
    if row is None:
        return None
    return (
        row,
        store.last_sign_in_ip(conn, row.sid),
        sso_store.get_provider(conn, row.account_sid),
        store.client_failures(conn, row.sid, client),
    )


def _viewer(who: Viewer | Actor) -> Viewer | None:
    """The signed-in person whose account bounds what they reach; None for the operator."""
    return who if isinstance(who, Viewer) else None


def _passwords_off(sso: SsoProviderRecord | None) -> bool:
    return sso is not None and not sso.local_passwords


def _break_glass(sso: SsoProviderRecord | None, row: Any) -> bool:
    """The one admin who keeps a password when the account turned passwords off."""
    return _passwords_off(sso) and sso is not None and sso.break_glass_user_sid == row.sid


def _refusal(row: Any | None, matches: bool) -> str | None:
    if row is None:
        return "unknown user"
    if row.status != ACTIVE:
        return "user disabled"
    if row.auth_provider != "password":
        return "user signs in through single sign-on"
    if not matches:
        return "wrong password"
    return None


def _sso_managed(row: Any) -> bool:
    """People whose roles and scope the provider's claims set at each sign-in."""
    return row.auth_provider != "password" and row.external_subject is not None


def _demotes(values: Mapping[str, Any], row: Any) -> bool:
    if values.get("status") == DISABLED:
        return True
    if "roles" in values:
        was_admin = "admin" in roles_of(row)
        return was_admin and "admin" not in orjson.loads(values["roles"])
    return False


def _change_detail(values: Mapping[str, Any]) -> dict[str, Any]:
    shown = {}
    for key, value in values.items():
        if key in ("password_hash",):
            continue
        shown[key] = orjson.loads(value) if key in ("roles", "scope") else value
    return shown
