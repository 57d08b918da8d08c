"""How an identity provider's claims become a person of Hindsight: name, roles and scope.

An account's claims mapping says which claim carries the person's groups, which groups give
which role (a Flex Insights role or `admin`) and scope, in the one format SCIM's group mapping
uses too (domain/group_mapping.py), and which claims carry the teams, queues and departments
the person is limited to (when it names any, they decide the scope, not the groups). Roles
and scope are taken from the token at every sign-in and replace what the person had: the
identity provider is the one place they are managed (Flex's own rule; its most asked question
is roles overwritten at sign-in, so Hindsight says so on the Admin page instead of mixing
hand-set and mapped roles).

Pure: parsing and checking a mapping, and applying it to a token's claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hindsight.domain.access import SCOPE_KINDS, Scope
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.group_mapping import GroupMapping, parse_grants

DEFAULT_USERNAME_CLAIM = "preferred_username"
DEFAULT_GROUPS_CLAIM = "groups"
_MAX_CLAIM_NAME = 100
_MAX_CLAIM_VALUES = 500


class MappingRefused(Exception):
    """The token's claims give this person no way in; `reason` goes to the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClaimsMapping:
    username_claim: str = DEFAULT_USERNAME_CLAIM
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    # group name → roles (and scope) it gives; a person in several groups gets all their roles.
    group_roles: GroupMapping = field(default_factory=lambda: GroupMapping({}))
    # scope kind (teams, queues, departments) → the claim that carries its values.
    scope_claims: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "username_claim": self.username_claim,
            "groups_claim": self.groups_claim,
            "group_roles": self.group_roles.grants_json(),
            "scope_claims": dict(self.scope_claims),
        }

    @classmethod
    def from_json(cls, document: Any) -> ClaimsMapping:
        """Parse a stored or submitted mapping, refusing unknown roles and odd shapes."""
        if document is None:
            return cls()
        if not isinstance(document, Mapping):
            raise InvalidParameter("The claims mapping must be a JSON object")
        unknown = sorted(
            set(document) - {"username_claim", "groups_claim", "group_roles", "scope_claims"}
        )
        if unknown:
            raise InvalidParameter(f"Unknown claims mapping field {unknown[0]!r}")
        return cls(
            username_claim=_claim_name(
                document.get("username_claim") or DEFAULT_USERNAME_CLAIM, "username_claim"
            ),
            groups_claim=_claim_name(
                document.get("groups_claim") or DEFAULT_GROUPS_CLAIM, "groups_claim"
            ),
            group_roles=parse_grants(document.get("group_roles") or {}, "group_roles"),
            scope_claims=_scope_claims(document.get("scope_claims") or {}),
        )


@dataclass(frozen=True)
class MappedPerson:
    """What the claims say of a person: names to find or create them, and their access."""

    subject: str
    username: str
    email: str | None
    full_name: str | None
    groups: tuple[str, ...]
    roles: tuple[str, ...]
    scope: Scope


def no_role(groups: tuple[str, ...]) -> MappingRefused:
    """The refusal of a token whose groups give no role."""
    shown = ", ".join(groups[:10]) or "none"
    return MappingRefused(f"no group maps to a role (groups: {shown})")


def map_claims(
    mapping: ClaimsMapping, claims: Mapping[str, Any], *, require_roles: bool = True
) -> MappedPerson:
    """The person the claims describe; MappingRefused when they give no name, or no role
    unless `require_roles` is off (the caller decides once it knows who the person is)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise MappingRefused("the token has no usable subject (sub)")
    username = _username(mapping, claims)
    groups = _strings(claims.get(mapping.groups_claim))
    roles = mapping.group_roles.roles_for(groups)
    if not roles and require_roles:
        raise no_role(groups)
    scope = _scope(mapping, claims, groups) if mapping.scope_claims or roles else Scope()
    email = claims.get("email")
    name = claims.get("name")
    return MappedPerson(
        subject=subject,
        username=username,
        email=email if isinstance(email, str) and email else None,
        full_name=name[:200] if isinstance(name, str) and name else None,
        groups=groups,
        roles=roles,
        scope=scope,
    )


def _scope(mapping: ClaimsMapping, claims: Mapping[str, Any], groups: tuple[str, ...]) -> Scope:
    """The scope its claims give, when the mapping names scope claims; else its groups'."""
    if not mapping.scope_claims:
        return mapping.group_roles.grant_for(groups).scope
    scope_values = {
        kind: list(_strings(claims.get(claim))) for kind, claim in mapping.scope_claims.items()
    }
    try:
        return Scope.from_json(scope_values)
    except InvalidParameter as bad:
        raise MappingRefused(f"the scope claims are not usable: {bad.message}") from None


def _username(mapping: ClaimsMapping, claims: Mapping[str, Any]) -> str:
    for claim in (mapping.username_claim, "email"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    raise MappingRefused(f"the token has neither {mapping.username_claim!r} nor 'email'")


def _strings(value: Any) -> tuple[str, ...]:
    """A claim as a list of strings: providers send one string or a list (Entra: ids)."""
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list | tuple):
        values = [v for v in value[:_MAX_CLAIM_VALUES] if isinstance(v, str)]
    else:
        return ()
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def _claim_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_CLAIM_NAME:
        raise InvalidParameter(f"{what} must be a claim name of 1 to {_MAX_CLAIM_NAME} characters")
    return value.strip()


def _scope_claims(document: Any) -> dict[str, str]:
    if not isinstance(document, Mapping):
        raise InvalidParameter("scope_claims must be an object: teams/queues/departments → claim")
    unknown = sorted(set(document) - set(SCOPE_KINDS))
    if unknown:
        raise InvalidParameter(f"Unknown scope kind {unknown[0]!r}; use {', '.join(SCOPE_KINDS)}")
    return {
        kind: _claim_name(claim, f"scope_claims.{kind}")
        for kind, claim in document.items()
        if claim
    }
