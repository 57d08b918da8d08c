"""Who is asking, what they may do, and which conversations they may see.

A `Viewer` is the subject of every read of conversation data: a person signed in to the UI, or
an integration authenticated with an account's credentials (a service principal, which acts
for the whole account). Permissions come from roles (domain/permissions.py); a `Scope` limits
a person to some teams, queues or departments. Twilio has no such scoping ("filtering data
within a workspace is not a security feature"); in Hindsight a conversation outside a viewer's
scope does not exist for them: 404, and absent from every list, aggregate and export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hindsight.domain.errors import Forbidden, InvalidParameter
from hindsight.domain.json_columns import read_column
from hindsight.domain.permissions import Permission, permissions_of

# Integrations read and export everything of their account (and its audit trail, for a SIEM);
# managing people and plug-ins is for people.
_SERVICE_PERMISSIONS = frozenset(Permission) - {Permission.MANAGE_USERS, Permission.MANAGE_PLUGINS}
SCOPE_KINDS = ("teams", "queues", "departments")
_TAG_PREFIX = {"teams": "team", "queues": "queue", "departments": "department"}
MAX_SCOPE_VALUES = 200
MAX_TAG_VALUE = 180


@dataclass(frozen=True)
class Scope:
    """Teams, queues and departments a person is limited to; all empty means no limit.

    A conversation is in scope when any of its segments was handled by one of the teams, passed
    through one of the queues or belonged to one of the departments (names or ids alike).
    """

    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    @property
    def unrestricted(self) -> bool:
        return not (self.teams or self.queues or self.departments)

    def tags(self) -> tuple[str, ...]:
        """The conversation scope tags this scope admits (see `conversation_tags`)."""
        return tuple(
            _tag(_TAG_PREFIX[kind], value) for kind in SCOPE_KINDS for value in getattr(self, kind)
        )

    def to_json(self) -> dict[str, list[str]]:
        return {kind: list(getattr(self, kind)) for kind in SCOPE_KINDS}

    @classmethod
    def from_json(cls, document: Mapping[str, Any] | None) -> Scope:
        """Parse a stored or submitted scope, refusing anything but lists of short strings."""
        if document is None:
            return cls()
        if not isinstance(document, Mapping):
            raise InvalidParameter("scope must be an object with teams, queues, departments")
        unknown = sorted(set(document) - set(SCOPE_KINDS))
        if unknown:
            raise InvalidParameter(
                f"Unknown scope key {unknown[0]!r}; use {', '.join(SCOPE_KINDS)}"
            )
        values: dict[str, tuple[str, ...]] = {}
        for kind in SCOPE_KINDS:
            values[kind] = _scope_values(kind, document.get(kind) or [])
        return cls(**values)


def _scope_values(kind: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise InvalidParameter(f"scope {kind} must be a list of names")
    cleaned = tuple(dict.fromkeys(v.strip() for v in raw if v.strip()))
    if len(cleaned) > MAX_SCOPE_VALUES:
        raise InvalidParameter(f"scope {kind} may hold at most {MAX_SCOPE_VALUES} names")
    too_long = [v for v in cleaned if len(v) > MAX_TAG_VALUE]
    if too_long:
        raise InvalidParameter(f"scope {kind} names are at most {MAX_TAG_VALUE} characters")
    return cleaned


def _tag(kind: str, value: str) -> str:
    # Case-insensitive: "Team A" in a user's scope matches a segment's "team a".
    return f"{kind}:{value.strip().lower()[:MAX_TAG_VALUE]}"


def _mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    parsed = read_column(value, {})
    return parsed if isinstance(parsed, Mapping) else {}


def conversation_tags(segments: Iterable[Mapping[str, Any]]) -> set[str]:
    """Scope tags of a conversation from its segment rows (teams, queues, departments)."""
    tags: set[str] = set()
    for row in segments:
        attributes = _mapping(row.get("attributes"))
        candidates = (
            ("team", row.get("handling_team_name")),
            ("team", row.get("handling_team_id")),
            ("queue", row.get("queue_name")),
            ("queue", row.get("queue_sid")),
            ("department", attributes.get("handling_department_name")),
            ("department", attributes.get("handling_department_id")),
        )
        for kind, value in candidates:
            if isinstance(value, str) and value.strip():
                tags.add(_tag(kind, value))
    return tags


@dataclass(frozen=True)
class Viewer:
    """The subject of a read: who, for which account, with what rights, seeing what."""

    account_sid: str
    actor_type: str  # "user", "account" or "api_key"
    actor_sid: str
    name: str
    roles: tuple[str, ...]
    permissions: frozenset[Permission]
    scope: Scope = field(default_factory=Scope)
    ip: str | None = None
    # The sign-in session a person acts through (links are bound to it); None for integrations.
    session_id: str | None = None

    @classmethod
    def service(cls, account_sid: str, credential_sid: str, ip: str | None = None) -> Viewer:
        """An integration using the account's Auth Token or an API key: the whole account.

        Whoever holds those credentials can already read every task's attributes (and so every
        media URL) through the TaskRouter API; withholding conversations from them would
        protect nothing. They are audited like people, under the credential's SID.
        """
        kind = "account" if credential_sid.startswith("AC") else "api_key"
        return cls(
            account_sid=account_sid,
            actor_type=kind,
            actor_sid=credential_sid,
            name=credential_sid,
            roles=("service",),
            permissions=frozenset(Permission)
            - {Permission.MANAGE_USERS, Permission.MANAGE_PLUGINS},
            ip=ip,
        )

    @classmethod
    def person(
        cls,
        *,
        account_sid: str,
        user_sid: str,
        name: str,
        roles: Iterable[str],
        scope: Scope,
        ip: str | None,
        session_id: str | None,
    ) -> Viewer:
        held = tuple(roles)
        return cls(
            account_sid=account_sid,
            actor_type="user",
            actor_sid=user_sid,
            name=name,
            roles=held,
            permissions=permissions_of(held),
            scope=scope,
            ip=ip,
            session_id=session_id,
        )

    @property
    def is_person(self) -> bool:
        return self.actor_type == "user"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(permission)


class PermissionDenied(Forbidden):
    """The viewer's roles do not grant this permission (HTTP 403)."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(f"Your roles do not allow this ({permission.value} permission needed)")
        self.permission = permission
