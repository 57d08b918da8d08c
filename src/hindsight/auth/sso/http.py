"""An account's single sign-on configuration (its admins): `/api/v1/sso`.

GET shows it (whether a client secret is set, never the secret); POST replaces it. The
redirect URI to register at the provider is in the answer, as the Admin page shows it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.auth.sso.config import FIELDS, SsoSettings
from hindsight.domain.access import Viewer

PATH = "/api/v1/sso"
CALLBACK_PATH = "/sso/callback"
SIGN_IN_PATH = "/login"
SIGNED_OUT_PATH = SIGN_IN_PATH
_MAX_BODY = 64 * 1024

router = APIRouter(tags=["single sign-on"])


def own_url(request: Request, path: str) -> str:
    """A URL of this server as the browser and the provider know it."""
    base = getattr(request.app.state, "public_url", None) or str(request.base_url).rstrip("/")
    return base + path


def described(request: Request, settings: SsoSettings) -> dict[str, object]:
    return {
        **settings.to_json(),
        "redirect_uri": own_url(request, CALLBACK_PATH),
        "post_logout_redirect_uri": own_url(request, SIGNED_OUT_PATH),
        # The sign-in page names no account's provider where a deployment holds several:
        # people start from this link (or from the last account their browser used).
        "sign_in_url": own_url(request, f"{SIGN_IN_PATH}?account={settings.account_sid}"),
    }


@router.get(PATH, summary="The account's single sign-on configuration")
async def get_sso(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    settings = await identity.services(request).sso.config.settings(viewer)
    return json_response(status=200, document=described(request, settings))


@router.post(PATH, summary="Configure single sign-on")
async def save_sso(request: Request, viewer: Viewer = Depends(identity.person)) -> Response:
    document = await json_object(request, _MAX_BODY, FIELDS)
    settings = await identity.services(request).sso.config.save(viewer, document)
    return json_response(status=200, document=described(request, settings))
