"""The Admin page's "Provisioning (SCIM)" section: the SCIM address for the identity
provider, the account's bearer tokens, and the group mapping."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from hindsight.app_services import Services
from hindsight.domain.access import Viewer
from hindsight.provisioning.tokens import token_json

# How the Admin page names where a person comes from (users.auth_provider).
SOURCES = {"password": "local", "oidc": "OIDC", "scim": "SCIM"}


def source_of(auth_provider: str | None) -> str:
    return SOURCES.get(auth_provider or "password", auth_provider or "local")


async def provisioning_view(request: Request, services: Services, viewer: Viewer) -> dict[str, Any]:
    public = getattr(request.app.state, "public_url", None) or str(request.base_url).rstrip("/")
    tokens = await services.provisioning.tokens.list(viewer)
    mapping = await services.provisioning.mapping.get(viewer)
    return {
        "endpoint": f"{public}/scim/v2",
        "tokens": [token_json(t) for t in tokens],
        "mapping": orjson.dumps(mapping.to_json(), option=orjson.OPT_INDENT_2).decode(),
    }
