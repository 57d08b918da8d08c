"""SCIM provisioning's tables: bearer tokens, provisioned people, groups and their members,
and each account's group mapping. Typed records leave this module, never rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from hindsight.store.schema import (
    scim_group_members,
    scim_groups,
    scim_settings,
    scim_tokens,
    scim_users,
    users,
)


@dataclass(frozen=True)
class ScimToken:
    sid: str
    account_sid: str
    name: str
    created_ms: int
    created_by: str | None
    last_used_ms: int | None
    revoked_ms: int | None


@dataclass(frozen=True)
class ProvisionedUser:
    """A person as SCIM shows them: the `users` row's identity plus the SCIM attributes."""

    sid: str
    account_sid: str
    username: str
    status: str
    auth_provider: str
    external_id: str | None
    attributes: dict
    version: int
    created_ms: int
    updated_ms: int


@dataclass(frozen=True)
class Group:
    sid: str
    account_sid: str
    display_name: str
    external_id: str | None
    version: int
    created_ms: int
    updated_ms: int
    members: tuple[str, ...]  # user SIDs


def _token(row: Any) -> ScimToken:
    return ScimToken(
        sid=row.sid,
        account_sid=row.account_sid,
        name=row.name,
        created_ms=row.created_ms,
        created_by=row.created_by,
        last_used_ms=row.last_used_ms,
        revoked_ms=row.revoked_ms,
    )


# --- tokens -----------------------------------------------------------------------------------


def insert_token(conn: Connection, row: dict) -> None:
    conn.execute(insert(scim_tokens).values(**row))


def list_tokens(conn: Connection, account_sid: str) -> list[ScimToken]:
    rows = conn.execute(
        select(scim_tokens)
        .where(scim_tokens.c.account_sid == account_sid)
        .order_by(scim_tokens.c.created_ms)
    )
    return [_token(r) for r in rows]


def live_token(conn: Connection, token_hash: str) -> ScimToken | None:
    row = conn.execute(
        select(scim_tokens).where(
            scim_tokens.c.token_hash == token_hash, scim_tokens.c.revoked_ms.is_(None)
        )
    ).first()
    return _token(row) if row is not None else None


def touch_token(conn: Connection, sid: str, now_ms: int) -> None:
    conn.execute(update(scim_tokens).where(scim_tokens.c.sid == sid).values(last_used_ms=now_ms))


def revoke_token(conn: Connection, account_sid: str, sid: str, now_ms: int) -> bool:
    result = conn.execute(
        update(scim_tokens)
        .where(
            scim_tokens.c.sid == sid,
            scim_tokens.c.account_sid == account_sid,
            scim_tokens.c.revoked_ms.is_(None),
        )
        .values(revoked_ms=now_ms)
    )
    return result.rowcount == 1


# --- people -----------------------------------------------------------------------------------

_PEOPLE = select(
    users.c.sid,
    users.c.account_sid,
    users.c.username,
    users.c.status,
    users.c.auth_provider,
    scim_users.c.external_id,
    scim_users.c.attributes,
    scim_users.c.version,
    scim_users.c.created_ms,
    scim_users.c.updated_ms,
).join(scim_users, scim_users.c.user_sid == users.c.sid)


def _person(row: Any) -> ProvisionedUser:
    return ProvisionedUser(
        sid=row.sid,
        account_sid=row.account_sid,
        username=row.username,
        status=row.status,
        auth_provider=row.auth_provider,
        external_id=row.external_id,
        attributes=orjson.loads(row.attributes),
        version=row.version,
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
    )


def insert_person(conn: Connection, row: dict) -> None:
    conn.execute(insert(scim_users).values(**row))


def get_person(conn: Connection, account_sid: str, sid: str) -> ProvisionedUser | None:
    row = conn.execute(
        _PEOPLE.where(users.c.sid == sid, users.c.account_sid == account_sid)
    ).first()
    return _person(row) if row is not None else None


def list_people(conn: Connection, account_sid: str) -> list[ProvisionedUser]:
    rows = conn.execute(
        _PEOPLE.where(users.c.account_sid == account_sid).order_by(scim_users.c.created_ms)
    )
    return [_person(r) for r in rows]


def update_person(conn: Connection, sid: str, values: dict) -> None:
    conn.execute(update(scim_users).where(scim_users.c.user_sid == sid).values(**values))


def provisioned_sids(conn: Connection, account_sid: str) -> set[str]:
    rows = conn.execute(
        select(scim_users.c.user_sid).where(scim_users.c.account_sid == account_sid)
    )
    return {r.user_sid for r in rows}


