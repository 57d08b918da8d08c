"""An account's single sign-on configuration: read and changed by its admins, every change
audited, the client secret sealed with the server's key (never shown back)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Connection

from hindsight.audit.trail import Actor, AuditTrail
from hindsight.auth.sealing import Sealer
from hindsight.auth.sso.oidc import ClientConfig
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.domain.permissions import Permission
from hindsight.domain.sso_mapping import ClaimsMapping
from hindsight.store import accounts as account_store
from hindsight.store import sso as store
from hindsight.store import users as user_store
from hindsight.store.database import Database
from hindsight.store.sso import SsoProviderRecord

DEFAULT_SCOPES = "openid profile email"
# Stricter than RFC 6749's scope-token: what providers use (Entra: api://app/.default).
_SCOPE = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")
_MAX_URL = 500
_MAX_TEXT = 255
# What an admin may set (the API refuses any other field).
FIELDS = frozenset(
    {
        "enabled",
        "display_name",
        "issuer",
        "client_id",
        "client_secret",
        "scopes",
        "claims_mapping",
        "create_people",
        "local_passwords",
        "break_glass_user_sid",
    }
)


@dataclass(frozen=True)
class SsoSettings:
    """An account's configuration as admins see it: whether a secret is set, not the secret."""

    account_sid: str
    enabled: bool
    display_name: str
    issuer: str
    client_id: str
    has_client_secret: bool
    scopes: str
    mapping: ClaimsMapping
    create_people: bool
    local_passwords: bool
    break_glass_user_sid: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "enabled": self.enabled,
            "display_name": self.display_name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "has_client_secret": self.has_client_secret,
            "scopes": self.scopes,
            "claims_mapping": self.mapping.to_json(),
            "create_people": self.create_people,
            "local_passwords": self.local_passwords,
            "break_glass_user_sid": self.break_glass_user_sid,
        }


def settings_of(record: SsoProviderRecord) -> SsoSettings:
    return SsoSettings(
        account_sid=record.account_sid,
        enabled=record.enabled,
        display_name=record.display_name,
        issuer=record.issuer,
        client_id=record.client_id,
        has_client_secret=record.client_secret_sealed is not None,
        scopes=record.scopes,
        mapping=ClaimsMapping.from_json(orjson.loads(record.claims_mapping)),
        create_people=record.create_people,
        local_passwords=record.local_passwords,
        break_glass_user_sid=record.break_glass_user_sid,
    )


def unconfigured(account_sid: str) -> SsoSettings:
    return SsoSettings(
        account_sid=account_sid,
        enabled=False,
        display_name="",
        issuer="",
        client_id="",
        has_client_secret=False,
        scopes=DEFAULT_SCOPES,
        mapping=ClaimsMapping(),
        create_people=False,
        local_passwords=True,
        break_glass_user_sid=None,
    )


def check_issuer(value: Any) -> str:
    """An https URL (plain http only on this machine's loopback, for trying things out)."""
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_URL:
        raise InvalidParameter("issuer must be the provider's URL (https://…)")
    issuer = value.strip()
    try:
        parts = urlsplit(issuer)
        host = parts.hostname or ""
    except ValueError:
        raise InvalidParameter("issuer is not a URL") from None
    if parts.scheme not in ("https", "http"):
        raise InvalidParameter("issuer must be an https:// URL")
    if parts.query or parts.fragment or not host:
        raise InvalidParameter("issuer is a URL without query or fragment")
    if parts.scheme == "https":
        return issuer
    if parts.scheme == "http" and _loopback(host):
        return issuer
    raise InvalidParameter("issuer must be an https:// URL")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_scopes(value: Any) -> str:
    if value is None or value == "":
        return DEFAULT_SCOPES
    if not isinstance(value, str):
        raise InvalidParameter("scopes is a space-separated list")
    scopes = list(dict.fromkeys(value.split()))
    if not scopes or not all(_SCOPE.match(s) for s in scopes) or len(scopes) > 20:
        raise InvalidParameter("scopes is a space-separated list of scope names")
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return " ".join(scopes)


def _text(value: Any, what: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value.strip()) > _MAX_TEXT:
        raise InvalidParameter(f"{what} is text of at most {_MAX_TEXT} characters")
    if required and not value.strip():
        raise InvalidParameter(f"Give the {what}")
    return value.strip()


