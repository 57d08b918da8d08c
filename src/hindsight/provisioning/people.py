"""SCIM Users: the identity provider creates, changes, deactivates and removes people.

A provisioned person is a user of the account with `auth_provider` 'scim': no password (they
sign in through the provider), `username` = userName (lower case), e-mail from the primary
`emails` value, full name from `name.formatted`, else given and family names, else
`displayName`. `active: false` disables them; DELETE removes them. Both end their sessions in
the same transaction, so their media links die with them (links are bound to a live session,
and the broker refuses a disabled person's links and url_provider tokens).

Every change is one audit record in the same transaction, recorded as the token that made it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from hindsight.audit.trail import Actor
from hindsight.auth.users import ACTIVE, DISABLED, normalise_username
from hindsight.domain.access import Scope
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.group_mapping import NO_ACCESS_ROLE
from hindsight.domain.scim.attributes import USER_ATTRS, USER_SCHEMA, clean
from hindsight.domain.scim.errors import invalid_value, uniqueness
from hindsight.domain.sids import Prefix, new_sid
from hindsight.provisioning.collection import ScimCollection, ScimKind
from hindsight.provisioning.resources import user_resource
from hindsight.provisioning.tokens import provisioner
from hindsight.store import scim as store
from hindsight.store import users as user_store
from hindsight.store.scim import ProvisionedUser, ScimToken

T = TypeVar("T")
PROVIDER = "scim"
_MAX_TEXT = 200


def _full_name(attributes: Mapping[str, Any]) -> str | None:
    name = attributes.get("name") or {}
    parts = [name.get("givenName"), name.get("familyName")]
    chosen = (
        name.get("formatted") or " ".join(p for p in parts if p) or attributes.get("displayName")
    )
    return chosen.strip()[:_MAX_TEXT] if chosen else None


def _email(attributes: Mapping[str, Any]) -> str | None:
    emails = attributes.get("emails") or []
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    value = (chosen or {}).get("value")
    return value.strip()[:_MAX_TEXT] if value else None


def _username(value: Any) -> str:
    try:
        return normalise_username(value)
    except InvalidParameter as bad:
        raise invalid_value(f"userName: {bad.message}") from None


class ProvisionedPeople(ScimCollection[ProvisionedUser]):
    kind = ScimKind(USER_ATTRS, USER_SCHEMA, "user", "User", Prefix.USER)
    _get = staticmethod(store.get_person)
    _all = staticmethod(store.list_people)
    resource = staticmethod(user_resource)

    async def _write(self, unit: Callable[[Connection], T]) -> T:
        try:
            return await self._db.write(unit)
        except IntegrityError:
            raise uniqueness("A person with that userName exists already") from None

    # --- creating ---------------------------------------------------------------------------

    async def create(
        self, token: ScimToken, document: Mapping[str, Any], ip: str | None
    ) -> ProvisionedUser:
        attributes = clean(USER_ATTRS, USER_SCHEMA, document)
        username = _username(attributes.pop("userName"))
        external_id = attributes.pop("externalId", None)
        active = attributes.pop("active", True)
        now = self._clock.now_ms()
        sid = new_sid(Prefix.USER)

        def unit(conn: Connection) -> ProvisionedUser:
            if user_store.get_by_username(conn, username) is not None:
                raise uniqueness(f"A person named {username!r} exists already")
            user_store.insert_user(
                conn,
                {
                    "sid": sid,
                    "account_sid": token.account_sid,
                    "username": username,
                    "full_name": _full_name(attributes),
                    "email": _email(attributes),
                    "auth_provider": PROVIDER,
                    "external_subject": None,
                    "password_hash": None,
                    "password_changed_ms": None,
                    "roles": orjson.dumps([NO_ACCESS_ROLE]).decode(),
                    "scope": orjson.dumps(Scope().to_json()).decode(),
                    "status": ACTIVE if active else DISABLED,
                },
                now,
            )
            store.insert_person(
                conn,
                {
                    "user_sid": sid,
                    "account_sid": token.account_sid,
                    "external_id": external_id,
                    "attributes": orjson.dumps(attributes).decode(),
                    "version": 1,
                    "created_ms": now,
                    "updated_ms": now,
                },
            )
            self._mapping.apply_in(conn, token.account_sid, [sid], now)
            self._audit.record_in(
                conn,
                provisioner(token, ip),
                "scim.user_create",
                object_type="user",
                object_id=sid,
                detail={"username": username, "external_id": external_id, "active": active},
            )
            return self._find(conn, token.account_sid, sid)

        return await self._write(unit)

    # --- changing ---------------------------------------------------------------------------

    def _patched(self, current: ProvisionedUser, changed: Mapping[str, Any]) -> dict[str, Any]:
        attributes = clean(USER_ATTRS, USER_SCHEMA, changed)
        # A PATCH that does not name `active` leaves it as it is.
        if "active" not in changed:
            attributes["active"] = current.status == ACTIVE
        return attributes

    def _store(
        self,
        conn: Connection,
        current: ProvisionedUser,
        attributes: dict[str, Any],
        who: Actor,
        action: str,
    ) -> ProvisionedUser:
        sid = current.sid
        attributes = dict(attributes)
        username = _username(attributes.pop("userName"))
        external_id = attributes.pop("externalId", None)
        active = attributes.pop("active", current.status == ACTIVE)
        if username != current.username:
            other = user_store.get_by_username(conn, username)
            if other is not None:
                raise uniqueness(f"A person named {username!r} exists already")
        now = self._clock.now_ms()
        status = ACTIVE if active else DISABLED
        values: dict[str, Any] = {
            "username": username,
            "full_name": _full_name(attributes),
            "email": _email(attributes),
            "status": status,
            "date_updated": now,
        }
        if status == ACTIVE and current.status != ACTIVE:
            values.update(failed_logins=0, locked_until_ms=None)
        user_store.update_user(conn, sid, values)
        store.update_person(
            conn,
            sid,
            {
                "external_id": external_id,
                "attributes": orjson.dumps(attributes).decode(),
                "version": current.version + 1,
                "updated_ms": now,
            },
        )
        detail: dict[str, Any] = {"username": username}
        if status != current.status:
            detail["status"] = status
        if status == DISABLED and current.status != DISABLED:
            # Deactivation ends access at once: every session, and with them every link.
            detail["sessions_ended"] = user_store.end_user_sessions(conn, sid, now)
        self._audit.record_in(conn, who, action, object_type="user", object_id=sid, detail=detail)
        return self._find(conn, current.account_sid, sid)

    # --- removing ---------------------------------------------------------------------------

    def _remove(self, conn: Connection, current: ProvisionedUser, who: Actor) -> None:
        ended = user_store.end_user_sessions(conn, current.sid, self._clock.now_ms())
        store.delete_user(conn, current.sid)
        self._audit.record_in(
            conn,
            who,
            "scim.user_delete",
            object_type="user",
            object_id=current.sid,
            detail={"username": current.username, "sessions_ended": ended},
        )
