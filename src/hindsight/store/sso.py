"""Single sign-on: each account's OpenID provider, sign-ins under way, and finding the person a
provider's subject belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from hindsight.store.records import AnyRow, optional
from hindsight.store.schema import sso_logins, sso_providers, users
from hindsight.store.users import UserRecord, read_user

# People whose sign-in a provider may take over: created by it (OIDC) or by SCIM provisioning.
SSO_PROVIDERS = ("oidc", "scim")


@dataclass(frozen=True)
class SsoProviderRecord:
    account_sid: str
    enabled: bool
    display_name: str
    issuer: str
    client_id: str
    client_secret_sealed: str | None
    scopes: str
    claims_mapping: str
    create_people: bool
    local_passwords: bool
    break_glass_user_sid: str | None
    date_created: int
    date_updated: int


@dataclass(frozen=True)
class PendingLogin:
    state_hash: str
    account_sid: str
    nonce: str
    code_verifier: str
    next_path: str
    purpose: str
    created_ms: int
    expires_ms: int


def _provider(row: AnyRow | None) -> SsoProviderRecord | None:
    if row is None:
        return None
    values = dict(row._mapping)
    values["enabled"] = bool(values["enabled"])
    values["create_people"] = bool(values["create_people"])
    values["local_passwords"] = bool(values["local_passwords"])
    return SsoProviderRecord(**values)


def get_provider(conn: Connection, account_sid: str) -> SsoProviderRecord | None:
    row = conn.execute(
        select(sso_providers).where(sso_providers.c.account_sid == account_sid)
    ).first()
    return _provider(row)


def enabled_providers(conn: Connection) -> list[SsoProviderRecord]:
    rows = conn.execute(
        select(sso_providers)
        .where(sso_providers.c.enabled.is_(True))
        .order_by(sso_providers.c.display_name, sso_providers.c.account_sid)
    )
    return [p for p in (_provider(r) for r in rows) if p is not None]


def save_provider(conn: Connection, values: dict[str, Any]) -> None:
    """Insert or replace an account's provider (`values` holds every column)."""
    exists = get_provider(conn, values["account_sid"]) is not None
    if exists:
        changed = {k: v for k, v in values.items() if k not in ("account_sid", "date_created")}
        conn.execute(
            update(sso_providers)
            .where(sso_providers.c.account_sid == values["account_sid"])
            .values(**changed)
        )
    else:
        conn.execute(insert(sso_providers).values(**values))


def insert_login(conn: Connection, login: PendingLogin) -> None:
    conn.execute(insert(sso_logins).values(**login.__dict__))


def take_login(conn: Connection, state_hash: str) -> PendingLogin | None:
    """The sign-in under way with this state, removed: a state is used once."""
    row = conn.execute(select(sso_logins).where(sso_logins.c.state_hash == state_hash)).first()
    if row is None:
        return None
    taken = conn.execute(delete(sso_logins).where(sso_logins.c.state_hash == state_hash))
    if taken.rowcount != 1:  # another worker took it first
        return None
    return PendingLogin(**dict(row._mapping))


def purge_logins(conn: Connection, now_ms: int) -> int:
    return conn.execute(delete(sso_logins).where(sso_logins.c.expires_ms < now_ms)).rowcount


def by_subject(conn: Connection, account_sid: str, subject: str) -> UserRecord | None:
    query = select(users).where(
        users.c.account_sid == account_sid, users.c.external_subject == subject
    )
    return optional(read_user, conn.execute(query).first())


def linkable(conn: Connection, account_sid: str, names: tuple[str, ...]) -> UserRecord | None:
    """A person of the account, provisioned for SSO and not yet linked to a subject, whose
    user name or e-mail is one of `names` (compared without case)."""
    wanted = [n.lower() for n in names if n]
    if not wanted:
        return None
    query = (
        select(users)
        .where(
            users.c.account_sid == account_sid,
            users.c.auth_provider.in_(SSO_PROVIDERS),
            users.c.external_subject.is_(None),
            or_(func.lower(users.c.username).in_(wanted), func.lower(users.c.email).in_(wanted)),
        )
        .order_by(users.c.date_created)
        .limit(1)
    )
    return optional(read_user, conn.execute(query).first())