def _flag(value: Any, what: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidParameter(f"{what} must be true or false")
    return value


class SsoConfigService:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail, sealer: Sealer) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._sealer = sealer

    async def settings(self, viewer: Viewer) -> SsoSettings:
        await self._audit.require(viewer, Permission.MANAGE_USERS, "sso.view")
        record = await self._db.read(lambda conn: store.get_provider(conn, viewer.account_sid))
        return settings_of(record) if record else unconfigured(viewer.account_sid)

    async def save(self, viewer: Viewer, document: Mapping[str, Any]) -> SsoSettings:
        await self._audit.require(viewer, Permission.MANAGE_USERS, "sso.configure")
        unknown = sorted(set(document) - FIELDS)
        if unknown:
            raise InvalidParameter(f"Unknown field {unknown[0]!r}")
        now = self._clock.now_ms()
        values = self._values(viewer, document, now)
        secret = document.get("client_secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) > 1024):
            raise InvalidParameter("client_secret is text of at most 1024 characters")
        sealed = self._sealer.seal(secret, _context(viewer.account_sid)) if secret else None

        def unit(conn: Connection) -> SsoProviderRecord:
            current = store.get_provider(conn, viewer.account_sid)
            if sealed is None and current is not None and secret is None:
                values["client_secret_sealed"] = current.client_secret_sealed
            else:
                values["client_secret_sealed"] = sealed  # "" clears the secret (public client)
            values["date_created"] = current.date_created if current else now
            values["break_glass_user_sid"] = _break_glass(conn, viewer, values)
            store.save_provider(conn, values)
            saved = store.get_provider(conn, viewer.account_sid)
            assert saved is not None
            return saved

        record = await self._db.write(unit)
        shown = settings_of(record)
        detail = {k: v for k, v in shown.to_json().items() if k != "account_sid"}
        detail["client_secret_changed"] = secret is not None
        await self._audit.record(
            Actor.of(viewer),
            "sso.configure",
            object_type="account",
            object_id=viewer.account_sid,
            detail=detail,
        )
        return shown

    def _values(self, viewer: Viewer, document: Mapping[str, Any], now: int) -> dict[str, Any]:
        enabled = _flag(document.get("enabled"), "enabled", False)
        mapping = ClaimsMapping.from_json(document.get("claims_mapping"))
        return {
            "account_sid": viewer.account_sid,
            "enabled": enabled,
            "display_name": _text(document.get("display_name"), "display name", required=False)
            or "single sign-on",
            "issuer": check_issuer(document.get("issuer")),
            "client_id": _text(document.get("client_id"), "client id", required=True),
            "scopes": _check_scopes(document.get("scopes")),
            "claims_mapping": orjson.dumps(mapping.to_json()).decode(),
            "create_people": _flag(document.get("create_people"), "create_people", False),
            "local_passwords": _flag(document.get("local_passwords"), "local_passwords", True),
            "break_glass_user_sid": document.get("break_glass_user_sid") or None,
            "date_updated": now,
        }

    async def restore_passwords(self, account_sid: str, actor: Actor) -> bool:
        """The break-glass from the server itself (`hindsight sso passwords-on`): local
        passwords work again in this account, whatever the provider does. True if they were
        off. Always audited."""
        now = self._clock.now_ms()

        def unit(conn: Connection) -> bool:
            current = store.get_provider(conn, account_sid)
            if current is None or current.local_passwords:
                return False
            values = {**current.__dict__, "local_passwords": True, "date_updated": now}
            store.save_provider(conn, values)
            return True

        changed = await self._db.write(unit)
        await self._audit.record(
            actor,
            "auth.break_glass",
            object_type="account",
            object_id=account_sid,
            reason="local passwords turned back on from the server",
            detail={"local_passwords_were_off": changed},
        )
        return changed

    def record_for(self, account_sid: str) -> SsoProviderRecord | None:
        return self._db.read_sync(lambda conn: store.get_provider(conn, account_sid))

    async def provider(self, account_sid: str) -> SsoProviderRecord:
        record = await self._db.read(lambda conn: store.get_provider(conn, account_sid))
        if record is None:
            raise NotFound("This account has no single sign-on")
        return record

    async def sign_in_choices(self, account_sid: str | None) -> list[SsoProviderRecord]:
        """The providers the sign-in page offers. Naming every account's provider would tell
        anyone who opens the page which organisations this deployment serves, so with several
        accounts only the one the browser asked for (its organisation's sign-in link, or the
        one it last signed in or out through) is offered; an unknown or disabled one is simply
        not offered, like one that does not exist."""

        def choices(conn: Connection) -> list[SsoProviderRecord]:
            if account_sid is not None:
                record = store.get_provider(conn, account_sid)
                return [record] if record is not None and record.enabled else []
            if account_store.holds_several_accounts(conn):
                return []
            return store.enabled_providers(conn)

        return await self._db.read(choices)

    def client(self, record: SsoProviderRecord, redirect_uri: str) -> ClientConfig:
        secret = (
            self._sealer.unseal(record.client_secret_sealed, _context(record.account_sid))
            if record.client_secret_sealed
            else None
        )
        return ClientConfig(
            issuer=record.issuer,
            client_id=record.client_id,
            client_secret=secret,
            scopes=record.scopes,
            redirect_uri=redirect_uri,
        )


def _context(account_sid: str) -> str:
    return f"sso-client-secret:{account_sid}"


def _break_glass(conn: Connection, viewer: Viewer, values: Mapping[str, Any]) -> str | None:
    """With local passwords off, one local admin keeps a password (the documented way back
    in when the provider is down or misconfigured); by default the admin turning them off."""
    chosen = values.get("break_glass_user_sid")
    if values["local_passwords"] and not chosen:
        return None
    chosen = chosen or viewer.actor_sid
    row = (
        user_store.get_user(conn, chosen) if isinstance(chosen, str) and len(chosen) <= 34 else None
    )
    if (
        row is None
        or row.account_sid != viewer.account_sid
        or row.auth_provider != "password"
        or row.status != "active"
        or "admin" not in orjson.loads(row.roles)
    ):
        raise InvalidParameter(
            "The break-glass user (break_glass_user_sid, needed to turn local passwords off) "
            "must be an active admin of this account who signs in with a password"
        )
    return row.sid
