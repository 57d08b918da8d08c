"""The account admin's side of provisioning: `/api/v1/scim` (JSON, a signed-in admin).

* `GET /api/v1/scim/tokens`, `POST {"name": …}` → the new token, in this answer only;
  `DELETE /api/v1/scim/tokens/{sid}` revokes at once.
* `GET /api/v1/scim/mapping`, `PUT {"groups": {…}}`: which groups give which roles and scope
  (provisioning/mapping.py); saving applies it to every provisioned person.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.domain.access import Viewer
from hindsight.domain.errors import NotFound
from hindsight.domain.sids import Prefix, is_sid
from hindsight.provisioning.tokens import token_json

router = APIRouter(prefix="/api/v1/scim", tags=["provisioning"])
_MAX_BODY = 256 * 1024


@router.get("/tokens", summary="The account's SCIM bearer tokens (never the tokens themselves)")
async def list_tokens(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    tokens = await identity.services(request).provisioning.tokens.list(viewer)
    return json_response({"tokens": [token_json(t) for t in tokens]})


@router.post("/tokens", status_code=201, summary="Create a SCIM bearer token (shown once)")
async def create_token(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"name"})
    issued = await identity.services(request).provisioning.tokens.create(
        viewer,
        document.get("name"),  # type: ignore[arg-type]
    )
    return json_response({**token_json(issued.record), "token": issued.token}, status=201)


@router.delete("/tokens/{sid}", status_code=204, summary="Revoke a SCIM bearer token")
async def revoke_token(
    sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    if not is_sid(sid, Prefix.SCIM_TOKEN):
        raise NotFound(f"No SCIM token {sid[:40]}")
    await identity.services(request).provisioning.tokens.revoke(viewer, sid)
    return Response(status_code=204)


@router.get("/mapping", summary="Which provisioned groups give which roles and scope")
async def get_mapping(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    mapping = await identity.services(request).provisioning.mapping.get(viewer)
    return json_response(mapping.to_json())


@router.put("/mapping", summary="Replace the group mapping and apply it to provisioned people")
async def put_mapping(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"groups"})
    mapping, changed = await identity.services(request).provisioning.mapping.put(viewer, document)
    return json_response({**mapping.to_json(), "people_changed": changed})
