"""SCIM Groups: the identity provider's groups of this account's people, and their members.

Groups matter through the account's group mapping (provisioning/mapping.py): whenever a
group's members or name change, or it is removed, the people concerned get their grant again.
Members are people of this account only; naming anyone else is refused (400 invalidValue).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from hindsight.audit.trail import Actor
from hindsight.domain.scim.attributes import GROUP_ATTRS, GROUP_SCHEMA, clean
from hindsight.domain.scim.errors import invalid_value
from hindsight.domain.sids import Prefix, new_sid
from hindsight.provisioning.collection import ScimCollection, ScimKind
from hindsight.provisioning.resources import group_resource
from hindsight.provisioning.tokens import provisioner
from hindsight.store import scim as store
from hindsight.store.scim import Group, ScimToken


def _member_sids(attributes: Mapping[str, Any]) -> set[str]:
    members = attributes.get("members") or []
    sids = set()
    for member in members:
        value = member.get("value")
        if not isinstance(value, str) or not value:
            raise invalid_value("Each member has a value: the id of a User")
        sids.add(value)
    return sids


class ProvisionedGroups(ScimCollection[Group]):
    kind = ScimKind(GROUP_ATTRS, GROUP_SCHEMA, "group", "Group", Prefix.SCIM_GROUP)
    _get = staticmethod(store.get_group)
    _all = staticmethod(store.list_groups)
    resource = staticmethod(group_resource)

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

    def _store(
        self, conn: Connection, current: Group, attributes: dict[str, Any], who: Actor, action: str
    ) -> Group:
        sid = current.sid
        members = _member_sids(attributes)
        self._members_of_account(conn, current.account_sid, members)
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
            who,
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
            conn, current.account_sid, members | before if renamed else touched, now
        )
        return self._find(conn, current.account_sid, sid)

    def _remove(self, conn: Connection, current: Group, who: Actor) -> None:
        store.delete_group(conn, current.sid)
        self._audit.record_in(
            conn,
            who,
            "scim.group_delete",
            object_type="scim_group",
            object_id=current.sid,
            detail={"display_name": current.display_name, "members": list(current.members)},
        )
        self._mapping.apply_in(conn, current.account_sid, current.members, self._clock.now_ms())
