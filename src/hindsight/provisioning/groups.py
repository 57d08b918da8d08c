"""SCIM Groups: the identity provider's groups of this account's people, and their members.

Groups matter through the account's group mapping (provisioning/mapping.py): whenever a
group's members or name change, or it is removed, the people concerned get their grant again.
Members are people of this account only; naming anyone else is refused (400 invalidValue).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection

from hindsight.audit.trail import AuditTrail
from hindsight.domain.clock import Clock
from hindsight.domain.scim import patch as scim_patch
from hindsight.domain.scim.attributes import GROUP_ATTRS, GROUP_SCHEMA, clean
from hindsight.domain.scim.errors import invalid_value, not_found
from hindsight.domain.sids import Prefix, is_sid, new_sid
from hindsight.provisioning.mapping import MappingRules
from hindsight.provisioning.resources import Page, check_if_match, group_resource, page_of
from hindsight.provisioning.tokens import provisioner
from hindsight.store import scim as store
from hindsight.store.database import Database
from hindsight.store.scim import Group, ScimToken

T = TypeVar("T")


def _member_sids(attributes: Mapping[str, Any]) -> set[str]:
    members = attributes.get("members") or []
    sids = set()
    for member in members:
        value = member.get("value")
        if not isinstance(value, str) or not value:
            raise invalid_value("Each member has a value: the id of a User")
        sids.add(value)
    return sids


class ProvisionedGroups:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditTrail, mapping: MappingRules
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._mapping = mapping

    async def _write(self, unit: Callable[[Connection], T]) -> T:
        return await self._db.write(unit)

    # --- reading ----------------------------------------------------------------------------

    async def list(
        self, token: ScimToken, base: str, filter_text: str | None, start: int, count: int
    ) -> Page:
        groups = await self._db.read(lambda conn: store.list_groups(conn, token.account_sid))
        documents = [group_resource(g, base) for g in groups]
        return await asyncio.to_thread(
            page_of, documents, filter_text, GROUP_ATTRS, GROUP_SCHEMA, start, count
        )

    async def get(self, token: ScimToken, sid: str) -> Group:
        return await self._db.read(lambda conn: self._find(conn, token.account_sid, sid))

    @staticmethod
    def _find(conn: Connection, account_sid: str, sid: str) -> Group:
        found = store.get_group(conn, account_sid, sid) if is_sid(sid, Prefix.SCIM_GROUP) else None
        if found is None:
            raise not_found(f"No Group {sid[:40]}")
        return found

    # --- writing ----------------------------------------------------------------------------

    def _members_of_account(self, conn: Connection, account_sid: str, wanted: set[str]) -> None:
        known = store.account_user_sids(conn, account_sid, sorted(wanted))
        unknown = sorted(wanted - known)
        if unknown:
            raise invalid_value(f"No User {unknown[0][:40]} in this account")

    async def create(self, token: ScimToken, document: Mapping[str, Any], ip: str | None) -> Group:
        attributes = clean(GROUP_ATTRS, GROUP_SCHEMA, document)
        members = _member_sids(attributes)
        now = self._clock.now_ms()
        sid = new_sid(Prefix.SCIM_GROUP)

        def unit(conn: Connection) -> Group:
            self._members_of_account(conn, token.account_sid, members)
            store.insert_group(
                conn,
                {
                    "sid": sid,
                    "account_sid": token.account_sid,
                    "display_name": attributes["displayName"],
                    "external_id": attributes.get("externalId"),
                    "version": 1,
                    "created_ms": now,
                    "updated_ms": now,
                },
            )
            store.set_members(conn, sid, members)
            self._audit.record_in(
                conn,
                provisioner(token, ip),
                "scim.group_create",
                object_type="scim_group",
                object_id=sid,
                detail={"display_name": attributes["displayName"], "members": sorted(members)},
            )
            self._mapping.apply_in(conn, token.account_sid, members, now)
            return self._find(conn, token.account_sid, sid)

        return await self._write(unit)

    async def replace(
        self,
        token: ScimToken,
        sid: str,
        document: Mapping[str, Any],
        ip: str | None,
        if_match: str | None = None,
    ) -> Group:
        attributes = clean(GROUP_ATTRS, GROUP_SCHEMA, document)
        return await self._write(
            lambda conn: self._store(
                conn, token, sid, attributes, ip, "scim.group_replace", if_match
            )
        )

    async def patch(
        self,
        token: ScimToken,
        sid: str,
        document: Mapping[str, Any],
        base: str,
        ip: str | None,
        if_match: str | None = None,
    ) -> Group:
        operations = scim_patch.parse_operations(document, GROUP_ATTRS, GROUP_SCHEMA)

        def unit(conn: Connection) -> Group:
            current = self._find(conn, token.account_sid, sid)
            resource = group_resource(current, base)
            changed = scim_patch.apply(resource, operations, GROUP_ATTRS, GROUP_SCHEMA)
            attributes = clean(GROUP_ATTRS, GROUP_SCHEMA, changed)
            return self._store(conn, token, sid, attributes, ip, "scim.group_patch", if_match)

        return await self._write(unit)

    def _store(
        self,
        conn: Connection,
        token: ScimToken,
        sid: str,
        attributes: Mapping[str, Any],
        ip: str | None,
        action: str,
        if_match: str | None,
    ) -> Group:
        current = self._find(conn, token.account_sid, sid)
        check_if_match(current.version, if_match)
        members = _member_sids(attributes)
        self._members_of_account(conn, token.account_sid, members)
        now = self._clock.now_ms()
        store.update_group(
            conn,
            sid,
            {
                "display_name": attributes["displayName"],
                "external_id": attributes.get("externalId"),
                "version": current.version + 1,
                "updated_ms": now,
            },
        )
        touched = store.set_members(conn, sid, members)
        before = set(current.members)
        self._audit.record_in(
            conn,
            provisioner(token, ip),
            action,
            object_type="scim_group",
            object_id=sid,
            detail={
                "display_name": attributes["displayName"],
                "added": sorted(members - before),
                "removed": sorted(before - members),
            },
        )
        # A new name can change what the mapping gives every member.
        renamed = attributes["displayName"] != current.display_name
        self._mapping.apply_in(
            conn, token.account_sid, members | before if renamed else touched, now
        )
        return self._find(conn, token.account_sid, sid)

    async def delete(
        self, token: ScimToken, sid: str, ip: str | None, if_match: str | None = None
    ) -> None:
        def unit(conn: Connection) -> None:
            current = self._find(conn, token.account_sid, sid)
            check_if_match(current.version, if_match)
            store.delete_group(conn, sid)
            self._audit.record_in(
                conn,
                provisioner(token, ip),
                "scim.group_delete",
                object_type="scim_group",
                object_id=sid,
                detail={"display_name": current.display_name, "members": list(current.members)},
            )
            self._mapping.apply_in(conn, token.account_sid, current.members, self._clock.now_ms())

        await self._write(unit)