def account_user_sids(conn: Connection, account_sid: str, sids: list[str]) -> set[str]:
    """Which of `sids` are people of this account (group members must be)."""
    if not sids:
        return set()
    rows = conn.execute(
        select(users.c.sid).where(users.c.account_sid == account_sid, users.c.sid.in_(sids))
    )
    return {r.sid for r in rows}


def delete_user(conn: Connection, sid: str) -> None:
    """The person and, by cascade, their sessions, SCIM attributes and memberships."""
    conn.execute(delete(users).where(users.c.sid == sid))


# --- groups -----------------------------------------------------------------------------------


def _members(conn: Connection, group_sids: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = defaultdict(list)
    if group_sids:
        rows = conn.execute(
            select(scim_group_members)
            .where(scim_group_members.c.group_sid.in_(group_sids))
            .order_by(scim_group_members.c.user_sid)
        )
        for row in rows:
            found[row.group_sid].append(row.user_sid)
    return {sid: tuple(found.get(sid, ())) for sid in group_sids}


def _groups(conn: Connection, rows: list) -> list[Group]:
    members = _members(conn, [r.sid for r in rows])
    return [
        Group(
            sid=r.sid,
            account_sid=r.account_sid,
            display_name=r.display_name,
            external_id=r.external_id,
            version=r.version,
            created_ms=r.created_ms,
            updated_ms=r.updated_ms,
            members=members[r.sid],
        )
        for r in rows
    ]


def insert_group(conn: Connection, row: dict) -> None:
    conn.execute(insert(scim_groups).values(**row))


def get_group(conn: Connection, account_sid: str, sid: str) -> Group | None:
    rows = conn.execute(
        select(scim_groups).where(
            scim_groups.c.sid == sid, scim_groups.c.account_sid == account_sid
        )
    ).all()
    found = _groups(conn, rows)
    return found[0] if found else None


def list_groups(conn: Connection, account_sid: str) -> list[Group]:
    rows = conn.execute(
        select(scim_groups)
        .where(scim_groups.c.account_sid == account_sid)
        .order_by(scim_groups.c.created_ms, scim_groups.c.sid)
    ).all()
    return _groups(conn, rows)


def update_group(conn: Connection, sid: str, values: dict) -> None:
    conn.execute(update(scim_groups).where(scim_groups.c.sid == sid).values(**values))


def set_members(conn: Connection, group_sid: str, user_sids: set[str]) -> set[str]:
    """Make the group's members exactly `user_sids`; the people whose membership changed."""
    current = set(_members(conn, [group_sid])[group_sid])
    gone, new = current - user_sids, user_sids - current
    if gone:
        conn.execute(
            delete(scim_group_members).where(
                scim_group_members.c.group_sid == group_sid,
                scim_group_members.c.user_sid.in_(sorted(gone)),
            )
        )
    if new:
        conn.execute(
            insert(scim_group_members),
            [{"group_sid": group_sid, "user_sid": sid} for sid in sorted(new)],
        )
    return gone | new


def delete_group(conn: Connection, sid: str) -> None:
    conn.execute(delete(scim_groups).where(scim_groups.c.sid == sid))


def group_names_of(conn: Connection, user_sid: str) -> list[str]:
    rows = conn.execute(
        select(scim_groups.c.display_name)
        .join(scim_group_members, scim_group_members.c.group_sid == scim_groups.c.sid)
        .where(scim_group_members.c.user_sid == user_sid)
        .order_by(scim_groups.c.display_name)
    )
    return [r.display_name for r in rows]


def groups_of_people(conn: Connection, account_sid: str) -> dict[str, list[tuple[str, str]]]:
    """Per person of the account: (group id, display name) of the groups they are in."""
    rows = conn.execute(
        select(scim_group_members.c.user_sid, scim_groups.c.sid, scim_groups.c.display_name)
        .join(scim_groups, scim_groups.c.sid == scim_group_members.c.group_sid)
        .where(scim_groups.c.account_sid == account_sid)
        .order_by(scim_groups.c.display_name)
    )
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        found[row.user_sid].append((row.sid, row.display_name))
    return found


# --- the group mapping ------------------------------------------------------------------------


def get_mapping(conn: Connection, account_sid: str) -> str | None:
    return conn.execute(
        select(scim_settings.c.group_mapping).where(scim_settings.c.account_sid == account_sid)
    ).scalar()


def put_mapping(
    conn: Connection, account_sid: str, mapping_json: str, now_ms: int, by: str | None
) -> None:
    values = {"group_mapping": mapping_json, "updated_ms": now_ms, "updated_by": by}
    done = conn.execute(
        update(scim_settings).where(scim_settings.c.account_sid == account_sid).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(scim_settings).values(account_sid=account_sid, **values))
