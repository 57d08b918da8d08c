"""Which groups of the organisation's identity provider give which Hindsight roles and scope.

One JSON format, for SCIM groups (`{"groups": …}`, provisioning/mapping.py) and for the groups
claim of an OpenID Connect sign-in (the claims mapping's `group_roles`, domain/sso_mapping.py):

    {"groups": {"QA Team": {"roles": ["wfo.quality_manager"], "teams": ["Sales"]},
                "Hindsight Admins": {"roles": ["admin"]}}}

A group's grant may also be written as just its roles, a list or one role (`"Admins":
["admin"]`, `"Admins": "admin"`): the form the claims mapping was stored in before both
features shared this one, still read as `{"roles": [...]}`.

A person gets the union of the roles of every mapped group they are in. Their scope is the
union of those groups' teams, queues and departments, except that a mapped group naming none
of them gives an unlimited scope (it is not narrowed by another group's). In no mapped group:
the role `agent` (no access to conversations) and no scope. Group names match exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain.access import SCOPE_KINDS, Scope
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.permissions import parse_roles

NO_ACCESS_ROLE = "agent"
MAX_GROUPS = 500


@dataclass(frozen=True)
class Grant:
    roles: tuple[str, ...]
    scope: Scope


@dataclass(frozen=True)
class GroupMapping:
    groups: Mapping[str, Grant]

    @property
    def empty(self) -> bool:
        return not self.groups

    def to_json(self) -> dict[str, Any]:
        return {"groups": self.grants_json()}

    def grants_json(self) -> dict[str, Any]:
        """Group name → its grant, as the mapping's `groups` writes them."""
        out: dict[str, Any] = {}
        for name, grant in self.groups.items():
            entry: dict[str, Any] = {"roles": list(grant.roles)}
            entry.update({k: v for k, v in grant.scope.to_json().items() if v})
            out[name] = entry
        return out

    def roles_for(self, group_names: Iterable[str]) -> tuple[str, ...]:
        """The roles these groups give, once each, in the order met; none if none is mapped."""
        matched = [self.groups[n] for n in dict.fromkeys(group_names) if n in self.groups]
        return tuple(dict.fromkeys(r for g in matched for r in g.roles))

    def grant_for(self, group_names: Iterable[str]) -> Grant:
        """The roles and scope of someone in these groups."""
        matched = [self.groups[n] for n in dict.fromkeys(group_names) if n in self.groups]
        if not matched:
            return Grant((NO_ACCESS_ROLE,), Scope())
        roles = self.roles_for(group_names)
        if any(g.scope.unrestricted for g in matched):
            return Grant(roles, Scope())
        union = {
            kind: tuple(dict.fromkeys(v for g in matched for v in getattr(g.scope, kind)))
            for kind in SCOPE_KINDS
        }
        return Grant(roles, Scope(**union))


def parse_mapping(document: Any) -> GroupMapping:
    """A mapping from its JSON; InvalidParameter naming what is wrong."""
    if document is None:
        return GroupMapping({})
    if not isinstance(document, Mapping) or set(document) - {"groups"}:
        raise InvalidParameter('The mapping is {"groups": {"<group name>": {"roles": [...]}}}')
    groups = document.get("groups")
    return parse_grants({} if groups is None else groups, "groups")


def parse_grants(groups: Any, what: str) -> GroupMapping:
    """The mapping of `groups` (group name → grant), the value of field `what`."""
    if not isinstance(groups, Mapping):
        raise InvalidParameter(f"{what} must be an object keyed by group name")
    if len(groups) > MAX_GROUPS:
        raise InvalidParameter(f"At most {MAX_GROUPS} groups can be mapped")
    parsed: dict[str, Grant] = {}
    for name, entry in groups.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 256:
            raise InvalidParameter("A group name is 1 to 256 characters")
        parsed[name.strip()] = _grant(name[:60], entry)
    return GroupMapping(parsed)


def _grant(name: str, entry: Any) -> Grant:
    if isinstance(entry, str | list):
        entry = {"roles": [entry] if isinstance(entry, str) else entry}  # just its roles
    if not isinstance(entry, Mapping):
        raise InvalidParameter(f"The mapping of {name!r} must be an object")
    unknown = sorted(set(entry) - {"roles", *SCOPE_KINDS})
    if unknown:
        raise InvalidParameter(
            f"Unknown key {unknown[0]!r} for {name!r}; use roles, teams, queues, departments"
        )
    roles = entry.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidParameter(f"Group {name!r} must map to a list of roles")
    parsed_roles = parse_roles(roles)
    if not parsed_roles:
        raise InvalidParameter(f"Group {name!r} must map to a list of roles (at least one)")
    return Grant(parsed_roles, Scope.from_json({k: entry[k] for k in SCOPE_KINDS if k in entry}))
