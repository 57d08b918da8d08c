"""Each account's group mapping (domain/group_mapping.py), and applying it to provisioned
people.

Which wins: while an account has a non-empty mapping, the roles and scope of every person
the provider provisioned come from their groups. They are recomputed whenever their
memberships change, whenever they are provisioned, and for everyone when the mapping is saved;
a hand-made change to such a person's roles lasts until the next of those. With an empty
mapping, SCIM never touches roles or scope (new people get `agent`, no access, until an admin
gives them roles). People created locally are never changed by the mapping.

A changed grant ends the person's sessions, as any change of rights does (auth/users.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection

from hindsight.audit.trail import Actor, AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.group_mapping import GroupMapping, parse_mapping
from hindsight.domain.permissions import Permission
from hindsight.store import scim as store
from hindsight.store import users as user_store
from hindsight.store.database import Database


def load(conn: Connection, account_sid: str) -> GroupMapping:
    stored = store.get_mapping(conn, account_sid)
    return parse_mapping(orjson.loads(stored)) if stored else GroupMapping({})


class MappingRules:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def apply_in(
        self, conn: Connection, account_sid: str, user_sids: Iterable[str], now: int
    ) -> int:
        """Give these people (the provisioned ones) the grant of their groups; how many
        changed. Within the caller's transaction."""
        mapping = load(conn, account_sid)
        if mapping.empty:
            return 0
        changed = 0
        for sid in sorted(set(user_sids)):
            row = user_store.get_user(conn, sid)
            # Whoever the provider provisioned, whatever they sign in with since (OIDC keeps
            # the person, adding their subject); people created locally are left alone.
            if row is None or store.get_person(conn, account_sid, sid) is None:
                continue
            grant = mapping.grant_for(store.group_names_of(conn, sid))
            roles = orjson.dumps(list(grant.roles)).decode()
            scope = orjson.dumps(grant.scope.to_json()).decode()
            if (roles, scope) == (row.roles, row.scope):
                continue
            user_store.update_user(conn, sid, {"roles": roles, "scope": scope, "date_updated": now})
            user_store.end_user_sessions(conn, sid, now)
            self._audit.record_in(
                conn,
                Actor("system", None, "group mapping", account_sid),
                "scim.grant_apply",
                object_type="user",
                object_id=sid,
                detail={
                    "roles": list(grant.roles),
                    "scope": grant.scope.to_json(),
                },
            )
            changed += 1
        return changed

    # --- the admin's side -------------------------------------------------------------------

    async def get(self, viewer: Viewer) -> GroupMapping:
        await self._audit.require(viewer, Permission.MANAGE_USERS, "scim.mapping_view")
        return await self._db.read(lambda conn: load(conn, viewer.account_sid))

    async def put(self, viewer: Viewer, document: Any) -> tuple[GroupMapping, int]:
        """Save the mapping and apply it to every provisioned person; (mapping, changed)."""
        await self._audit.require(viewer, Permission.MANAGE_USERS, "scim.mapping_update")
        mapping = parse_mapping(document)
        now = self._clock.now_ms()
        text = orjson.dumps(mapping.to_json()).decode()

        def unit(conn: Connection) -> int:
            store.put_mapping(conn, viewer.account_sid, text, now, viewer.name)
            self._audit.record_in(
                conn,
                viewer,
                "scim.mapping_update",
                object_type="scim_mapping",
                object_id=viewer.account_sid,
                detail=mapping.to_json(),
            )
            people = store.provisioned_sids(conn, viewer.account_sid)
            return self.apply_in(conn, viewer.account_sid, people, now)

        return mapping, await self._db.write(unit)
