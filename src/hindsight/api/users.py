"""Managing people (admins of an account): `/api/v1/users`.

JSON in and out. A created or reset user's generated password is in the answer once and never
again; passwords are stored only as argon2 hashes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.auth.users import UserChanges, user_json
from hindsight.domain.access import Scope, Viewer
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.domain.sids import Prefix, is_sid

PREFIX = "/api/v1/users"
_MAX_BODY = 64 * 1024
_CREATE_KEYS = {"username", "password", "roles", "scope", "full_name", "email"}
_UPDATE_KEYS = {"roles", "scope", "full_name", "email", "status"}

router = APIRouter(prefix=PREFIX, tags=["users"])


def _optional_text(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"{key} must be a string")
    return value


def _roles(document: dict[str, Any]) -> tuple[str, ...] | None:
    value = document.get("roles")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise InvalidParameter("roles must be a list of role names")
    return tuple(value)


def _scope(document: dict[str, Any]) -> Scope | None:
    return Scope.from_json(document["scope"]) if "scope" in document else None


def _user_sid(sid: str) -> str:
    if not is_sid(sid, Prefix.USER):
        raise NotFound(f"No user {sid}")
    return sid


@router.get("", summary="List the account's users")
async def list_users(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    rows = await identity.services(request).users.list(viewer)
    return json_response(status=200, document={"users": [user_json(r) for r in rows]})


@router.post("", status_code=201, summary="Create a user")
async def create_user(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, _CREATE_KEYS)
    username = document.get("username")
    if not isinstance(username, str):
        raise InvalidParameter("username is required")
    issued = await identity.services(request).users.create(
        viewer,
        username,
        _roles(document) or (),
        password=_optional_text(document, "password"),
        scope=_scope(document),
        full_name=_optional_text(document, "full_name"),
        email=_optional_text(document, "email"),
    )
    return json_response(
        status=201, document={**user_json(issued.row), "generated_password": issued.password}
    )


@router.get("/{sid}", summary="One user")
async def get_user(
    sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    row = await identity.services(request).users.get(viewer, _user_sid(sid))
    return json_response(status=200, document=user_json(row))


@router.post("/{sid}", summary="Change roles, scope, names or status")
async def update_user(
    sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    document = await json_object(request, _MAX_BODY, _UPDATE_KEYS)
    changes = UserChanges(
        roles=_roles(document),
        scope=_scope(document),
        full_name=_optional_text(document, "full_name"),
        email=_optional_text(document, "email"),
        status=_optional_text(document, "status"),
    )
    row = await identity.services(request).users.update(viewer, _user_sid(sid), changes)
    return json_response(status=200, document=user_json(row))


@router.post("/{sid}/password", summary="Reset a user's password")
async def reset_password(
    sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    document = await json_object(request, _MAX_BODY, {"password"})
    issued = await identity.services(request).users.reset_password(
        viewer, _user_sid(sid), _optional_text(document, "password")
    )
    return json_response(
        status=200, document={**user_json(issued.row), "generated_password": issued.password}
    )
