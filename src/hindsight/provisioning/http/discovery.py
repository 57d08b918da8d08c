"""What the server tells identity providers about itself (RFC 7644 §4): the service provider
configuration, the schemas (exactly the attributes Hindsight keeps) and the resource types."""

from __future__ import annotations

from typing import Any

from hindsight.domain.scim.attributes import (
    GROUP_ATTRS,
    GROUP_SCHEMA,
    USER_ATTRS,
    USER_SCHEMA,
    Attr,
)
from hindsight.provisioning.resources import LIST_SCHEMA, MAX_COUNT

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A SCIM token an admin of the account created on the Admin page",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def _attribute(attr: Attr) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": attr.name,
        "type": attr.type,
        "multiValued": attr.multi,
        "description": attr.description or attr.name,
        "required": attr.required,
        "mutability": attr.mutability,
        "returned": attr.returned,
    }
    if attr.type in ("string", "reference"):
        document["caseExact"] = attr.case_exact
        document["uniqueness"] = attr.uniqueness
    if attr.canonical_values:
        document["canonicalValues"] = list(attr.canonical_values)
    if attr.reference_types:
        document["referenceTypes"] = list(attr.reference_types)
    if attr.sub:
        document["subAttributes"] = [_attribute(s) for s in attr.sub]
    return document


_SCHEMAS = (
    (USER_SCHEMA, "User", "A person of the account", USER_ATTRS),
    (GROUP_SCHEMA, "Group", "A group of the account's people", GROUP_ATTRS),
)


def schemas(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [SCHEMA_SCHEMA],
            "id": urn,
            "name": name,
            "description": description,
            "attributes": [_attribute(a) for a in attrs],
            "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{urn}"},
        }
        for urn, name, description, attrs in _SCHEMAS
    ]


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": name,
            "name": name,
            "endpoint": f"/{name}s",
            "description": description,
            "schema": urn,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{name}"},
        }
        for urn, name, description, _attrs in _SCHEMAS
    ]


def list_of(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    }
