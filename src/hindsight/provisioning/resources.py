"""People and groups as SCIM resources (RFC 7643 §4), and listing them: filter, page,
choose attributes (RFC 7644 §3.4.2)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hindsight.domain.scim import filter as scim_filter
from hindsight.domain.scim.attributes import GROUP_SCHEMA, USER_SCHEMA, Attr
from hindsight.domain.scim.errors import ScimError

# Re-exported: the records the HTTP layer names come from the service, not the store.
from hindsight.store.scim import Group as Group
from hindsight.store.scim import ProvisionedUser as ProvisionedUser

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_COUNT = 200


@dataclass(frozen=True)
class Page:
    total: int
    start_index: int
    resources: list[dict[str, Any]]


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def etag(version: int) -> str:
    return f'W/"{version}"'


def check_if_match(version: int, if_match: str | None) -> None:
    """RFC 7644 §3.14: a write naming another version than the current one changes nothing."""
    if if_match and if_match.strip() != "*":
        wanted = {tag.strip() for tag in if_match.split(",")}
        if etag(version) not in wanted and f'"{version}"' not in wanted:
            raise ScimError(412, "The resource changed since that version (If-Match)")


def _meta(kind: str, location: str, created: int, updated: int, version: int) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": _iso(created),
        "lastModified": _iso(updated),
        "location": location,
        "version": etag(version),
    }


def user_resource(person: ProvisionedUser, base: str) -> dict[str, Any]:
    document: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": person.sid}
    if person.external_id:
        document["externalId"] = person.external_id
    document["userName"] = person.username
    document.update(person.attributes)
    document["active"] = person.status == "active"
    document["meta"] = _meta(
        "User", f"{base}/Users/{person.sid}", person.created_ms, person.updated_ms, person.version
    )
    return document


def group_resource(group: Group, base: str) -> dict[str, Any]:
    document: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": group.sid}
    if group.external_id:
        document["externalId"] = group.external_id
    document["displayName"] = group.display_name
    if group.members:
        document["members"] = [
            {"value": sid, "$ref": f"{base}/Users/{sid}", "type": "User"} for sid in group.members
        ]
    document["meta"] = _meta(
        "Group", f"{base}/Groups/{group.sid}", group.created_ms, group.updated_ms, group.version
    )
    return document


def page_of(
    resources: Iterable[dict[str, Any]],
    filter_text: str | None,
    attrs: tuple[Attr, ...],
    schema: str,
    start_index: int,
    count: int,
) -> Page:
    """The resources matching the filter, from the 1-based `start_index`, at most `count`."""
    node = scim_filter.parse(filter_text, attrs, schema) if filter_text is not None else None
    keep: Callable[[Mapping[str, Any]], bool] = scim_filter.matcher(node)
    matching = [r for r in resources if keep(r)]
    start = max(start_index, 1)
    return Page(len(matching), start, matching[start - 1 : start - 1 + max(count, 0)])


def project(
    resource: dict[str, Any],
    attributes: list[str] | None,
    excluded: list[str] | None,
    schema: str,
) -> dict[str, Any]:
    """Only the attributes asked for (`id` and `schemas` always), or all but the excluded."""
    if attributes:
        wanted = _names(attributes, schema)
        kept: dict[str, Any] = {}
        for key, value in resource.items():
            lowered = key.lower()
            if key in ("id", "schemas") or lowered in wanted:
                kept[key] = value
            elif isinstance(value, dict):
                subs = {k: v for k, v in value.items() if f"{lowered}.{k.lower()}" in wanted}
                if subs:
                    kept[key] = subs
            elif isinstance(value, list):
                prefix = lowered + "."
                if any(w.startswith(prefix) for w in wanted):
                    kept[key] = [
                        {k: v for k, v in item.items() if prefix + k.lower() in wanted}
                        for item in value
                        if isinstance(item, dict)
                    ]
        return kept
    if excluded:
        dropped = _names(excluded, schema)
        return {
            k: v for k, v in resource.items() if k in ("id", "schemas") or k.lower() not in dropped
        }
    return resource


def _names(values: list[str], schema: str) -> set[str]:
    names = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.lower().startswith(schema.lower() + ":"):
                part = part[len(schema) + 1 :]
            if part:
                names.add(part.lower())
    return names
