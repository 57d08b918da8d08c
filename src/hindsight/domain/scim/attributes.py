"""The attributes Hindsight's SCIM resources hold (RFC 7643 §4), and checking documents
against them.

Only what Hindsight uses or can keep faithfully is published: a provider sending more learns
so from /Schemas. Attribute names are matched case-insensitively (RFC 7643 §2.1) and stored
under their canonical spelling. Attributes of extension schemas Hindsight does not publish
(keys that are schema URNs, e.g. Entra ID's enterprise extension) are ignored, so a provider's
default mapping works; any other unknown attribute is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hindsight.domain.scim.errors import invalid_syntax, invalid_value

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_STRING = 1024
MAX_VALUES = 100
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class Attr:
    name: str
    type: str = "string"  # string, boolean, complex, reference
    multi: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    sub: tuple[Attr, ...] = field(default=())
    reference_types: tuple[str, ...] = ()
    canonical_values: tuple[str, ...] = ()

    def child(self, name: str) -> Attr | None:
        return _named(self.sub, name)


def _named(attrs: tuple[Attr, ...], name: str) -> Attr | None:
    wanted = name.lower()
    return next((a for a in attrs if a.name.lower() == wanted), None)


_NAME = Attr(
    "name",
    "complex",
    description="The person's name; Hindsight shows `formatted`, else given and family names.",
    sub=(
        Attr("formatted"),
        Attr("familyName"),
        Attr("givenName"),
        Attr("middleName"),
    ),
)
_EMAILS = Attr(
    "emails",
    "complex",
    multi=True,
    description="E-mail addresses; the primary one (else the first) is the person's address.",
    sub=(
        Attr("value"),
        Attr("type", canonical_values=("work", "home", "other")),
        Attr("primary", "boolean"),
    ),
)

USER_ATTRS: tuple[Attr, ...] = (
    Attr(
        "userName",
        required=True,
        uniqueness="server",
        description="The sign-in name: 1 to 128 of a-z 0-9 . _ @ + - (kept in lower case).",
    ),
    _NAME,
    Attr("displayName"),
    Attr("title"),
    _EMAILS,
    Attr(
        "active",
        "boolean",
        description="false disables the person and ends their access; it cannot be removed.",
    ),
)

GROUP_ATTRS: tuple[Attr, ...] = (
    Attr("displayName", required=True, description="The group's name, as mappings name it."),
    Attr(
        "members",
        "complex",
        multi=True,
        description="Members: users of this account, by id.",
        sub=(
            Attr("value", mutability="immutable", case_exact=True),
            Attr("$ref", "reference", mutability="immutable", reference_types=("User",)),
            Attr("type", mutability="immutable", canonical_values=("User",)),
        ),
    ),
)

# Common attributes (RFC 7643 §3.1) every resource has besides its schema's.
COMMON = (
    Attr("id", mutability="readOnly", case_exact=True, returned="always", uniqueness="server"),
    Attr("externalId", case_exact=True),
)


def find(attrs: tuple[Attr, ...], name: str) -> Attr | None:
    """The attribute called `name` (any case), core or common; None when unknown."""
    return _named(attrs, name) or _named(COMMON, name)


def strip_urn(name: str, schema: str) -> str:
    """`urn:…:User:userName` → `userName` (a fully qualified name of the core schema)."""
    if name.lower().startswith(schema.lower() + ":"):
        return name[len(schema) + 1 :]
    return name


def clean(attrs: tuple[Attr, ...], schema: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's writable attributes, checked and under canonical names.

    Read-only attributes (id, meta, members' display) are ignored as RFC 7644 §3.5.1 asks;
    null and empty values mean "unassigned" and are dropped.
    """
    out: dict[str, Any] = {}
    for raw_key, value in document.items():
        if not isinstance(raw_key, str):
            raise invalid_syntax("Attribute names are strings")
        key = strip_urn(raw_key, schema)
        if key.lower() in ("schemas", "meta", "id"):
            continue
        attr = find(attrs, key)
        if attr is None:
            if key.startswith("urn:"):
                continue  # an extension schema Hindsight does not publish
            raise invalid_syntax(f"Unknown attribute {key[:80]!r}")
        if attr.mutability == "readOnly":
            continue
        checked = check_value(attr, value)
        if checked is not None:
            out[attr.name] = checked
    for attr in attrs:
        if attr.required and attr.name not in out:
            raise invalid_value(f"{attr.name} is required")
    return out


def check_value(attr: Attr, value: Any) -> Any:
    """`value` checked against `attr` (a list for multi-valued ones); None when unassigned."""
    if value is None:
        return None
    if attr.multi:
        if not isinstance(value, list):
            value = [value]
        limit = MAX_MEMBERS if attr.name == "members" else MAX_VALUES
        if len(value) > limit:
            raise invalid_value(f"{attr.name} holds at most {limit} values")
        items = [check_single(attr, item) for item in value]
        kept = [item for item in items if item is not None]
        return kept or None
    return check_single(attr, value)


def check_single(attr: Attr, value: Any) -> Any:
    if value is None:
        return None
    if attr.type == "complex":
        if not isinstance(value, Mapping):
            raise invalid_value(f"{attr.name} must be an object")
        out: dict[str, Any] = {}
        for raw_key, sub_value in value.items():
            sub = attr.child(str(raw_key))
            if sub is None:
                raise invalid_syntax(f"Unknown attribute {attr.name}.{str(raw_key)[:60]!r}")
            if sub.mutability == "readOnly":
                continue
            checked = check_single(sub, sub_value)
            if checked is not None:
                out[sub.name] = checked
        return out or None
    if attr.type == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"  # Entra ID sends "True"/"False" in PATCH
        if not isinstance(value, bool):
            raise invalid_value(f"{attr.name} must be true or false")
        return value
    if not isinstance(value, str):
        raise invalid_value(f"{attr.name} must be a string")
    if len(value) > MAX_STRING:
        raise invalid_value(f"{attr.name} is at most {MAX_STRING} characters")
    return value or None
